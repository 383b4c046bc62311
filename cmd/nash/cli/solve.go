package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
	"github.com/nashd/nashd/solver/nfg"
)

func runSolve(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	method := fs.String("method", "", "what to compute: "+strings.Join(solver.Methods, ", ")+" (default: spe for sequential games, all otherwise)")
	asJSON := fs.Bool("json", false, "print the stable JSON report (docs/solver.md) instead of tables")
	verify := fs.String("verify", "", "instead of solving, judge the pure profile naming one strategy per player, comma-separated (exit status 1 if it is not an equilibrium)")
	export := fs.String("export", "", "instead of solving, print the game as toml or json (nashd's schema), nfg (Gambit) or lrs (lrsnash input)")
	remote := fs.Bool("remote", false, "solve through the running daemon (POST /v1/games/solve) instead of in this process; FILE may then also be a configured game's name")
	sock := socketFlag(fs)
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one game file, got %d arguments", ErrUsage, len(pos))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if *remote || *sock != "" {
		if *verify != "" || *export != "" {
			return fmt.Errorf("%w: --verify and --export work locally only (drop --remote/--socket)", ErrUsage)
		}
		return remoteSolve(ctx, client.New(*sock), pos[0], *method, *asJSON, env.Stdout)
	}
	g, err := gamefile.Load(pos[0])
	if err != nil {
		return err
	}
	if *export != "" {
		return exportGame(env.Stdout, g, *export)
	}
	if *verify != "" {
		v, err := solver.VerifyChoice(g, strings.Split(*verify, ","))
		if err != nil {
			return err
		}
		if *asJSON {
			err = writeJSON(env.Stdout, v)
		} else {
			err = v.WriteText(env.Stdout)
		}
		if err != nil {
			return err
		}
		if !v.Equilibrium {
			return ExitError{1}
		}
		return nil
	}
	r, err := solver.Solve(ctx, g, *method)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, r)
	}
	return solver.WriteSolved(env.Stdout, g, r, "")
}

func runGamesSolve(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	sock := socketFlag(fs)
	method := fs.String("method", "", "solver method (see nash solve --help); default: the solver's")
	asJSON := fs.Bool("json", false, "print the daemon's JSON answer (solver.md's stable schema under \"report\")")
	rest, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: want one game name or file", ErrUsage)
	}
	return remoteSolve(ctx, client.New(*sock), rest[0], *method, *asJSON, env.Stdout)
}

// remoteSolve solves a game through the daemon's POST /v1/games/solve: ref is a name from
// the daemon's configs/games or a game file (read as the local solve reads it and sent inline).
// It prints what the local solve prints: with asJSON the daemon's answer, whose "report" is
// the local --json report and "nashd" its config provenance; otherwise the payoff table and
// the report's text, the header naming nashd. A solver error reads as the local one.
func remoteSolve(ctx context.Context, c *client.Client, ref, method string, asJSON bool, stdout io.Writer) error {
	raw, err := gameArg(ref)
	if err != nil {
		return err
	}
	resp, err := c.Solve(ctx, api.SolveRequest{Game: raw, Method: method, IncludeGame: !asJSON})
	var ce *client.Error
	if errors.As(err, &ce) && (ce.API.Code == api.CodeMethodNotApplicable || ce.API.Code == api.CodeUnsolvable) {
		return errors.New(ce.API.Message) // the solver's own error, as a local solve prints it
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, resp)
	}
	var g *game.Game
	if resp.Game != nil {
		if g, err = gamefile.ParseJSON("the daemon's game", resp.Game); err != nil {
			return err
		}
	}
	return solver.WriteSolved(stdout, g, resp.Report, "nashd")
}

// gameArg turns a game name or a game file (.toml, .json or Gambit .nfg, read by the same
// loader as the local solve) into the "game" field of a solve request.
func gameArg(name string) (json.RawMessage, error) {
	if _, err := os.Stat(name); err != nil {
		return json.Marshal(name) // a configured game's name
	}
	g, err := gamefile.Load(name)
	if err != nil {
		return nil, err
	}
	return gamefile.EncodeJSON(g)
}

// exportGame writes g in another format; trees become their normal form for nfg and lrs.
func exportGame(w io.Writer, g *game.Game, format string) error {
	var data []byte
	var err error
	switch format {
	case "toml":
		data, err = gamefile.EncodeTOML(g)
	case "json":
		data, err = gamefile.EncodeJSON(g)
		data = append(data, '\n')
	case "nfg", "lrs":
		nf := g.Normal
		if g.Tree != nil {
			if nf, _, err = g.Tree.ToNormal(); err != nil {
				return err
			}
		}
		if nf == nil {
			return fmt.Errorf("export %s: needs a normal-form or tree game", format)
		}
		if format == "lrs" {
			return nfg.WriteLRS(w, nf)
		}
		return nfg.Write(w, g.Name, g.Description, nf, nfg.PayoffVersion)
	default:
		return fmt.Errorf("%w: --export %q (want toml, json, nfg or lrs)", ErrUsage, format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

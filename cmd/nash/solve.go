package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
	"github.com/nashd/nashd/solver/nfg"
)

func init() {
	register(&command{
		name:    "solve",
		summary: "solve a game file (.toml, .json or Gambit .nfg) exactly: equilibria, dominance, Pareto, SPE",
		usage:   "FILE [--method all|pure|lh|lhall|zerosum|ce|iesds|iewds|pareto|spe] [--json] [--verify s1,s2,...] [--export toml|json|nfg|lrs] [--remote] [--socket PATH]",
		run:     runSolve,
	})
}

func runSolve(args []string, stdout, stderr io.Writer) error {
	c := commands["solve"]
	fs := newFlags(c, stderr)
	method := fs.String("method", "", "what to compute: "+strings.Join(solver.Methods, ", ")+" (default: spe for sequential games, all otherwise)")
	asJSON := fs.Bool("json", false, "print the stable JSON report (docs/solver.md) instead of tables")
	verify := fs.String("verify", "", "instead of solving, judge the pure profile naming one strategy per player, comma-separated (exit status 1 if it is not an equilibrium)")
	export := fs.String("export", "", "instead of solving, print the game as toml or json (nashd's schema), nfg (Gambit) or lrs (lrsnash input)")
	remote := fs.Bool("remote", false, "solve through the running daemon (POST /v1/games/solve) instead of in this process; FILE may then also be a configured game's name")
	sock := socketFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one game file, got %d arguments", errUsage, len(pos))
	}
	if *remote || *sock != "" {
		if *verify != "" || *export != "" {
			return fmt.Errorf("%w: --verify and --export work locally only (drop --remote/--socket)", errUsage)
		}
		// The daemon answers with the same stable JSON report as --json.
		return remoteSolve(context.Background(), client.New(*sock), pos[0], *method, *asJSON, stdout)
	}
	g, err := gamefile.Load(pos[0])
	if err != nil {
		return err
	}
	if *export != "" {
		return exportGame(stdout, g, *export)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *verify != "" {
		v, err := solver.VerifyChoice(g, strings.Split(*verify, ","))
		if err != nil {
			return err
		}
		if *asJSON {
			if err := writeJSON(stdout, v); err != nil {
				return err
			}
		} else {
			writeVerification(stdout, v)
		}
		if !v.Equilibrium {
			return exitError{1}
		}
		return nil
	}
	r, err := solver.Solve(ctx, g, *method)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	if g.Normal != nil {
		if err := solver.WriteMatrix(stdout, g.Normal); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	return r.WriteText(stdout)
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
		return fmt.Errorf("%w: --export %q (want toml, json, nfg or lrs)", errUsage, format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

func writeVerification(w io.Writer, v *solver.Verification) {
	fmt.Fprintf(w, "game:    %s\nprofile: %s\n", v.Game, strings.Join(v.Profile, ", "))
	verdict := "not a Nash equilibrium"
	if v.Equilibrium {
		verdict = "a Nash equilibrium"
	}
	fmt.Fprintf(w, "verdict: %s\n\n", verdict)
	for i, p := range v.Players {
		fmt.Fprintf(w, "  %-12s payoff %-8s regret %-8s best responses: %s\n", p, v.Payoffs[i].RatString(), v.Regret[i].RatString(), strings.Join(v.BestResponses[i], ", "))
	}
	fmt.Fprintf(w, "\nwelfare %s, rank %d of %d outcomes\n", v.Welfare, v.WelfareRank, v.Outcomes)
	if len(v.DominatedBy) == 0 {
		fmt.Fprintln(w, "Pareto-optimal among the pure outcomes")
	} else {
		fmt.Fprintln(w, "Pareto-dominated by:")
		for _, o := range v.DominatedBy {
			var pay []string
			for _, x := range o.Payoffs {
				pay = append(pay, x.RatString())
			}
			fmt.Fprintf(w, "  %s (%s)\n", strings.Join(o.Profile, ", "), strings.Join(pay, ", "))
		}
	}
}

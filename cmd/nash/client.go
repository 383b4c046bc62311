package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/solver/gamefile"
)

// socketFlag adds --socket to fs; the default comes from client.DefaultSocket
// ($NASHD_SOCKET, $XDG_RUNTIME_DIR/nashd.sock, ...).
func socketFlag(fs *flag.FlagSet) *string {
	return fs.String("socket", "", "nashd's Unix socket `PATH` (default $NASHD_SOCKET, else $XDG_RUNTIME_DIR/nashd.sock, else CONFIGDIR/nashd.sock)")
}

// waitModel waits for the daemon's model, drawing a progress bar on w while it loads.
func waitModel(ctx context.Context, c *client.Client, w io.Writer) error {
	drawn := false
	_, err := c.WaitReady(ctx, func(st *daemon.StatusResponse) {
		name, p := "model", float32(0)
		if l := st.Model.Loading; l != nil {
			name, p = l.Name, l.Progress
		}
		fmt.Fprintf(w, "\rloading %s %s", name, progressBar(p, 30))
		drawn = true
	})
	if drawn {
		fmt.Fprintln(w)
	}
	return err
}

// progressBar renders p in [0, 1] as [#####-----]  42%.
func progressBar(p float32, width int) string {
	p = min(max(p, 0), 1)
	n := int(p * float32(width))
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat("-", width-n), 100*p)
}

// retryLoading runs f, and while the daemon answers 503 model_loading, shows the progress
// bar and retries.
func retryLoading(ctx context.Context, c *client.Client, stderr io.Writer, f func() error) error {
	for {
		err := f()
		var ce *client.Error
		if errors.As(err, &ce) && ce.Status == 503 && ce.API.Code == "model_loading" {
			if werr := waitModel(ctx, c, stderr); werr != nil {
				return werr
			}
			continue
		}
		if errors.As(err, &ce) && ce.Status == 503 && ce.API.Code == "queue_full" {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(max(ce.RetryAfter, 500*time.Millisecond)):
			}
			continue
		}
		return err
	}
}

// readInput returns args joined, or stdin when args is empty or "-".
func readInput(args []string) (string, error) {
	if len(args) == 0 || (len(args) == 1 && args[0] == "-") {
		b, err := io.ReadAll(os.Stdin)
		return strings.TrimSpace(string(b)), err
	}
	return strings.Join(args, " "), nil
}

// remoteSolve solves a game through the daemon's POST /v1/games/solve: game is a name from
// the daemon's configs/games or a path to a .toml/.json game file (sent inline as JSON). It
// prints the daemon's JSON answer. `nash solve --socket` is meant to call it.
func remoteSolve(ctx context.Context, c *client.Client, game, method string, asJSON bool, stdout io.Writer) error {
	raw, err := gameArg(game)
	if err != nil {
		return err
	}
	out, err := c.Solve(ctx, raw, method)
	if err != nil {
		return err
	}
	if asJSON {
		_, err = stdout.Write(out)
		return err
	}
	return writeRemoteReport(stdout, out)
}

// gameArg turns a game name or a game file (.toml, .json or Gambit .nfg, read by the same loader
// as the local `nash solve`) into the "game" field of a solve request.
func gameArg(game string) (json.RawMessage, error) {
	if _, err := os.Stat(game); err != nil {
		return json.Marshal(game) // a configured game's name
	}
	g, err := gamefile.Load(game)
	if err != nil {
		return nil, err
	}
	return gamefile.EncodeJSON(g)
}

// writeRemoteReport prints the daemon's solve answer for people: the fields of solver.md's
// stable JSON schema as a table (pure strategies by name, mixed ones as name:probability).
func writeRemoteReport(w io.Writer, body []byte) error {
	var resp struct {
		Report struct {
			Game       string     `json:"game"`
			Players    []string   `json:"players"`
			Strategies [][]string `json:"strategies"`
			Method     string     `json:"method"`
			Complete   bool       `json:"complete"`
			Equilibria []struct {
				Profile [][]string `json:"profile"`
				Payoffs []string   `json:"payoffs"`
			} `json:"equilibria"`
			Note string `json:"note"`
		} `json:"report"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decode the daemon's answer: %w", err)
	}
	r := resp.Report
	complete := "not guaranteed complete"
	if r.Complete {
		complete = "complete"
	}
	fmt.Fprintf(w, "game:    %s (solved by nashd)\nplayers: %s\nmethod:  %s (%s)\n\n%d equilibri%s\n",
		r.Game, strings.Join(r.Players, ", "), r.Method, complete, len(r.Equilibria), map[bool]string{true: "um", false: "a"}[len(r.Equilibria) == 1])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "#\t%s\tpayoffs\n", strings.Join(r.Players, "\t"))
	for n, e := range r.Equilibria {
		cells := make([]string, len(e.Profile))
		for i, dist := range e.Profile {
			var parts []string
			for k, p := range dist {
				name := strconv.Itoa(k + 1)
				if i < len(r.Strategies) && k < len(r.Strategies[i]) {
					name = r.Strategies[i][k]
				}
				switch p {
				case "0":
				case "1":
					parts = append(parts, name)
				default:
					parts = append(parts, name+":"+p)
				}
			}
			cells[i] = strings.Join(parts, " ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", n+1, strings.Join(cells, "\t"), strings.Join(e.Payoffs, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Note != "" {
		fmt.Fprintf(w, "\nnote: %s\n", r.Note)
	}
	return nil
}

func init() {
	c := &command{name: "games solve", summary: "solve a game through the daemon (a configured game's name, or a game file)", usage: "NAME|FILE [--socket PATH] [--method M] [--json]"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(c, stderr)
		sock := socketFlag(fs)
		method := fs.String("method", "", "solver method (see nash solve --help); default: the solver's")
		asJSON := fs.Bool("json", false, "print the daemon's JSON answer (solver.md's stable schema under \"report\")")
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return fmt.Errorf("%w: want one game name or file", errUsage)
		}
		return remoteSolve(context.Background(), client.New(*sock), rest[0], *method, *asJSON, stdout)
	}
	register(c)
	l := &command{name: "games", summary: "list the games the daemon has loaded from configs/games", usage: "[--socket PATH]"}
	l.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(l, stderr)
		sock := socketFlag(fs)
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return fmt.Errorf("%w: unexpected argument %q (did you mean 'nash games solve'?)", errUsage, rest[0])
		}
		st, err := client.New(*sock).Status(context.Background())
		if err != nil {
			return err
		}
		for _, g := range st.Games {
			fmt.Fprintln(stdout, g)
		}
		return nil
	}
	register(l)
}

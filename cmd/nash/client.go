package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/client"
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
func remoteSolve(ctx context.Context, c *client.Client, game, method string, stdout io.Writer) error {
	raw, err := gameArg(game)
	if err != nil {
		return err
	}
	out, err := c.Solve(ctx, raw, method)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// gameArg turns a game name or a JSON game file into the "game" field of a solve request.
// TOML files are parsed by the daemon only when configured, so a local TOML file is
// converted to JSON by decoding it generically.
func gameArg(game string) (json.RawMessage, error) {
	if _, err := os.Stat(game); err != nil {
		return json.Marshal(game) // a configured game's name
	}
	data, err := os.ReadFile(game)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(game, ".json") {
		return data, nil
	}
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		return nil, fmt.Errorf("%s: %w", game, err)
	}
	return json.Marshal(m)
}

func init() {
	c := &command{name: "games solve", summary: "solve a game through the daemon (a configured game's name, or a game file)", usage: "NAME|FILE [--socket PATH] [--method M]"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(c, stderr)
		sock := socketFlag(fs)
		method := fs.String("method", "", "solver method (see nash solve --help); default: the solver's")
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return fmt.Errorf("%w: want one game name or file", errUsage)
		}
		return remoteSolve(context.Background(), client.New(*sock), rest[0], *method, stdout)
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

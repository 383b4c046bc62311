package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/nashd/nashd/daemon/client"
)

// socketFlag adds --socket to fs; empty means client.DefaultSocket.
func socketFlag(fs *flag.FlagSet) *string {
	return fs.String("socket", "", "nashd's Unix socket `PATH` (default $NASHD_SOCKET, else $XDG_RUNTIME_DIR/nashd.sock, else CONFIGDIR/nashd.sock)")
}

// noArgs fails with a usage error when positional arguments are left.
func noArgs(rest []string) error {
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, rest[0])
	}
	return nil
}

func runStatus(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	sock := socketFlag(fs)
	asJSON := fs.Bool("json", false, "print /v1/status as JSON")
	wait := fs.Bool("wait", false, "wait (with a progress bar) until the model is loaded")
	rest, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	c := client.New(*sock)
	if *wait {
		if err := c.WaitModel(ctx, env.Stderr); err != nil {
			return err
		}
	}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeIndented(env, st)
	}
	return client.WriteStatus(env.Stdout, st, c.Socket)
}

func runModels(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	sock := socketFlag(fs)
	asJSON := fs.Bool("json", false, "print /v1/models entries as JSON")
	rest, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	ms, err := client.New(*sock).Models(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeIndented(env, ms)
	}
	return client.WriteModels(env.Stdout, ms)
}

func runGames(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	sock := socketFlag(fs)
	rest, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q (did you mean 'nash games solve'?)", ErrUsage, rest[0])
	}
	st, err := client.New(*sock).Status(ctx)
	if err != nil {
		return err
	}
	for _, g := range st.Games {
		fmt.Fprintln(env.Stdout, g)
	}
	return nil
}

// writeIndented prints v as indented JSON.
func writeIndented(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

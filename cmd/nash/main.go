// Command nash is nashd's command-line client and toolbox: it talks to a running daemon over its
// Unix socket (chat, status, models, solve) and works offline on model files and games
// (model gen/info, generate, solve). Run `nash help` for the list of commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. Each lives in its own file and registers itself in init, so
// commands can be added without touching this file.
type command struct {
	name    string // "solve", or "model gen" for a two-word command
	summary string // one line for `nash help`
	usage   string // argument synopsis, e.g. "FILE [--json]"
	// run executes the command with its arguments (after the command name). It returns
	// errUsage (possibly wrapped) when the arguments are wrong.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("nash: duplicate command " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks a usage error: main prints the command's usage and exits 2.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (for example 1 for "not an equilibrium").
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// newFlags returns a FlagSet for command c whose -h/--help prints c's usage.
func newFlags(c *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("nash "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: nash %s %s\n\n%s\n", c.name, c.usage, c.summary)
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(stderr, "\noptions:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseInterspersed parses flags that may appear before or after positional arguments
// (`nash solve game.toml --json`), which the standard flag package alone does not allow.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `nash: client and toolbox for nashd, the game-theoretic local LLM daemon

usage: nash COMMAND [arguments] [--help]

commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Commands that talk to the daemon use --socket PATH or $NASHD_SOCKET (default $XDG_RUNTIME_DIR/nashd.sock).
Run 'nash COMMAND --help' for a command's options.
`)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1:]); c != nil {
				fs := newFlags(c, stderr)
				fs.SetOutput(stdout)
				_ = c.run([]string{"--help"}, stdout, stdout)
				return 0
			}
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c := lookup(args)
	if c == nil {
		fmt.Fprintf(stderr, "nash: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		usage(stderr)
		return 2
	}
	rest := args[len(strings.Fields(c.name)):]
	err := c.run(rest, stdout, stderr)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		if err.Error() != errUsage.Error() {
			fmt.Fprintln(stderr, "nash "+c.name+":", err)
		}
		fmt.Fprintf(stderr, "usage: nash %s %s\n(run 'nash %s --help' for details)\n", c.name, c.usage, c.name)
		return 2
	default:
		fmt.Fprintln(stderr, "nash "+c.name+":", err)
		return 1
	}
}

// lookup finds the command named by the first one or two words of args.
func lookup(args []string) *command {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c
		}
	}
	if len(args) >= 1 {
		if c, ok := commands[args[0]]; ok {
			return c
		}
	}
	return nil
}

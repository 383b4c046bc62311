// Package cli is the nash command line: a table of commands ([Commands]), each a small file
// that parses its flags and calls into the package that owns the work (solver for reports,
// models for model files, gbnf for grammars, daemon/client for the daemon). cmd/nash's main
// only calls [Main].
//
// # Adding a command
//
// Add an entry to [Commands] and a file with its Run function. Run gets an [Env] (streams and
// a flag set whose --help prints the entry's usage) and returns an error: [ErrUsage] (wrapped
// with the reason) prints the usage and exits 2, an [ExitError] exits with its code, any other
// error prints "nash NAME: error" and exits 1.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Version is nash's version, set by cmd/nash (from -ldflags "-X main.version=...").
var Version = "dev"

// Command is one nash subcommand.
type Command struct {
	Name    string // "solve", or "model gen" for a two-word command
	Summary string // one line for `nash help`
	Usage   string // argument synopsis, e.g. "FILE [--json]"
	// Run executes the command with its arguments (those after the name).
	Run func(ctx context.Context, env *Env, args []string) error
}

// Commands is nash's command table.
var Commands = []*Command{
	{Name: "chat", Summary: "ask the daemon's model (streams the answer; JSON schema or grammar output)",
		Usage: "[--socket PATH] [--model NAME] [--system TEXT] [--max-tokens N] [--temperature T] [--seed N] [--schema FILE|JSON] [--json-object] [--grammar FILE] [--reasoning MODE] [--no-stream] [--json] MESSAGE... (or stdin)",
		Run:   runChat},
	{Name: "experiment", Summary: "run the papers' evaluations on a local model (games, dond, gtalign): records, tables, plots; report recomputes a summary",
		Usage: experimentUsage, Run: runExperiment},
	{Name: "games", Summary: "list the games the daemon has loaded from configs/games", Usage: "[--socket PATH]", Run: runGames},
	{Name: "games solve", Summary: "solve a game through the daemon (a configured game's name, or a game file)",
		Usage: "NAME|FILE [--socket PATH] [--method M] [--json]", Run: runGamesSolve},
	{Name: "generate", Summary: "generate text with a local GGUF model (text on stdout, timings on stderr)",
		Usage: "-m FILE -p TEXT [--chat] [--grammar FILE] [--seed N] [-n N] [--threads N] [--temp X] [--ctx N] [--gpu-layers N|auto] [--main-gpu N] [--gpu-backends DIR]", Run: runGenerate},
	{Name: "grammar check", Summary: "check GBNF grammars offline as nashd will (syntax, left recursion, size/ambiguity limits)",
		Usage: "FILE... | --schema FILE [--print]", Run: runGrammarCheck},
	{Name: "model gen", Summary: "write a llama-architecture GGUF model with seeded RANDOM weights (tiny: tests, bench: Qwen2.5-0.5B shape)",
		Usage: "--shape tiny|bench -o FILE [--vocab bytes|llama3] [--seed N] [--quant Q4_K_M|Q8_0|F16|F32|none] [--threads N] [--output-scale X]",
		Run:   runModelGen},
	{Name: "model info", Summary: "validate a GGUF model file and print its metadata", Usage: "FILE [--json]", Run: runModelInfo},
	{Name: "models", Summary: "list the daemon's configured models and which one serves", Usage: "[--socket PATH] [--json]", Run: runModels},
	{Name: "play", Summary: "two model agents play a game (configs/games) or Deal or No Deal, through the daemon or in this process (--model FILE); the solver judges the outcome",
		Usage: "GAME [--model FILE [--bob-model FILE] [--gpu-layers N|auto] [--main-gpu N] [--gpu-backends DIR] | --socket PATH] [--mode raw|prompted|verified] [--alice-mode M --bob-mode M] [--rounds N] [--seed N] [--json] | dond [--data FILE] --line N [--alice raw|workflow] [--bob raw|workflow] [--model FILE [--gpu-layers N|auto ...] | --socket PATH] [--rounds N] [--json]",
		Run:   runPlay},
	{Name: "reason", Summary: "GTAlign: the model writes a payoff matrix, the solver chooses how to answer under the pricing (--offline: choose on a matrix file)",
		Usage: "TEXT... [--socket PATH] [--model NAME] [--system TEXT] [--rule welfare|nash_product] [--policy override|annotate|reject] [--analyze-by model|solver] [--max-tokens N] [--temperature T] [--seed N] [--stream] [--json] | --offline --matrix FILE.json [--pricing FILE.toml] [--game FILE.toml] [--rule R] [--json]",
		Run:   runReason},
	{Name: "solve", Summary: "solve a game file (.toml, .json or Gambit .nfg) exactly: equilibria, dominance, Pareto, SPE",
		Usage: "FILE [--method all|pure|lh|lhall|zerosum|ce|iesds|iewds|pareto|spe] [--json] [--verify s1,s2,...] [--export toml|json|nfg|lrs] [--remote] [--socket PATH]",
		Run:   runSolve},
	{Name: "status", Summary: "show the daemon's model, queue, config versions and reload errors", Usage: "[--socket PATH] [--json] [--wait]", Run: runStatus},
	{Name: "version", Summary: "print nash's version, llama.cpp's system info (SIMD features) and the GPU devices with their memory",
		Usage: "[--gpu-backends DIR]", Run: runVersion},
}

// Env is what a command runs with.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Command        *Command
}

// Flags returns an empty flag set for the command whose --help prints its usage, summary and
// flags on Stderr.
func (e *Env) Flags() *flag.FlagSet {
	c := e.Command
	fs := flag.NewFlagSet("nash "+c.Name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.Stderr, "usage: nash %s %s\n\n%s\n", c.Name, c.Usage, c.Summary)
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(e.Stderr, "\noptions:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// Parse parses flags that may come before or after positional arguments
// (`nash solve game.toml --json`), which the flag package alone does not allow, and returns
// the positional arguments. Everything after "--" is positional. A bad flag has been
// reported with the usage when it returns; nash then exits 2.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, reportedUsageError{err}
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

// ErrUsage marks wrong arguments: wrap it with the reason; nash prints the command's usage
// and exits 2.
var ErrUsage = errors.New("usage")

// reportedUsageError is a usage error the flag package has already printed.
type reportedUsageError struct{ error }

func (e reportedUsageError) Unwrap() error { return e.error }

// ExitError ends a command with an exit status and no message (for example 1 for "not an
// equilibrium": the output already says so).
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs nash with the process's arguments (without the program name) and streams and
// returns the exit status.
func Main(args []string) int {
	return Run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr)
}

// Run runs nash with args (without the program name) and returns the exit status: 0, 1 for a
// failed command, 2 for wrong arguments, or what the command chose. A nil stdin reads as empty.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1:]); c != nil {
				env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stdout, Command: c}
				_ = c.Run(ctx, env, []string{"--help"})
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
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Command: c}
	err := c.Run(ctx, env, args[len(strings.Fields(c.Name)):])
	var ee ExitError
	var reported reportedUsageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &reported):
		return 2
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, ErrUsage):
		if err.Error() != ErrUsage.Error() {
			fmt.Fprintln(stderr, "nash "+c.Name+":", err)
		}
		fmt.Fprintf(stderr, "usage: nash %s %s\n(run 'nash %s --help' for details)\n", c.Name, c.Usage, c.Name)
		return 2
	default:
		fmt.Fprintln(stderr, "nash "+c.Name+":", err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `nash: client and toolbox for nashd, the game-theoretic local LLM daemon

usage: nash COMMAND [arguments] [--help]

commands:
`)
	names := make([]string, 0, len(Commands))
	summary := map[string]string{}
	for _, c := range Commands {
		names = append(names, c.Name)
		summary[c.Name] = c.Summary
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, summary[n])
	}
	fmt.Fprint(w, `
Commands that talk to the daemon use --socket PATH, else $NASHD_SOCKET, else
$XDG_RUNTIME_DIR/nashd.sock, else nashd.sock in the config directory ($NASHD_CONFIG or ./configs).
Run 'nash COMMAND --help' for a command's options.
`)
}

// lookup finds the command named by the first one or two words of args.
func lookup(args []string) *Command {
	if len(args) >= 2 {
		if c := find(args[0] + " " + args[1]); c != nil {
			return c
		}
	}
	if len(args) >= 1 {
		return find(args[0])
	}
	return nil
}

func find(name string) *Command {
	for _, c := range Commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/daemon/paths"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/remote"
	"github.com/nashd/nashd/reasoning/experiment"
	"github.com/nashd/nashd/reasoning/gtalign"
)

// experimentUsage is the synopsis of `nash experiment`.
const experimentUsage = `games [--games LIST] [--modes raw,prompted,verified] [--runs N] [--rounds N] --out DIR [--model FILE | --socket PATH]
  | dond [--data FILE] [--pairings workflow-workflow,workflow-raw,raw-workflow,raw-raw] [--runs N] --out DIR [--model FILE | --socket PATH]
  | dond --best-only [--data FILE] [--json]
  | gtalign --prompts FILE.jsonl [--pricing A.toml,B.toml] [--rule welfare|nash_product] --out DIR [--model FILE | --socket PATH]
  | report DIR [--write]
  common: [--seed N] [--temperature T] [--parallel N] [--resume] [--threads N] [--ctx N]`

// runExperiment dispatches `nash experiment KIND`.
func runExperiment(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: want an experiment: games, dond, gtalign or report", ErrUsage)
	}
	switch args[0] {
	case "games":
		return runExperimentGames(ctx, env, args[1:])
	case "dond":
		return runExperimentDond(ctx, env, args[1:])
	case "gtalign":
		return runExperimentGtalign(ctx, env, args[1:])
	case "report":
		return runExperimentReport(env, args[1:])
	case "-h", "--help", "-help":
		env.Flags().Usage()
		return flag.ErrHelp
	}
	return fmt.Errorf("%w: unknown experiment %q (want games, dond, gtalign or report)", ErrUsage, args[0])
}

// runFlags are the flags every experiment run takes.
type runFlags struct {
	out, model, socket      *string
	seed                    *uint64
	temp                    *float64
	runs, parallel, threads *int
	nctx                    *int
	resume                  *bool
}

func addRunFlags(fs *flag.FlagSet, runs int) *runFlags {
	return &runFlags{
		out:      fs.String("out", "", "output `DIR` for manifest.json, records.jsonl, summary.md and the plots"),
		model:    fs.String("model", "", "model `FILE` (GGUF), loaded in this process (without it: the daemon's serving model)"),
		socket:   socketFlag(fs),
		seed:     fs.Uint64("seed", 1, "the experiment's seed (each run's sampler is seeded from it and the run's id)"),
		temp:     fs.Float64("temperature", 0.8, "sampling temperature (0: greedy)"),
		runs:     fs.Int("runs", runs, "runs of every configuration"),
		parallel: fs.Int("parallel", 1, "runs in flight at once (the model is loaded with as many slots)"),
		resume:   fs.Bool("resume", false, "continue the experiment whose records --out holds (runs already recorded are skipped)"),
		threads:  fs.Int("threads", 0, "generation threads (0: the engine's default)"),
		nctx:     fs.Int("ctx", 0, "context size per sequence (0: min(trained, 4096))"),
	}
}

// check validates the run flags before anything loads.
func (f *runFlags) check() error {
	if *f.out == "" {
		return fmt.Errorf("%w: --out DIR is required", ErrUsage)
	}
	if *f.model != "" && *f.socket != "" {
		return fmt.Errorf("%w: --model FILE runs in this process, --socket through the daemon: give one", ErrUsage)
	}
	if *f.model == "" && (*f.threads != 0 || *f.nctx != 0) {
		return fmt.Errorf("%w: --threads and --ctx apply to --model FILE; the daemon's models.toml sets its own", ErrUsage)
	}
	if *f.parallel < 1 {
		return fmt.Errorf("%w: --parallel %d (want at least 1)", ErrUsage, *f.parallel)
	}
	return nil
}

// start loads the model with one slot per parallel run, hashes its file and returns the
// options of the run, the generator and the interruptible context.
func (f *runFlags) start(ctx context.Context, env *Env) (context.Context, func(), inference.Generator, experiment.Options, error) {
	if *f.model == "" {
		return f.startDaemon(ctx, env)
	}
	if _, err := os.Stat(*f.model); err != nil {
		return nil, nil, nil, experiment.Options{}, err
	}
	sum, err := experiment.FileSHA256(*f.model)
	if err != nil {
		return nil, nil, nil, experiment.Options{}, err
	}
	gen, err := modelload.Load(config.Spec{Path: *f.model, ContextSize: *f.nctx, Threads: *f.threads, Slots: *f.parallel}, nil)
	if err != nil {
		return nil, nil, nil, experiment.Options{}, err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	o := experiment.Options{Dir: *f.out, Resume: *f.resume, Parallel: *f.parallel, ModelSHA256: sum, Progress: env.Stderr, Terminal: isTerminal(env.Stderr)}
	return ctx, func() { stop(); gen.Close() }, gen, o, nil
}

// startDaemon runs the experiment on the daemon's serving model: the harness talks to nashd
// as to any remote server of its own dialect (/v1/completions with grammars and prompt token
// ids, so prefix reuse and grammar constraints behave as in-process), with --parallel
// requests in flight; the daemon batches them over its slots. Records name the model by the
// daemon's description and file path, since its file is not ours to hash.
func (f *runFlags) startDaemon(ctx context.Context, env *Env) (context.Context, func(), inference.Generator, experiment.Options, error) {
	sock := *f.socket
	if sock == "" {
		sock = client.DefaultSocket()
	}
	st, err := client.New(sock).WaitReady(ctx, nil)
	if err != nil {
		return nil, nil, nil, experiment.Options{}, err
	}
	if st.Model.Serving == nil {
		return nil, nil, nil, experiment.Options{}, fmt.Errorf("nashd on %s serves no model (models.toml)", sock)
	}
	// The daemon runs on this machine (a Unix socket): hash its model file where it can be
	// read; a remote model of the daemon's own has none ("").
	sum := ""
	if p := st.Model.Serving.Info.Path; p != "" {
		if h, err := experiment.FileSHA256(p); err == nil {
			sum = h
		}
	}
	gen, err := remote.Open(ctx, remote.Options{URL: "unix://" + sock, Model: st.Model.Serving.Name, Dialect: remote.Nashd, MaxConcurrency: *f.parallel})
	if err != nil {
		return nil, nil, nil, experiment.Options{}, fmt.Errorf("nashd on %s: %w", sock, err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	o := experiment.Options{Dir: *f.out, Resume: *f.resume, Parallel: *f.parallel, ModelSHA256: sum,
		Progress: env.Stderr, Terminal: isTerminal(env.Stderr)}
	return ctx, func() { stop(); gen.Close() }, gen, o, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// finish prints an experiment's outcome.
func finish(env *Env, dir string, out *experiment.Outcome, err error) error {
	if err != nil {
		if out != nil && errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.Stderr, "nash experiment: interrupted; %d of %d runs recorded in %s (continue with --resume)\n", out.Skipped+out.Done, out.Total, dir)
		}
		return err
	}
	if _, err := io.WriteString(env.Stdout, out.Summary); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "nash experiment: %d runs (%d this time), records and summary in %s\n", out.Total, out.Done, dir)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func runExperimentGames(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	games := fs.String("games", "default", "games: names in the games directory or files, and the lists default (5 simultaneous + 5 sequential), simultaneous, sequential, perturbed")
	modes := fs.String("modes", "raw,prompted,verified", "the agents' modes (both agents of a run share one)")
	rounds := fs.Int("rounds", 1, "pre-play negotiation rounds of the with-negotiation setting (simultaneous games; 0: without negotiation only)")
	gamesDir := fs.String("games-dir", "", "directory of the game files (default CONFIGDIR/games)")
	messageChars := fs.Int("message-chars", 0, "longest negotiation message (0: the default, 200)")
	reasonChars := fs.Int("reason-chars", 0, "longest reason line before an action (0: the default, 200; -1: none)")
	rf := addRunFlags(fs, 10)
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, pos[0])
	}
	dir := *gamesDir
	if dir == "" {
		dir = filepath.Join(paths.ConfigDir(), "games")
	}
	if err := rf.check(); err != nil {
		return err
	}
	c, err := experiment.NewGamesConfig(dir, splitList(*games), splitList(*modes), *rf.runs, *rounds, *rf.seed, *rf.temp)
	if err != nil {
		return err
	}
	c.MessageChars, c.ReasonChars = *messageChars, *reasonChars
	ctx, done, gen, o, err := rf.start(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	out, err := experiment.RunGames(ctx, gen, c, o)
	return finish(env, *rf.out, out, err)
}

func runExperimentDond(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	data := fs.String("data", "", "Deal or No Deal data `FILE`, one dialogue per line (default: the built-in 50-dialogue sample of the paper)")
	pairings := fs.String("pairings", "", "ALICE-BOB agent kinds, comma-separated (default workflow-workflow,workflow-raw,raw-workflow,raw-raw)")
	limit := fs.Int("limit", 0, "play only the first N dialogues with an envy-free split (0: all)")
	maxRounds := fs.Int("max-rounds", 0, "round limit of a negotiation (0: the default, 10)")
	messageChars := fs.Int("message-chars", 0, "longest message of a turn (0: the default, 200)")
	candidates := fs.Int("candidates", 0, "proposals offered to a workflow agent (0: the default, 3)")
	bestOnly := fs.Bool("best-only", false, "print only the solver's reference row (no model)")
	asJSON := fs.Bool("json", false, "with --best-only: print {\"dialogues\", \"alice\", \"bob\", \"total\"}")
	rf := addRunFlags(fs, 1)
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, pos[0])
	}
	if *bestOnly {
		ds, _, err := experiment.LoadDialogues(*data)
		if err != nil {
			return err
		}
		if *limit > 0 && *limit < len(ds) {
			ds = ds[:*limit]
		}
		row := experiment.BestRow(ds)
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(row)
		}
		_, err = fmt.Fprintf(env.Stdout, "best (solver): %d dialogues with an envy-free split; mean Alice %.2f, Bob %.2f, total %.2f\n", row.Dialogues, row.Alice, row.Bob, row.Total)
		return err
	}
	if *asJSON {
		return fmt.Errorf("%w: --json goes with --best-only", ErrUsage)
	}
	ps, err := experiment.ParsePairings(*pairings)
	if err != nil {
		return err
	}
	if err := rf.check(); err != nil {
		return err
	}
	c, err := experiment.NewDondConfig(*data, ps, *rf.runs, *limit, *maxRounds, *rf.seed, *rf.temp)
	if err != nil {
		return err
	}
	c.MessageChars, c.Candidates = *messageChars, *candidates
	ctx, done, gen, o, err := rf.start(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	out, err := experiment.RunDond(ctx, gen, c, o)
	return finish(env, *rf.out, out, err)
}

func runExperimentGtalign(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	prompts := fs.String("prompts", "", "prompts `FILE.jsonl`: one {\"prompt\": …} per line, optional \"id\", \"label\", \"reference\"")
	pricingFiles := fs.String("pricing", "", "pricing files, comma-separated (default: no pricing)")
	rule := fs.String("rule", "welfare", "selection rule: welfare or nash_product")
	gameFile := fs.String("game", "", "GTAlign game file (default: GTAlign's own game)")
	thinking := fs.Int("thinking-chars", 0, "bound on the <thinking> block (0: the game's)")
	response := fs.Int("response-chars", 0, "bound on an answer (0: the game's)")
	question := fs.Int("question-chars", 0, "bound on a question (0: the game's)")
	maxResp := fs.Int("max-response-tokens", 0, "token cap of the response pass (0: the grammar's bound)")
	rf := addRunFlags(fs, 1)
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, pos[0])
	}
	if *prompts == "" {
		return fmt.Errorf("%w: --prompts FILE.jsonl is required", ErrUsage)
	}
	if err := rf.check(); err != nil {
		return err
	}
	var g *gtalign.Game
	if *gameFile != "" {
		if g, err = gtalign.LoadGame(*gameFile); err != nil {
			return err
		}
	}
	c, err := experiment.NewGtalignConfig(*prompts, splitList(*pricingFiles), *rule, g, *rf.runs, *rf.seed, *rf.temp)
	if err != nil {
		return err
	}
	c.SetLimits(gtalign.Limits{ThinkingChars: *thinking, ResponseChars: *response, QuestionChars: *question}, *maxResp)
	ctx, done, gen, o, err := rf.start(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	out, err := experiment.RunGtalign(ctx, gen, c, o)
	return finish(env, *rf.out, out, err)
}

// runExperimentReport recomputes an experiment's summary from its records and compares it
// with the summary.md the run wrote.
func runExperimentReport(env *Env, args []string) error {
	fs := env.Flags()
	write := fs.Bool("write", false, "write summary.md and the plots again from the records")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want the experiment's output directory", ErrUsage)
	}
	dir := pos[0]
	var s *experiment.Summary
	if *write {
		s, err = experiment.WriteReport(dir)
	} else {
		s, err = experiment.Report(dir)
	}
	if err != nil {
		return err
	}
	if _, err := io.WriteString(env.Stdout, s.Markdown); err != nil {
		return err
	}
	if *write {
		return nil
	}
	old, err := os.ReadFile(filepath.Join(dir, experiment.SummaryFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(env.Stderr, "nash experiment report: %s has no %s (an unfinished run?); --write writes it\n", dir, experiment.SummaryFile)
		return nil
	case err != nil:
		return err
	case string(old) != s.Markdown:
		fmt.Fprintf(env.Stderr, "nash experiment report: the records give a summary different from %s (--write replaces it)\n", experiment.SummaryFile)
		return ExitError{Code: 1}
	}
	fmt.Fprintf(env.Stderr, "nash experiment report: the records reproduce %s\n", experiment.SummaryFile)
	return nil
}

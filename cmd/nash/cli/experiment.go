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
	"sort"
	"strings"

	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/daemon/paths"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/remote"
	"github.com/nashd/nashd/internal/stricttoml"
	"github.com/nashd/nashd/reasoning/experiment"
	"github.com/nashd/nashd/reasoning/gtalign"
)

// experimentUsage is the synopsis of `nash experiment`.
const experimentUsage = `games [--games LIST] [--modes raw,prompted,verified] [--runs N] [--rounds N] --out DIR [--model FILE | --socket PATH]
  | dond [--data FILE] [--pairings workflow-workflow,workflow-raw,raw-workflow,raw-raw] [--runs N] --out DIR [--model FILE | --socket PATH]
  | dond --best-only [--data FILE] [--json]
  | gtalign --prompts FILE.jsonl [--pricing A.toml,B.toml] [--rule welfare|nash_product] [--judge NAME [--models FILE]] --out DIR [--model FILE | --socket PATH]
  | report DIR [--write]
  common: [--seed N] [--temperature T] [--parallel N] [--resume]
  with --model FILE: [--threads N] [--ctx N] [--gpu-layers N|auto] [--main-gpu N] [--gpu-backends DIR]`

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
	gpu                     *gpuFlags

	// daemon is the daemon's serving model when the run goes through it (startDaemon).
	daemon *servedModel
}

// servedModel is the daemon's serving model, as a run through the daemon found it.
type servedModel struct {
	name, configDir, sha256, desc string
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
		gpu:      addGPUFlags(fs),
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
	if g := f.gpu.given(); *f.model == "" && len(g) > 0 {
		return fmt.Errorf("%w: %s: only with --model FILE (the daemon's models.toml places its own model)", ErrUsage, strings.Join(g, ", "))
	}
	if err := f.gpu.check(); err != nil {
		return err
	}
	if *f.parallel < 1 {
		return fmt.Errorf("%w: --parallel %d (want at least 1)", ErrUsage, *f.parallel)
	}
	return nil
}

// start loads the model with one slot per parallel run (its layers placed as --gpu-layers
// asks), hashes its file and returns the options of the run, the generator and the
// interruptible context.
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
	spec, err := f.gpu.place(config.Spec{Path: *f.model, ContextSize: *f.nctx, Threads: *f.threads, Slots: *f.parallel}, gpuLogger(env.Stderr))
	if err != nil {
		return nil, nil, nil, experiment.Options{}, err
	}
	gen, err := modelload.Load(spec, nil)
	if err != nil {
		return nil, nil, nil, experiment.Options{}, err
	}
	printGPU(env.Stderr, "nash experiment:", gen.Info())
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
	sock := f.socketPath()
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
	f.daemon = &servedModel{name: st.Model.Serving.Name, configDir: st.Config.Dir, sha256: sum, desc: st.Model.Serving.Info.Description}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	o := experiment.Options{Dir: *f.out, Resume: *f.resume, Parallel: *f.parallel, ModelSHA256: sum,
		Progress: env.Stderr, Terminal: isTerminal(env.Stderr)}
	return ctx, func() { stop(); gen.Close() }, gen, o, nil
}

// openJudge finds the judge model NAME: through the daemon, its serving model is asked
// through the daemon (gen); in-process, the model file the run loaded is reused (gen);
// any other model of models.toml (modelsFile; default: the daemon's config directory's, or
// CONFIGDIR's in-process) is loaded here with one slot per parallel run, a local GGUF file or
// a remote server alike; a local file's layers are placed on this process's GPU backends
// (--gpu-backends, or the default directory) as its gpu_layers and main_gpu ask, warnings on
// stderr. It returns the judge's reference for the records, its generator and what closes it.
func (f *runFlags) openJudge(name, modelsFile string, gen inference.Generator, modelSHA256 string, stderr io.Writer) (experiment.JudgeRef, inference.Generator, func(), error) {
	none := func() {}
	if d := f.daemon; d != nil && name == d.name && modelsFile == "" {
		return experiment.JudgeRef{Name: name, ModelSHA256: d.sha256, Model: d.desc + ", through the daemon"}, gen, none, nil
	}
	if modelsFile == "" {
		dir := paths.ConfigDir()
		if f.daemon != nil && f.daemon.configDir != "" {
			dir = f.daemon.configDir
		}
		modelsFile = filepath.Join(dir, config.ModelsFile)
	}
	spec, err := judgeSpec(modelsFile, name)
	if err != nil {
		return experiment.JudgeRef{}, nil, none, err
	}
	if spec.IsRemote() {
		spec.Remote.MaxConcurrency = max(spec.Remote.MaxConcurrency, *f.parallel)
		spec.Slots = spec.Remote.MaxConcurrency
		j, err := modelload.Load(*spec, nil)
		if err != nil {
			return experiment.JudgeRef{}, nil, none, fmt.Errorf("judge %s: %w", name, err)
		}
		return experiment.JudgeRef{Name: name, Model: j.Info().Description}, j, func() { j.Close() }, nil
	}
	if _, err := os.Stat(spec.Path); err != nil {
		return experiment.JudgeRef{}, nil, none, fmt.Errorf("judge %s (%s): %w", name, modelsFile, err)
	}
	if *f.model != "" && sameFile(spec.Path, *f.model) {
		return experiment.JudgeRef{Name: name, ModelSHA256: modelSHA256, Model: spec.Path + ", the model under test"}, gen, none, nil
	}
	sum, err := experiment.FileSHA256(spec.Path)
	if err != nil {
		return experiment.JudgeRef{}, nil, none, err
	}
	spec.Slots = *f.parallel
	if *f.threads != 0 {
		spec.Threads = *f.threads
	}
	placed, err := f.gpu.placeSpec(*spec, gpuLogger(stderr))
	if err != nil {
		return experiment.JudgeRef{}, nil, none, fmt.Errorf("judge %s: %w", name, err)
	}
	j, err := modelload.Load(placed, nil)
	if err != nil {
		return experiment.JudgeRef{}, nil, none, fmt.Errorf("judge %s: %w", name, err)
	}
	return experiment.JudgeRef{Name: name, ModelSHA256: sum, Model: spec.Path}, j, func() { j.Close() }, nil
}

// judgeSpec reads the models file and returns the effective settings of the model name,
// with the [inference] defaults of a nashd.toml beside the file, as the daemon reads them.
func judgeSpec(modelsFile, name string) (*config.Spec, error) {
	b, err := os.ReadFile(modelsFile)
	if err != nil {
		return nil, fmt.Errorf("judge %s: %w", name, err)
	}
	abs, err := filepath.Abs(modelsFile)
	if err != nil {
		return nil, err
	}
	snap := &config.Snapshot{Dir: filepath.Dir(abs), Daemon: config.DefaultDaemon()}
	if _, err := stricttoml.Decode(modelsFile, b, &snap.Models); err != nil {
		return nil, fmt.Errorf("judge %s: %w", name, err)
	}
	if err := snap.Models.Validate(); err != nil {
		return nil, fmt.Errorf("judge %s: %s: %w", name, modelsFile, err)
	}
	daemonFile := filepath.Join(snap.Dir, config.DaemonFile)
	if db, err := os.ReadFile(daemonFile); err == nil {
		if _, err := stricttoml.Decode(daemonFile, db, &snap.Daemon); err != nil {
			return nil, fmt.Errorf("judge %s: %w", name, err)
		}
		if err := snap.Daemon.Validate(); err != nil {
			return nil, fmt.Errorf("judge %s: %s: %w", name, daemonFile, err)
		}
	}
	spec := snap.Spec(name)
	if spec == nil {
		names := make([]string, 0, len(snap.Models.Models))
		for n := range snap.Models.Models {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%w: judge %q is not a model of %s (models: %s)", ErrUsage, name, modelsFile, strings.Join(names, ", "))
	}
	return spec, nil
}

// sameFile reports whether a and b name the same file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
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

// finish prints an experiment's outcome: the summary, or how far it got and how to continue
// it (an interrupt, a daemon that went away).
func (f *runFlags) finish(env *Env, out *experiment.Outcome, err error) error {
	dir := *f.out
	if err != nil {
		if out == nil {
			return err
		}
		switch {
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(env.Stderr, "nash experiment: interrupted; %d of %d runs recorded in %s (continue with --resume)\n", out.Skipped+out.Done, out.Total, dir)
		case f.daemon != nil && (errors.Is(err, remote.ErrUnreachable) || errors.Is(err, remote.ErrStreamCut)):
			fmt.Fprintf(env.Stderr, "nash experiment: nashd on %s went away; %d of %d runs recorded in %s (start nashd again and continue with --resume)\n",
				f.socketPath(), out.Skipped+out.Done, out.Total, dir)
		}
		return err
	}
	if _, err := io.WriteString(env.Stdout, out.Summary); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "nash experiment: %d runs (%d this time), records and summary in %s\n", out.Total, out.Done, dir)
	return nil
}

// socketPath is the daemon's socket: --socket, or the default.
func (f *runFlags) socketPath() string {
	if *f.socket != "" {
		return *f.socket
	}
	return client.DefaultSocket()
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
	return rf.finish(env, out, err)
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
	return rf.finish(env, out, err)
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
	judge := fs.String("judge", "", "judge model `NAME` of models.toml: scores every answer 1-10, the answer quality A (the daemon's serving model is asked through the daemon; another model is loaded here)")
	modelsFile := fs.String("models", "", "models.toml `FILE` that defines --judge (default: the daemon's through the daemon, CONFIGDIR/models.toml in-process)")
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
	if *modelsFile != "" && *judge == "" {
		return fmt.Errorf("%w: --models FILE goes with --judge NAME", ErrUsage)
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
	if *judge != "" {
		ref, jgen, closeJudge, err := rf.openJudge(*judge, *modelsFile, gen, o.ModelSHA256, env.Stderr)
		if err != nil {
			return err
		}
		defer closeJudge()
		if err := c.SetJudge(ref, jgen); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "nash experiment: judge %s: %s\n", ref.Name, ref.Model)
		if jgen != gen {
			printGPU(env.Stderr, "nash experiment: judge "+ref.Name+":", jgen.Info())
		}
	}
	out, err := experiment.RunGtalign(ctx, gen, c, o)
	return rf.finish(env, out, err)
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

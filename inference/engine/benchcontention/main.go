// Command benchcontention measures nashd's engine on an idle machine and on a machine whose
// cores are all busy with other programs: prompt and generation tokens/s with each fixed
// thread count (1, 2, … physical cores) and with the adaptive count ("auto").
//
// For each model it opens one engine per configuration (they share the model file's pages),
// warms each up (at least two short requests and 1.5 s: a daemon has been running a while),
// then runs the phases (default "quiet,load"; "quiet" is the machine as it is). Fast models
// repeat a request until a measurement has lasted -min-time. In the
// load phase it starts one busy-loop process per CPU (itself, re-executed with -spin) and
// stops them when the phase ends; the processes also stop themselves after -max-load and
// when this process dies, and scripts/bench-contention.sh kills them on exit. Within a phase
// the configurations run in turns (rotated every repetition), so all see the same machine.
// The adaptive engine keeps its state across phases, as in a running daemon: the load comes
// while it runs. After the load phase it reports how long the adaptive engine took to return
// to all cores.
//
// The table shows medians; cpu is the CPU time the process used per second of measurement
// (its threads working, or spinning). Then come one ratio line per model and phase, and last
// "contention_ratio=X" (auto under load ÷ the best fixed count under load, the smallest over
// models and metrics; target ≥ 0.9) and "quiet_ratio=Y" (the same on the idle machine; target
// ≥ 0.97).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

const filler = "In a repeated prisoner's dilemma the row player compares the payoff of cooperation " +
	"with the temptation to defect, while the column player anticipates the best response and " +
	"updates a belief about the opponent's private values after every round of the negotiation game. "

// warmUp is the least time each engine is warmed up (see benchModel).
const warmUp = 1500 * time.Millisecond

type config struct {
	name    string // "1", "2", "auto"
	threads int    // engine.Options.Threads
	poll    int
}

type flags struct {
	models, threads, polls, phases string
	reps, prompt, gen, ctx         int
	runLimit, maxLoad, minTime     time.Duration
	procs                          int
	debug                          bool
}

func main() {
	var f flags
	cores := engine.PhysicalCores()
	defThreads := []string{}
	for n := 1; n <= cores; n++ {
		defThreads = append(defThreads, strconv.Itoa(n))
	}
	defThreads = append(defThreads, "auto")
	flag.StringVar(&f.models, "models", "tiny,models/testdata/gen/bench.gguf", "comma-separated models: GGUF paths, \"tiny\" (generated), or \"shape:EMBDxBLOCKSxFFN\" (a generated F32 model of that shape)")
	flag.StringVar(&f.threads, "threads", strings.Join(defThreads, ","), "comma-separated thread configurations: counts and \"auto\"")
	flag.StringVar(&f.polls, "polls", "0", "comma-separated polling levels (each configuration runs at each)")
	flag.StringVar(&f.phases, "phases", "quiet,load", "comma-separated phases: quiet, load")
	flag.IntVar(&f.reps, "reps", 3, "repetitions per configuration and phase (the table shows medians)")
	flag.IntVar(&f.prompt, "prompt", 128, "prompt tokens")
	flag.IntVar(&f.gen, "gen", 32, "tokens to generate")
	flag.IntVar(&f.ctx, "ctx", 1024, "context size")
	flag.DurationVar(&f.runLimit, "run-limit", 20*time.Second, "longest time one request may run (a collapsed configuration is cut off and measured on what it did)")
	flag.DurationVar(&f.minTime, "min-time", 500*time.Millisecond, "least time of one measurement (fast models repeat the request)")
	flag.DurationVar(&f.maxLoad, "max-load", 5*time.Minute, "longest time the busy loops may run in all")
	flag.IntVar(&f.procs, "load-procs", runtime.NumCPU(), "busy-loop processes in the load phase")
	flag.BoolVar(&f.debug, "debug", false, "log the engines' debug lines (thread count changes) to stderr")
	spin := flag.Duration("spin", 0, "internal: busy-loop for this long (the load processes)")
	flag.Parse()
	if *spin > 0 {
		spinFor(*spin)
		return
	}
	if err := run(f); err != nil {
		fmt.Fprintln(os.Stderr, "benchcontention:", err)
		os.Exit(1)
	}
}

// spinFor burns one CPU until d has passed or the parent process is gone.
func spinFor(d time.Duration) {
	parent := os.Getppid()
	end := time.Now().Add(d)
	x := uint64(1)
	for {
		for range 1 << 22 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if time.Now().After(end) || os.Getppid() != parent {
			break
		}
	}
	if x == 42 {
		fmt.Println(x)
	}
}

// load runs busy-loop processes.
type load struct {
	procs    []*exec.Cmd
	budget   time.Duration // busy-loop time left
	started  time.Time
	parallel int
}

func (l *load) start() error {
	if len(l.procs) > 0 {
		return nil
	}
	if l.budget <= 0 {
		return errors.New("the load's time budget (-max-load) is spent")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for range l.parallel {
		cmd := exec.Command(self, "-spin", l.budget.String())
		cmd.SysProcAttr = dieWithParent()
		if err := cmd.Start(); err != nil {
			l.stop()
			return fmt.Errorf("start busy loop: %w", err)
		}
		l.procs = append(l.procs, cmd)
	}
	l.started = time.Now()
	return nil
}

func (l *load) stop() {
	for _, c := range l.procs {
		c.Process.Kill()
		c.Wait()
	}
	if len(l.procs) > 0 {
		l.budget -= time.Since(l.started)
	}
	l.procs = nil
}

// sample is one measured request.
// sample is one measurement: tokens/s and the CPU time the process used per second (the
// engine's threads, busy or spinning).
type sample struct{ prompt, gen, cpu float64 }

// cpuTime returns the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type result struct {
	model, phase string
	cfg          config
	samples      []sample
	threadsEnd   string // the adaptive engine's counts after the phase
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r result) med() (prompt, gen float64) {
	var p, g []float64
	for _, s := range r.samples {
		p, g = append(p, s.prompt), append(g, s.gen)
	}
	return median(p), median(g)
}

func (r result) cpu() float64 {
	var c []float64
	for _, s := range r.samples {
		c = append(c, s.cpu)
	}
	return median(c)
}

func parseConfigs(threads, polls string) ([]config, error) {
	var out []config
	for _, ps := range strings.Split(polls, ",") {
		poll, err := strconv.Atoi(strings.TrimSpace(ps))
		if err != nil || poll < 0 || poll > llama.MaxPoll {
			return nil, fmt.Errorf("bad poll %q", ps)
		}
		for _, ts := range strings.Split(threads, ",") {
			ts = strings.TrimSpace(ts)
			c := config{name: ts, poll: poll}
			if ts == "auto" {
				c.threads = engine.AutoThreads
			} else if c.threads, err = strconv.Atoi(ts); err != nil || c.threads < 1 {
				return nil, fmt.Errorf("bad thread count %q", ts)
			}
			if strings.Contains(polls, ",") {
				c.name += fmt.Sprintf("/poll%d", poll)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// modelPath resolves a -models entry, generating test models into dir.
func modelPath(m, dir string) (string, error) {
	var spec models.Spec
	switch {
	case m == "tiny":
		s, err := models.ShapeSpec("tiny")
		if err != nil {
			return "", err
		}
		spec = s
	case strings.HasPrefix(m, "shape:"):
		var embd, blocks, ffn int
		if _, err := fmt.Sscanf(strings.TrimPrefix(m, "shape:"), "%dx%dx%d", &embd, &blocks, &ffn); err != nil {
			return "", fmt.Errorf("bad shape %q (want shape:EMBDxBLOCKSxFFN)", m)
		}
		s, err := models.ShapeSpec("tiny")
		if err != nil {
			return "", err
		}
		s.Embd, s.Blocks, s.FFN, s.Heads, s.HeadsKV = embd, blocks, ffn, max(embd/64, 1), 0
		spec = s
	default:
		if _, err := os.Stat(m); err != nil {
			return "", fmt.Errorf("model %s: %w (make models/testdata/gen/bench.gguf makes the bench model)", m, err)
		}
		return m, nil
	}
	p := filepath.Join(dir, strings.NewReplacer(":", "-", "/", "-").Replace(m)+".gguf")
	return p, models.Generate(p, spec)
}

// prompts returns n prompt texts of about nTok tokens, distinct from their first token on,
// so the engines' prefix caches cannot help.
func prompts(e *engine.Engine, n, nTok int) ([]string, error) {
	text := strings.Repeat(filler, 1+nTok/20)
	var out []string
	for i := range n {
		head := fmt.Sprintf("%c%d. ", 'A'+i%26, i+1)
		lo, hi, best := 0, len(text), ""
		for lo <= hi {
			mid := (lo + hi) / 2
			toks, err := e.Tokenize(head+text[:mid], false)
			if err != nil {
				return nil, err
			}
			if len(toks) <= nTok {
				best, lo = head+text[:mid], mid+1
			} else {
				hi = mid - 1
			}
		}
		out = append(out, best)
	}
	return out, nil
}

// measure runs requests until minTime has passed (at least one): prompt tok/s and generation
// tok/s over all of them (generation 0 when nothing was generated before the limit). Fast
// models need many requests for a figure that one preemption does not halve.
func measure(ctx context.Context, e *engine.Engine, next func() string, gen int, limit, minTime time.Duration) (sample, error) {
	var promptN, genN int
	var promptMS, genMS float64
	cpu0, start := cpuTime(), time.Now()
	for promptN == 0 || time.Since(start) < minTime {
		rctx, cancel := context.WithTimeout(ctx, limit)
		res, err := e.Generate(rctx, inference.Request{Prompt: next(), MaxTokens: gen, Sampling: inference.Sampling{Temperature: 0}}, nil)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return sample{}, err
		}
		t := res.Timings
		promptN += t.PromptN
		if t.PredictedN == 0 {
			// Cut off during the prompt: all we know is that it took longer than the limit.
			promptMS += limit.Seconds() * 1000
		} else {
			promptMS += t.PromptMS
		}
		genN += t.PredictedN
		genMS += t.PredictedMS
		if ctx.Err() != nil {
			return sample{}, ctx.Err()
		}
	}
	s := sample{prompt: float64(promptN) / promptMS * 1000, cpu: (cpuTime() - cpu0).Seconds() / time.Since(start).Seconds()}
	if genMS > 0 {
		s.gen = float64(genN) / genMS * 1000
	}
	return s, nil
}

func threadsNow(e *engine.Engine) string {
	st := e.ThreadStats()
	return fmt.Sprintf("gen %d (stalls %d, stopped %d) batch %d (stalls %d, stopped %d)",
		st.Generation.Threads, st.Generation.Stalls, st.Generation.Stopped, st.Batch.Threads, st.Batch.Stalls, st.Batch.Stopped)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// load1 returns the 1-minute load average, or 0.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return v
}

func run(f flags) error {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	llama.SetLogger(quiet)
	cfgs, err := parseConfigs(f.threads, f.polls)
	if err != nil {
		return err
	}
	phases := strings.Split(f.phases, ",")
	for _, p := range phases {
		if p != "quiet" && p != "load" {
			return fmt.Errorf("bad phase %q (quiet or load)", p)
		}
	}
	dir, err := os.MkdirTemp("", "benchcontention-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ld := &load{budget: f.maxLoad, parallel: f.procs}
	defer ld.stop()
	// Stop the busy loops on SIGINT/SIGTERM (the script's trap sends SIGTERM).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	l0 := load1()
	fmt.Printf("benchcontention: physical cores %d, NumCPU %d, load processes %d; prompt %d tokens, generate %d; %d repetitions; load average %s\n",
		engine.PhysicalCores(), runtime.NumCPU(), f.procs, f.prompt, f.gen, f.reps, loadavg())
	var results []result
	for _, m := range strings.Split(f.models, ",") {
		path, err := modelPath(strings.TrimSpace(m), dir)
		if err != nil {
			return err
		}
		rs, err := benchModel(ctx, f, path, m, cfgs, phases, ld)
		results = append(results, rs...)
		if err != nil {
			return err
		}
	}
	if l0 >= 0.5*float64(runtime.NumCPU()) {
		fmt.Printf("\nnote: the load average was %.2f on %d CPUs before the benchmark: other programs were running, so the quiet phase was not idle\n", l0, runtime.NumCPU())
	}
	report(results, cfgs)
	return nil
}

func benchModel(ctx context.Context, f flags, path, name string, cfgs []config, phases []string, ld *load) ([]result, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if f.debug {
		quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	engines := make([]*engine.Engine, len(cfgs))
	defer func() {
		for _, e := range engines {
			if e != nil {
				e.Close()
			}
		}
	}()
	for i, c := range cfgs {
		e, err := engine.Open(path, engine.Options{ContextSize: f.ctx, Threads: c.threads, Poll: c.poll, Logger: quiet})
		if err != nil {
			return nil, err
		}
		engines[i] = e
	}
	info := engines[0].Info()
	fmt.Printf("\nmodel %s: %s, %.1f MB, %d parameters\n", name, info.Description, float64(info.SizeBytes)/1e6, info.Parameters)
	ps, err := prompts(engines[0], 26*4, f.prompt)
	if err != nil {
		return nil, err
	}
	next := 0
	prompt := func() string { next++; return ps[next%len(ps)] }
	// Warm-up, not counted: page cache, thread pools, and for the adaptive engines a running
	// start (a daemon has been running for a while): at least 2 requests and warmUp each.
	for _, e := range engines {
		for n, start := 0, time.Now(); n < 2 || time.Since(start) < warmUp; n++ {
			if _, err := measure(ctx, e, prompt, 8, f.runLimit, 0); err != nil {
				return nil, err
			}
		}
	}
	var out []result
	for _, phase := range phases {
		if phase == "load" {
			if err := ld.start(); err != nil {
				return out, err
			}
			time.Sleep(500 * time.Millisecond) // let the busy loops spread over the cores
		} else {
			ld.stop()
		}
		fmt.Printf("  phase %s (load average %s)\n", phase, loadavg())

		rs := make([]result, len(cfgs))
		for i := range cfgs {
			rs[i] = result{model: name, phase: phase, cfg: cfgs[i]}
		}
		for rep := range f.reps {
			for k := range cfgs {
				i := (k + rep) % len(cfgs)
				s, err := measure(ctx, engines[i], prompt, f.gen, f.runLimit, f.minTime)
				if err != nil {
					return out, err
				}
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				rs[i].samples = append(rs[i].samples, s)
				fmt.Printf("    rep %d %-11s prompt %8.1f tok/s  generation %8.1f tok/s  cpu %.2f\n", rep+1, cfgs[i].name, s.prompt, s.gen, s.cpu)
			}
		}
		for i, c := range cfgs {
			if c.threads == engine.AutoThreads {
				rs[i].threadsEnd = threadsNow(engines[i])
			}
		}
		out = append(out, rs...)
		if phase == "load" {
			ld.stop()
			if err := recovery(ctx, f, engines, cfgs, prompt); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// recovery reports how long each adaptive engine takes to return to its most threads (both
// kinds of steps) once the load has stopped, serving short requests meanwhile (at most 30 s).
func recovery(ctx context.Context, f flags, engines []*engine.Engine, cfgs []config, prompt func() string) error {
	for i, c := range cfgs {
		if c.threads != engine.AutoThreads {
			continue
		}
		e := engines[i]
		start := time.Now()
		back := func() bool {
			st := e.ThreadStats()
			return st.Generation.Threads == st.Generation.Max && st.Batch.Threads == st.Batch.Max
		}
		for !back() && time.Since(start) < 30*time.Second && ctx.Err() == nil {
			if _, err := measure(ctx, e, prompt, 8, f.runLimit, 0); err != nil {
				return err
			}
		}
		st := e.ThreadStats()
		fmt.Printf("  %s after the load stopped: generation %d of %d threads, batch %d of %d, after %.1f s\n", c.name,
			st.Generation.Threads, st.Generation.Max, st.Batch.Threads, st.Batch.Max, time.Since(start).Seconds())
	}
	return nil
}

func report(results []result, cfgs []config) {
	fmt.Printf("\n%-32s %-6s %-11s %13s %17s %5s\n", "model", "phase", "threads", "prompt tok/s", "generation tok/s", "cpu")
	for _, r := range results {
		p, g := r.med()
		fmt.Printf("%-32s %-6s %-11s %13.1f %17.1f %5.2f", r.model, r.phase, r.cfg.name, p, g, r.cpu())
		if r.threadsEnd != "" {
			fmt.Printf("   (%s)", r.threadsEnd)
		}
		fmt.Println()
	}
	// Ratios: auto ÷ the best fixed configuration, per model, phase and metric.
	ratio := map[string]float64{"quiet": 2, "load": 2} // smallest ratio per phase
	type key struct{ model, phase string }
	groups := map[key][]result{}
	var order []key
	for _, r := range results {
		k := key{r.model, r.phase}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	fmt.Println()
	for _, k := range order {
		var bestP, bestG, autoP, autoG float64
		auto := false
		for _, r := range groups[k] {
			p, g := r.med()
			if r.cfg.threads == engine.AutoThreads {
				autoP, autoG, auto = p, g, true
				continue
			}
			bestP, bestG = max(bestP, p), max(bestG, g)
		}
		if !auto || bestP == 0 || bestG == 0 {
			continue
		}
		rp, rg := autoP/bestP, autoG/bestG
		fmt.Printf("%s %s: prompt auto/best %.3f, generation auto/best %.3f\n", k.model, k.phase, rp, rg)
		ratio[k.phase] = min(ratio[k.phase], rp, rg)
	}
	if r := ratio["load"]; r < 2 {
		fmt.Printf("contention_ratio=%.3f\n", r)
	}
	if r := ratio["quiet"]; r < 2 {
		fmt.Printf("quiet_ratio=%.3f\n", r)
	}
}

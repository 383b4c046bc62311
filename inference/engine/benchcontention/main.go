// Command benchcontention measures nashd's engine on an idle machine and on a machine whose
// cores are all busy with other programs: prompt and generation tokens/s with each fixed
// thread count (1, 2, … physical cores) and with the adaptive count ("auto").
//
// For each model it opens one engine per configuration (they share the model file's pages),
// warms each up (at least four short requests and 1.5 s: a daemon has been running a while),
// then runs the phases (default "quiet,load"; "quiet" is the machine as it is). Fast models
// repeat a request until a measurement has lasted -min-time. In the
// load phase it starts one busy-loop process per CPU (itself, re-executed with -spin) and
// stops them when the phase ends; the processes also stop themselves after -max-load and
// when this process dies, and scripts/bench-contention.sh kills them on exit. Within a phase
// the configurations take turns of -slice (at least one request; in an order that changes
// every repetition) until each has its measurement, so all see the same moments of the
// machine (see measureRound).
// The adaptive engine keeps its state across phases, as in a running daemon: the load comes
// while it runs. After the load phase it reports how long the adaptive engine took to return
// to all cores.
//
// The table shows the medians of the repetitions with their range, and the pooled throughput
// (all tokens ÷ all time: a configuration that collapses now and then is charged for the
// time it lost, which its median hides); cpu is the CPU time the process used per second of
// measurement (its threads working, or spinning). Each phase reports the CPUs other programs
// used meanwhile (/proc/stat less this process: a quiet phase on a busy machine is not
// quiet), and the adaptive engine's steps at each thread count. Then come one ratio line per
// model and phase, and last "contention_ratio=X" (auto under load ÷ the best fixed count
// under load, medians, the smallest over models and metrics; target ≥ 0.9) and
// "quiet_ratio=Y" (the same on the idle machine; target ≥ 0.97), each also "_pooled" and
// "_per_metric". The best fixed count is the one configuration a user tuning threads for
// this workload would set: the one whose turn (-prompt tokens, then -gen generated) takes the
// least time at its rates; auto is compared with it on prompts and on generation. Against
// the best count of each metric separately ("_per_metric"), auto has to match on prompts a
// count that may generate at half the speed (two threads on a small model), a configuration
// no one would choose. See ratios.go. -record and -replay measure the controller's choices on
// step traces instead (see trace.go).
package main

import (
	"bufio"
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
	"github.com/nashd/nashd/inference/engine/threadctl"
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
	batch   int    // engine.Options.BatchThreads ("G/B": G for generation, B for prompts)
	poll    int
}

type flags struct {
	models, threads, polls, phases string
	record, replay                 string
	recordTime                     time.Duration
	reps, prompt, gen, ctx         int
	runLimit, maxLoad, minTime     time.Duration
	slice                          time.Duration
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
	flag.StringVar(&f.threads, "threads", strings.Join(defThreads, ","), "comma-separated thread configurations: counts, \"G/B\" (G threads for generation, B for prompts) and \"auto\"")
	flag.StringVar(&f.polls, "polls", "0", "comma-separated polling levels (each configuration runs at each)")
	flag.StringVar(&f.phases, "phases", "quiet,load", "comma-separated phases: quiet, load")
	flag.IntVar(&f.reps, "reps", 3, "repetitions per configuration and phase (the table shows medians)")
	flag.IntVar(&f.prompt, "prompt", 128, "prompt tokens")
	flag.IntVar(&f.gen, "gen", 32, "tokens to generate")
	flag.IntVar(&f.ctx, "ctx", 1024, "context size")
	flag.DurationVar(&f.runLimit, "run-limit", 20*time.Second, "longest time one request may run (a collapsed configuration is cut off and measured on what it did)")
	flag.DurationVar(&f.minTime, "min-time", 500*time.Millisecond, "least time of one measurement (fast models repeat the request)")
	flag.DurationVar(&f.slice, "slice", 100*time.Millisecond, "the configurations take turns of this long (at least one request each) until each measurement has its -min-time; -min-time or more measures each in one turn")
	flag.DurationVar(&f.maxLoad, "max-load", 5*time.Minute, "longest time the busy loops may run in all")
	flag.IntVar(&f.procs, "load-procs", runtime.NumCPU(), "busy-loop processes in the load phase")
	flag.BoolVar(&f.debug, "debug", false, "log the engines' debug lines (thread count changes) to stderr")
	flag.StringVar(&f.record, "record", "", "record step traces of the models into this file (fixed counts of -threads in alternation, -record-time each; see trace.go) instead of benchmarking")
	flag.DurationVar(&f.recordTime, "record-time", time.Minute, "with -record: how long to record each model")
	flag.StringVar(&f.replay, "replay", "", "replay the step traces of this file (written by -record) with each fixed count and the adaptive controller, and print the ratios")
	spin := flag.Duration("spin", 0, "internal: busy-loop for this long (the load processes)")
	flag.Parse()
	if *spin > 0 {
		spinFor(*spin)
		return
	}
	var err error
	switch {
	case f.replay != "":
		err = replayReport(f.replay)
	case f.record != "":
		err = recordAll(f)
	default:
		err = run(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcontention:", err)
		os.Exit(1)
	}
}

// recordAll records step traces of every model (see record) into f.record.
func recordAll(f flags) error {
	llama.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var counts []int
	for _, ts := range strings.Split(f.threads, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(ts)); err == nil && n > 0 {
			counts = append(counts, n)
		}
	}
	if len(counts) == 0 {
		return fmt.Errorf("-record needs fixed thread counts in -threads (got %q)", f.threads)
	}
	dir, err := os.MkdirTemp("", "benchcontention-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out, err := os.Create(f.record)
	if err != nil {
		return err
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(w, "# recorded %s; load average %s\n", time.Now().Format(time.RFC3339), loadavg())
	for _, m := range strings.Split(f.models, ",") {
		path, err := modelPath(strings.TrimSpace(m), dir)
		if err != nil {
			return err
		}
		if err := record(ctx, w, m, path, counts, f.prompt, f.gen, 4, f.recordTime); err != nil {
			return err
		}
		fmt.Fprintf(w, "# load average %s\n", loadavg())
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
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

// spent reports whether the running busy loops have reached the budget (and so stopped).
func (l *load) spent() bool { return len(l.procs) > 0 && time.Since(l.started) >= l.budget }

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

// sample is one measurement: tokens/s and the CPU time the process used per second (the
// engine's threads, busy or spinning).
type sample struct {
	prompt, gen, cpu float64
	// The tokens and milliseconds behind prompt and gen (pooled over repetitions: all tokens
	// over all time, the throughput a user sees, collapses included).
	promptN, genN   int
	promptMS, genMS float64
}

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
	// genAt and batchAt count the adaptive engine's steps at each thread count during the
	// phase (generation steps; prompt chunks).
	genAt, batchAt []uint64
	others         float64 // CPUs that other programs (the busy loops included) used during the phase
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

// spread returns the smallest and largest of a metric over the repetitions.
func (r result) spread(metric func(sample) float64) (lo, hi float64) {
	for i, s := range r.samples {
		v := metric(s)
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	return lo, hi
}

func promptOf(s sample) float64 { return s.prompt }
func genOf(s sample) float64    { return s.gen }

// pooled returns all the tokens over all the time of the repetitions, in tokens/s: prompt
// (gen false) or generation.
func pooled(samples []sample, gen bool) float64 {
	var n int
	var ms float64
	for _, s := range samples {
		if gen {
			n, ms = n+s.genN, ms+s.genMS
		} else {
			n, ms = n+s.promptN, ms+s.promptMS
		}
	}
	if ms <= 0 {
		return 0
	}
	return float64(n) / ms * 1000
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
			gen, batch, split := strings.Cut(ts, "/")
			if gen == "auto" && !split {
				c.threads = engine.AutoThreads
			} else if c.threads, err = strconv.Atoi(gen); err != nil || c.threads < 1 {
				return nil, fmt.Errorf("bad thread count %q", ts)
			}
			if split {
				if c.batch, err = strconv.Atoi(batch); err != nil || c.batch < 1 {
					return nil, fmt.Errorf("bad batch thread count %q", ts)
				}
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

// threadsNow describes an adaptive engine's counts now, and how its steps since before were
// spread over the thread counts.
func threadsNow(e *engine.Engine, before threadctl.Report) string {
	st := e.ThreadStats()
	kind := func(s, b threadctl.Stats) string {
		return fmt.Sprintf("%d (steps %s; stopped %d, down %d, up %d)", s.Threads, formatStepsAt(stepsSince(s, b)),
			s.Stopped-b.Stopped, s.StepsDown-b.StepsDown, s.StepsUp-b.StepsUp)
	}
	return "gen " + kind(st.Generation, before.Generation) + ", batch " + kind(st.Batch, before.Batch)
}

// stepsSince returns the steps at each thread count from b to s.
func stepsSince(s, b threadctl.Stats) []uint64 {
	out := slices.Clone(s.StepsAt)
	for n := range min(len(out), len(b.StepsAt)) {
		out[n] -= b.StepsAt[n]
	}
	return out
}

// shareAt returns the share of the steps in at that ran with n threads (-1: no steps).
func shareAt(at []uint64, n int) float64 {
	var all uint64
	for _, v := range at {
		all += v
	}
	if all == 0 || n >= len(at) {
		return -1
	}
	return float64(at[n]) / float64(all)
}

// cpuUse reads the CPU time of all programs (/proc/stat) and of this process.
type cpuUse struct {
	at        time.Time
	all, self time.Duration
	ok        bool
}

func readCPUUse() cpuUse {
	u := cpuUse{at: time.Now(), self: cpuTime()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return u
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return u
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return u
		}
		ticks += v
	}
	u.all, u.ok = time.Duration(ticks)*10*time.Millisecond, true
	return u
}

// othersSince returns the CPUs that programs other than this one used on average since u
// (the busy loops of the load phase included), or -1 when unknown.
func othersSince(u cpuUse) float64 {
	v := readCPUUse()
	wall := v.at.Sub(u.at).Seconds()
	if !u.ok || !v.ok || wall <= 0 {
		return -1
	}
	return max(((v.all-u.all)-(v.self-u.self)).Seconds()/wall, 0)
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
	report(results, workload{prompt: f.prompt, gen: f.gen})
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
		e, err := engine.Open(path, engine.Options{ContextSize: f.ctx, Threads: c.threads, BatchThreads: c.batch, Poll: c.poll, Logger: quiet})
		if err != nil {
			return nil, err
		}
		engines[i] = e
	}
	gens := make([]generate, len(engines))
	for i, e := range engines {
		gens[i] = generateOf(e)
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
	// start (a daemon has been running for a while): at least 4 requests (past the
	// controllers' start-up probes; one prompt chunk each) and warmUp each.
	for _, g := range gens {
		for n, start := 0, time.Now(); n < 4 || time.Since(start) < warmUp; n++ {
			var m meter
			if _, err := m.request(ctx, g, prompt(), 8, f.runLimit, 0); err != nil {
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
		use, phaseStart := readCPUUse(), time.Now()
		before := make([]threadctl.Report, len(engines))
		for i, e := range engines {
			before[i] = e.ThreadStats()
		}

		rs := make([]result, len(cfgs))
		for i := range cfgs {
			rs[i] = result{model: name, phase: phase, cfg: cfgs[i]}
		}
		orders := turnOrders(len(cfgs))
		for rep := range f.reps {
			order := orders[rep%len(orders)]
			ss, err := measureRound(ctx, gens, order, prompt, f.gen, f.runLimit, f.minTime, f.slice)
			if err != nil {
				return out, err
			}
			for _, i := range order {
				s := ss[i]
				rs[i].samples = append(rs[i].samples, s)
				fmt.Printf("    rep %d %-11s prompt %8.1f tok/s  generation %8.1f tok/s  cpu %.2f\n", rep+1, cfgs[i].name, s.prompt, s.gen, s.cpu)
			}
		}
		others := othersSince(use)
		if phase == "load" && ld.spent() {
			fmt.Printf("  warning: the busy loops reached -max-load (MAX_LOAD) during this phase: its last measurements ran without them; raise it\n")
		}
		fmt.Printf("  phase %s done in %.0f s (load average %s; other programs used %.2f CPUs on average)\n", phase, time.Since(phaseStart).Seconds(), loadavg(), others)
		for i, c := range cfgs {
			rs[i].others = others
			if c.threads == engine.AutoThreads {
				rs[i].threadsEnd = threadsNow(engines[i], before[i])
				after := engines[i].ThreadStats()
				rs[i].genAt = stepsSince(after.Generation, before[i].Generation)
				rs[i].batchAt = stepsSince(after.Batch, before[i].Batch)
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

// generateOf returns e's Generate without streaming.
func generateOf(e *engine.Engine) generate {
	return func(ctx context.Context, req inference.Request) (inference.Result, error) {
		return e.Generate(ctx, req, nil)
	}
}

// turnOrders returns the orders in which the configurations take their turns, one per
// repetition, cycled: every permutation for up to 4 configurations, so that over n!
// repetitions each one follows every other equally often (a rotation has auto follow the
// same configuration every time, and a collapsed configuration just before slows the next
// one down); a rotation for more.
func turnOrders(n int) [][]int {
	if n > 4 {
		out := make([][]int, n)
		for r := range n {
			for k := range n {
				out[r] = append(out[r], (k+r)%n)
			}
		}
		return out
	}
	var out [][]int
	var perm func(prefix []int, rest []int)
	perm = func(prefix, rest []int) {
		if len(rest) == 0 {
			out = append(out, slices.Clone(prefix))
			return
		}
		for i, v := range rest {
			others := append(slices.Clone(rest[:i]), rest[i+1:]...)
			perm(append(prefix, v), others)
		}
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	perm(nil, all)
	return out
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
			var m meter
			if _, err := m.request(ctx, generateOf(e), prompt(), 8, f.runLimit, 0); err != nil {
				return err
			}
		}
		st := e.ThreadStats()
		fmt.Printf("  %s after the load stopped: generation %d of %d threads, batch %d of %d, after %.1f s\n", c.name,
			st.Generation.Threads, st.Generation.Max, st.Batch.Threads, st.Batch.Max, time.Since(start).Seconds())
	}
	return nil
}

func report(results []result, w workload) {
	fmt.Printf("\ntok/s: medians of the repetitions [smallest-largest], then pooled (all tokens ÷ all time: collapses weigh\n" +
		"what they cost); cpu: CPUs this process used while measuring\n")
	fmt.Printf("%-32s %-6s %-11s %26s %9s %26s %9s %5s\n", "model", "phase", "threads", "prompt", "pooled", "generation", "pooled", "cpu")
	for _, r := range results {
		p, g := r.med()
		plo, phi := r.spread(promptOf)
		glo, ghi := r.spread(genOf)
		fmt.Printf("%-32s %-6s %-11s %26s %9.1f %26s %9.1f %5.2f", r.model, r.phase, r.cfg.name,
			fmt.Sprintf("%.1f [%.1f-%.1f]", p, plo, phi), pooled(r.samples, false),
			fmt.Sprintf("%.1f [%.1f-%.1f]", g, glo, ghi), pooled(r.samples, true), r.cpu())
		if r.threadsEnd != "" {
			fmt.Printf("\n%52s threads now: %s", "", r.threadsEnd)
		}
		fmt.Println()
	}
	lines, verdicts := judge(results, w)
	fmt.Println()
	for _, l := range lines {
		fmt.Println(l)
	}
	summary, keys := verdictLines(verdicts)
	fmt.Println()
	for _, l := range append(summary, keys...) {
		fmt.Println(l)
	}
}

// medianOf returns the median of a metric over samples.
func medianOf(samples []sample, of func(sample) float64) float64 {
	var v []float64
	for _, s := range samples {
		v = append(v, of(s))
	}
	return median(v)
}

// formatStepsAt is "a×2 b×1" for a steps at 2 threads and b at 1 (at[n]: steps at n threads;
// counts without steps left out), or "none".
func formatStepsAt(at []uint64) string {
	var out []string
	for n := len(at) - 1; n >= 1; n-- {
		if at[n] > 0 {
			out = append(out, fmt.Sprintf("%d×%d", at[n], n))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

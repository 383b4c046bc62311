package main

// Step traces: the same machine, the same moments, every policy. A benchmark on a shared
// machine compares configurations that ran at different moments, under different loads from
// other programs, so its ratios carry the noise of those loads. -record instead times single
// decode steps (prompt chunks and generation steps) of each model with each fixed thread count
// in quick alternation, with the CPUs other programs left free at each step, and writes them
// down; -replay runs the fixed counts and the adaptive controller over such a trace on a
// simulated clock (a step takes what the trace says a step with that many threads took at
// that moment; a step over the controller's limit is stopped there and run again), so every
// policy meets the same load, and the ratios measure the controller's choices alone.

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nashd/nashd/inference/engine/threadctl"
	"github.com/nashd/nashd/inference/llama"
)

// traceStep is one recorded decode step.
type traceStep struct {
	prompt  bool          // a prompt chunk (tokens > 1) or a generation step
	threads int           // thread count
	tokens  int           // tokens in the batch
	at, dur time.Duration // start (since the trace began) and duration
	free    float64       // CPUs other programs left free (the CPU sensor; -1 unknown)
}

// record times decode steps of one model for span: requests of a prompt chunk of nPrompt
// tokens and nGen generation steps; prompts alternate between the thread counts request by
// request, generation steps in blocks of block steps. Lines: "p|g threads tokens at_us dur_us
// free".
func record(ctx context.Context, w *bufio.Writer, name, path string, counts []int, nPrompt, nGen, block int, span time.Duration) error {
	m, err := llama.LoadModel(path, llama.ModelParams{})
	if err != nil {
		return fmt.Errorf("record %s: %w", name, err)
	}
	defer m.Close()
	lctx, err := llama.NewContext(m, llama.ContextParams{NCtx: nPrompt + nGen + 16, NBatch: max(nPrompt, 1), Threads: counts[0], ThreadsBatch: counts[0]})
	if err != nil {
		return fmt.Errorf("record %s: %w", name, err)
	}
	defer lctx.Close()
	b := llama.NewBatch(max(nPrompt, 1))
	defer b.Free()
	sensor := threadctl.NewCPUSensor()
	rng := rand.New(rand.NewPCG(1, 2))
	nv := m.NVocab()
	fmt.Fprintf(w, "# model %s (%d parameters), threads %v, prompt %d, generate %d, block %d\n", name, m.NParams(), counts, nPrompt, nGen, block)
	start := time.Now()
	step := func(prompt bool, n, pos, tokens int) error {
		if err := lctx.SetThreads(n, n); err != nil {
			return err
		}
		b.Clear()
		for i := range tokens {
			b.Add(int32(rng.IntN(nv)), pos+i, 0, i == tokens-1)
		}
		t0 := time.Now()
		if err := lctx.Decode(b); err != nil {
			return err
		}
		d := time.Since(t0)
		free, ok := sensor.Free()
		if !ok {
			free = -1
		}
		kind := "g"
		if prompt {
			kind = "p"
		}
		_, err := fmt.Fprintf(w, "%s %d %d %d %d %.2f\n", kind, n, tokens, t0.Sub(start).Microseconds(), d.Microseconds(), free)
		return err
	}
	blocks := 0
	for r := 0; time.Since(start) < span; r++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lctx.MemoryClear()
		if err := step(true, counts[r%len(counts)], 0, nPrompt); err != nil {
			return fmt.Errorf("record %s: %w", name, err)
		}
		for i := range nGen {
			if i%block == 0 {
				blocks++
			}
			if err := step(false, counts[blocks%len(counts)], nPrompt+i, 1); err != nil {
				return fmt.Errorf("record %s: %w", name, err)
			}
		}
	}
	return w.Flush()
}

// trace is a recorded trace of one model: its steps by kind and thread count, in time order.
type trace struct {
	header string
	series map[seriesKey][]traceStep
	counts []int
	end    time.Duration
	nGen   int // generation steps per request in the recording
	prompt int // prompt tokens
}

type seriesKey struct {
	prompt  bool
	threads int
}

// readTraces reads a file written by -record: one trace per "# model" header.
func readTraces(path string) ([]*trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*trace
	var cur *trace
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if strings.HasPrefix(line, "# model") {
			cur = &trace{header: strings.TrimPrefix(line, "# "), series: map[seriesKey][]traceStep{}}
			if i := strings.Index(line, "generate "); i >= 0 {
				fmt.Sscanf(line[i:], "generate %d", &cur.nGen)
			}
			if i := strings.Index(line, "prompt "); i >= 0 {
				fmt.Sscanf(line[i:], "prompt %d", &cur.prompt)
			}
			out = append(out, cur)
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if cur == nil || len(f) != 6 || (f[0] != "p" && f[0] != "g") {
			return nil, fmt.Errorf("%s:%d: bad line %q", path, ln, line)
		}
		var v [4]int64
		for i := range v {
			x, err := strconv.ParseInt(f[i+1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, ln, err)
			}
			v[i] = x
		}
		free, err := strconv.ParseFloat(f[5], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, ln, err)
		}
		s := traceStep{prompt: f[0] == "p", threads: int(v[0]), tokens: int(v[1]), at: time.Duration(v[2]) * time.Microsecond,
			dur: time.Duration(v[3]) * time.Microsecond, free: free}
		k := seriesKey{s.prompt, s.threads}
		cur.series[k] = append(cur.series[k], s)
		cur.end = max(cur.end, s.at+s.dur)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, t := range out {
		seen := map[int]bool{}
		for k := range t.series {
			if !seen[k.threads] {
				seen[k.threads] = true
				t.counts = append(t.counts, k.threads)
			}
		}
		sort.Ints(t.counts)
		if t.nGen == 0 || t.prompt == 0 || len(t.counts) == 0 {
			return nil, fmt.Errorf("%s: trace %q lacks its header fields or steps", path, t.header)
		}
	}
	return out, nil
}

// at returns the recorded step of the kind and thread count that started first at or after
// v, and false past the end of that series.
func (t *trace) at(prompt bool, threads int, v time.Duration) (traceStep, bool) {
	s := t.series[seriesKey{prompt, threads}]
	i := sort.Search(len(s), func(i int) bool { return s[i].at >= v })
	if i == len(s) {
		return traceStep{}, false
	}
	return s[i], true
}

// replayResult is what one policy achieved over a trace.
type replayResult struct {
	promptTok, genTok   int
	promptTime, genTime time.Duration
	stopped, requests   int
	// promptAt[n] and genAt[n]: the steps of each kind run with n threads (stopped ones
	// too; index 0 unused).
	promptAt, genAt []uint64
}

func (r replayResult) promptRate() float64 { return rate(r.promptTok, r.promptTime) }
func (r replayResult) genRate() float64    { return rate(r.genTok, r.genTime) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// replay runs requests (a prompt chunk, then the recorded number of generation steps) over
// the trace with one controller for each kind of step, as the engine has, from min to max
// threads (min = max: a fixed count), on a simulated clock; useFree gives the controllers the
// recorded CPU sensor's readings.
func replay(t *trace, lo, hi int, useFree bool) (res replayResult) {
	v := time.Duration(0)
	now := func() time.Time { return time.Unix(0, 0).Add(v) }
	cfg := threadctl.Config{Min: lo, Max: hi, Now: now}
	lastFree := -1.0
	if useFree {
		cfg.Free = func() (float64, bool) { return lastFree, lastFree >= 0 }
	}
	gen, batch := threadctl.New(cfg), threadctl.New(cfg)
	// run does one step of the kind to completion (stopped steps run again); false at the end
	// of the trace.
	run := func(prompt bool, tokens int) bool {
		ctl := gen
		if prompt {
			ctl = batch
		}
		for {
			p := ctl.Plan(tokens)
			s, ok := t.at(prompt, p.Threads, v)
			if !ok {
				return false
			}
			lastFree = s.free
			d, stopped := s.dur, false
			if p.Limit > 0 && d > p.Limit {
				d, stopped = p.Limit, true
			}
			v += d
			if prompt {
				res.promptTime += d
			} else {
				res.genTime += d
			}
			ctl.Observe(p, tokens, d, stopped)
			if stopped {
				res.stopped++
				continue
			}
			if prompt {
				res.promptTok += tokens
			} else {
				res.genTok++
			}
			return true
		}
	}
	defer func() { res.promptAt, res.genAt = batch.Stats().StepsAt, gen.Stats().StepsAt }()
	for {
		if !run(true, t.prompt) {
			return res
		}
		for range t.nGen {
			if !run(false, 1) {
				return res
			}
		}
		res.requests++
	}
}

// replayReport replays every trace of the file with each fixed count and the adaptive
// controller (with and without the CPU sensor) and prints the ratios.
func replayReport(path string) error {
	traces, err := readTraces(path)
	if err != nil {
		return err
	}
	worst := map[string]float64{}
	for _, t := range traces {
		fmt.Printf("\n%s; %.1f s\n", t.header, t.end.Seconds())
		type row struct {
			name string
			r    replayResult
		}
		var fixed []row
		for _, n := range t.counts {
			fixed = append(fixed, row{strconv.Itoa(n), replay(t, n, n, false)})
		}
		hi := t.counts[len(t.counts)-1]
		autos := []row{{"auto", replay(t, 1, hi, true)}, {"auto, no sensor", replay(t, 1, hi, false)}}
		var bestP, bestG float64
		for _, f := range fixed {
			bestP, bestG = max(bestP, f.r.promptRate()), max(bestG, f.r.genRate())
		}
		fmt.Printf("  %-16s %14s %18s %8s %9s\n", "threads", "prompt tok/s", "generation tok/s", "stopped", "requests")
		fewest := -1
		for _, x := range append(fixed, autos...) {
			fmt.Printf("  %-16s %14.1f %18.1f %8d %9d\n", x.name, x.r.promptRate(), x.r.genRate(), x.r.stopped, x.r.requests)
			if fewest < 0 || x.r.requests < fewest {
				fewest = x.r.requests
			}
		}
		if fewest < 30 {
			fmt.Printf("  (only %d requests for a policy: one prompt chunk each, so the prompt figures are rough; record longer)\n", fewest)
		}
		if bestP == 0 || bestG == 0 {
			fmt.Println("  (too short: a thread count has no complete request)")
			continue
		}
		for _, a := range autos {
			fmt.Printf("  %s: steps × threads: prompt %s, generation %s\n", a.name, formatStepsAt(a.r.promptAt), formatStepsAt(a.r.genAt))
		}
		for _, a := range autos {
			rp, rg := a.r.promptRate()/bestP, a.r.genRate()/bestG
			fmt.Printf("  %s ÷ best fixed: prompt %.3f, generation %.3f\n", a.name, rp, rg)
			if w, ok := worst[a.name]; !ok || min(rp, rg) < w {
				worst[a.name] = min(rp, rg)
			}
		}
	}
	fmt.Println()
	for _, name := range []string{"auto", "auto, no sensor"} {
		if w, ok := worst[name]; ok {
			fmt.Printf("replay %s ÷ best fixed, the smallest over traces and metrics: %.3f\n", name, w)
		}
	}
	return nil
}

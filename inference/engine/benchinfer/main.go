// Command benchinfer measures nashd's engine against a minimal C reference loop over the same
// libllama (see inference/llama/refloop.c), on the same model, threads and prompts, with the
// runs interleaved so both see the same machine load. It also measures the memory-bandwidth
// bound of generation and the cost of grammar-constrained sampling. scripts/bench-inference.sh
// runs it; the last two lines are generation_ratio=X and prompt_ratio=Y (engine ÷ reference).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/llama"
)

const filler = "In a repeated prisoner's dilemma the row player compares the payoff of cooperation " +
	"with the temptation to defect, while the column player anticipates the best response and " +
	"updates a belief about the opponent's private values after every round of the negotiation game. "

// grammar allows an unbounded list, so constrained runs can produce as many tokens as
// unconstrained ones.
const grammar = `root ::= "{\"moves\": [" move ("," " "? move)* "]}"
move ::= "\"" ("cooperate" | "defect" | "swerve" | "straight" | [A-Z] [a-z]{1,6}) "\""`

func main() {
	model := flag.String("m", "", "model file")
	threads := flag.Int("threads", engine.PhysicalCores(), "threads (prompt and generation)")
	reps := flag.Int("reps", 5, "interleaved repetitions")
	nGen := flag.Int("gen", 64, "tokens to generate")
	nPrompt := flag.Int("prompt", 128, "prompt tokens")
	nCtx := flag.Int("ctx", 1024, "context size")
	threadSweep := flag.String("thread-sweep", "1,2", "thread counts for the engine-only thread measurement ('' to skip)")
	sweepOnly := flag.Bool("sweep-only", false, "run only the thread sweep")
	flag.Parse()
	if *model == "" {
		fmt.Fprintln(os.Stderr, "usage: benchinfer -m MODEL [-threads N] [-reps N]")
		os.Exit(2)
	}
	if *sweepOnly {
		if err := sweepThreads(*model, *reps, *nGen, *nPrompt, *nCtx, *threadSweep); err != nil {
			fmt.Fprintln(os.Stderr, "benchinfer:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*model, *threads, *reps, *nGen, *nPrompt, *nCtx, *threadSweep); err != nil {
		fmt.Fprintln(os.Stderr, "benchinfer:", err)
		os.Exit(1)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// prompts returns n prompts of exactly nTok tokens (with BOS), distinct from their first
// word on so the engine's prefix cache cannot help.
func prompts(e *engine.Engine, n, nTok int) ([]string, error) {
	words := strings.Fields(strings.Repeat(filler, 1+nTok/20))
	var out []string
	for i := range n {
		head := fmt.Sprintf("%c%d.", 'A'+i%26, i+1) // a distinct first token
		lo, hi := 0, len(words)
		for lo < hi { // the most words whose prompt has at most nTok tokens
			mid := (lo + hi + 1) / 2
			toks, err := e.Tokenize(head+" "+strings.Join(words[:mid], " "), true)
			if err != nil {
				return nil, err
			}
			if len(toks) <= nTok {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		out = append(out, head+" "+strings.Join(words[:lo], " "))
	}
	return out, nil
}

type sample struct{ promptTPS, genTPS, genMSPerTok float64 }

func engineRun(e *engine.Engine, prompt string, nGen int, g string) (sample, inference.Result, error) {
	res, err := e.Generate(context.Background(), inference.Request{Prompt: prompt, MaxTokens: nGen, AddSpecial: true, Grammar: g}, nil)
	if err != nil {
		return sample{}, res, err
	}
	t := res.Timings
	return sample{t.PromptPerSecond, t.PredictedPerSecond, t.PredictedMS / float64(t.PredictedN)}, res, nil
}

func refRun(model, prompt string, nGen, threads, nCtx int) (sample, llama.RefResult, error) {
	r, err := llama.ReferenceRun(model, prompt, nGen, threads, nCtx)
	if err != nil {
		return sample{}, r, err
	}
	return sample{float64(r.PromptN) / r.PromptMS * 1000, float64(r.GenN) / r.GenMS * 1000, r.GenMS / float64(r.GenN)}, r, nil
}

func run(model string, threads, reps, nGen, nPrompt, nCtx int, sweep string) error {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	llama.SetLogger(quiet)
	e, err := engine.Open(model, engine.Options{ContextSize: nCtx, Threads: threads, Logger: quiet})
	if err != nil {
		return err
	}
	defer e.Close()
	info := e.Info()
	fmt.Printf("model: %s (%s, %.1f MB of weights, vocab %d)\n", model, info.Description, float64(info.SizeBytes)/1e6, info.VocabSize)
	fmt.Printf("threads: %d (physical cores %d, NumCPU %d); prompt %d tokens, generate %d, %d interleaved repetitions\n",
		threads, engine.PhysicalCores(), runtime.NumCPU(), nPrompt, nGen, reps)
	fmt.Printf("system_info: %s\n", llama.SystemInfo())
	ps, err := prompts(e, reps+1, nPrompt)
	if err != nil {
		return err
	}
	// Warm-up (page cache, thread pool): one of each, not counted.
	if _, _, err := engineRun(e, ps[0], 4, ""); err != nil {
		return err
	}
	if _, _, err := refRun(model, ps[0], 4, threads, nCtx); err != nil {
		return err
	}
	var eng, ref []sample
	for i := 1; i <= reps; i++ {
		doEngine := func() error {
			s, res, err := engineRun(e, ps[i], nGen, "")
			if err != nil {
				return err
			}
			eng = append(eng, s)
			fmt.Printf("  rep %d engine:    prompt %3d tok %7.1f tok/s   generation %3d tok %6.2f tok/s (cache_n %d)\n",
				i, res.Timings.PromptN, s.promptTPS, res.Timings.PredictedN, s.genTPS, res.Timings.CacheN)
			return nil
		}
		doRef := func() error {
			s, r, err := refRun(model, ps[i], nGen, threads, nCtx)
			if err != nil {
				return err
			}
			ref = append(ref, s)
			fmt.Printf("  rep %d reference: prompt %3d tok %7.1f tok/s   generation %3d tok %6.2f tok/s\n", i, r.PromptN, s.promptTPS, r.GenN, s.genTPS)
			return nil
		}
		first, second := doEngine, doRef
		if i%2 == 0 {
			first, second = doRef, doEngine
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
	}
	pick := func(xs []sample, f func(sample) float64) []float64 {
		var out []float64
		for _, x := range xs {
			out = append(out, f(x))
		}
		return out
	}
	ePrompt, rPrompt := median(pick(eng, func(s sample) float64 { return s.promptTPS })), median(pick(ref, func(s sample) float64 { return s.promptTPS }))
	eGen, rGen := median(pick(eng, func(s sample) float64 { return s.genTPS })), median(pick(ref, func(s sample) float64 { return s.genTPS }))
	fmt.Printf("median prompt tok/s: engine %.1f reference %.1f\n", ePrompt, rPrompt)
	fmt.Printf("median generation tok/s: engine %.2f reference %.2f\n", eGen, rGen)
	// Each repetition ran the two back to back, so they saw the same machine load; the median
	// of the per-repetition ratios is robust to load that changes between repetitions.
	var genRatios, promptRatios []float64
	for i := range eng {
		genRatios = append(genRatios, eng[i].genTPS/ref[i].genTPS)
		promptRatios = append(promptRatios, eng[i].promptTPS/ref[i].promptTPS)
	}
	best := func(xs []sample, f func(sample) float64) float64 {
		b := 0.0
		for _, x := range xs {
			b = max(b, f(x))
		}
		return b
	}
	fmt.Printf("best of %d: prompt engine %.1f reference %.1f tok/s; generation engine %.2f reference %.2f tok/s\n", reps,
		best(eng, func(s sample) float64 { return s.promptTPS }), best(ref, func(s sample) float64 { return s.promptTPS }),
		best(eng, func(s sample) float64 { return s.genTPS }), best(ref, func(s sample) float64 { return s.genTPS }))

	// Memory-bandwidth bound: every weight is read once per generated token.
	bw1 := llama.ReadBandwidth(512<<20, 1, 5)
	bwN := llama.ReadBandwidth(512<<20, max(threads, engine.PhysicalCores()), 5)
	limit := bwN / float64(info.SizeBytes)
	limit1 := bw1 / float64(info.SizeBytes)
	fmt.Printf("read bandwidth (C loop, best of 5 over 512 MiB): %.1f GB/s with 1 thread, %.1f GB/s with %d\n", bw1/1e9, bwN/1e9, max(threads, engine.PhysicalCores()))
	fmt.Printf("bandwidth limit: %.1f MB read per token -> %.1f tok/s (1 thread's bandwidth), %.1f tok/s (all cores'); engine generation %.2f tok/s = %.0f%% / %.0f%% of them\n",
		float64(info.SizeBytes)/1e6, limit1, limit, eGen, 100*eGen/limit1, 100*eGen/limit)

	// Grammar-constrained against unconstrained generation, back to back on the same prompt
	// and for the same number of tokens (the grammar may finish early).
	var gRatios, gCons, gFree []float64
	for i := 1; i <= reps; i++ {
		s2, res, err := engineRun(e, ps[i], nGen, grammar)
		if err != nil {
			return err
		}
		s1, _, err := engineRun(e, ps[i], max(2, res.Timings.PredictedN), "")
		if err != nil {
			return err
		}
		gFree, gCons = append(gFree, s1.genMSPerTok), append(gCons, s2.genMSPerTok)
		gRatios = append(gRatios, s2.genMSPerTok/s1.genMSPerTok)
		fmt.Printf("  rep %d grammar: %.2f ms/token (%d tokens: %.40q...), unconstrained %.2f ms/token\n", i, s2.genMSPerTok, res.Timings.PredictedN, res.Text, s1.genMSPerTok)
	}
	fmt.Printf("grammar_ratio=%.3f (constrained ÷ unconstrained time per token, median of adjacent pairs; medians %.2f vs %.2f ms)\n",
		median(gRatios), median(gCons), median(gFree))
	if err := naiveGrammar(model, ps[1], nGen, threads, nCtx, min(reps, 3)); err != nil {
		return err
	}

	if sweep != "" {
		if err := sweepThreads(model, reps, nGen, nPrompt, nCtx, sweep); err != nil {
			return err
		}
	}
	fmt.Printf("generation_ratio=%.3f\n", median(genRatios))
	fmt.Printf("prompt_ratio=%.3f\n", median(promptRatios))
	return nil
}

// sweepThreads measures the engine's prompt and generation speed for each thread count in
// sweep (comma-separated).
func sweepThreads(model string, reps, nGen, nPrompt, nCtx int, sweep string) error {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, f := range strings.Split(sweep, ",") {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n <= 0 {
			return fmt.Errorf("bad thread count %q", f)
		}
		te, err := engine.Open(model, engine.Options{ContextSize: nCtx, Threads: n, Logger: quiet})
		if err != nil {
			return err
		}
		ps, err := prompts(te, min(reps, 3)+1, nPrompt)
		if err != nil {
			te.Close()
			return err
		}
		var pr, gr []float64
		for i := 1; i < len(ps); i++ {
			s, _, err := engineRun(te, ps[i], max(8, nGen/2), "")
			if err != nil {
				te.Close()
				return err
			}
			pr, gr = append(pr, s.promptTPS), append(gr, s.genTPS)
		}
		te.Close()
		fmt.Printf("threads %d: prompt %.1f tok/s, generation %.2f tok/s (median of %d; runs %.1f / %.2f)\n", n, median(pr), median(gr), len(pr), pr, gr)
	}
	return nil
}

// naiveGrammar times the binding's generation loop with no grammar, the smart grammar path
// and the naive one (the grammar over the whole vocabulary every token), interleaved.
func naiveGrammar(model, prompt string, nGen, threads, nCtx, reps int) error {
	m, err := llama.LoadModel(model, llama.ModelParams{})
	if err != nil {
		return err
	}
	defer m.Close()
	c, err := llama.NewContext(m, llama.ContextParams{NCtx: nCtx, Threads: threads})
	if err != nil {
		return err
	}
	defer c.Close()
	b := llama.NewBatch(c.NBatch())
	defer b.Free()
	toks, err := m.Tokenize(prompt, true, true)
	if err != nil {
		return err
	}
	loop := func(sp llama.SamplerParams) (msPerTok float64, n, passes int, err error) {
		s, err := llama.NewSampler(m, sp)
		if err != nil {
			return 0, 0, 0, err
		}
		defer s.Close()
		c.MemoryClear()
		b.Clear()
		for i, t := range toks {
			b.Add(t, i, 0, i == len(toks)-1)
		}
		if err := c.Decode(b); err != nil {
			return 0, 0, 0, err
		}
		idx, pos := b.Len()-1, len(toks)
		start := time.Now()
		for n < nGen {
			t, err := s.Sample(c, idx)
			if err != nil {
				return 0, 0, 0, err
			}
			n++
			if m.IsEOG(t) || n == nGen {
				break
			}
			b.Clear()
			idx = b.Add(t, pos, 0, true)
			pos++
			if err := c.Decode(b); err != nil {
				return 0, 0, 0, err
			}
		}
		return float64(time.Since(start).Microseconds()) / 1000 / float64(n), n, s.FullPasses, nil
	}
	var none, smart, naive []float64
	for i := range reps {
		a, _, _, err := loop(llama.SamplerParams{})
		if err != nil {
			return err
		}
		sm, n1, p1, err := loop(llama.SamplerParams{Grammar: grammar})
		if err != nil {
			return err
		}
		nv, n2, _, err := loop(llama.SamplerParams{Grammar: grammar, NaiveGrammar: true})
		if err != nil {
			return err
		}
		none, smart, naive = append(none, a), append(smart, sm), append(naive, nv)
		fmt.Printf("  rep %d binding loop: unconstrained %.2f ms/token, smart grammar %.2f (%d tokens, %d needed the fallback), naive grammar %.2f (%d tokens)\n",
			i+1, a, sm, n1, p1, nv, n2)
	}
	fmt.Printf("binding loop medians: unconstrained %.2f ms/token, smart grammar %.2f (x%.3f), naive grammar %.2f (x%.3f)\n",
		median(none), median(smart), median(smart)/median(none), median(naive), median(naive)/median(none))
	return nil
}

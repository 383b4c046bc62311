// Command benchinfer measures nashd's engine against a minimal C reference loop over the same
// libllama (package llamabench, inference/llamabench/refloop.c), on the same model and threads.
// Both decode exactly the same prompt token ids (no BOS, no cached prefix: checked every run)
// and generate greedily; each repetition runs the two back to back, alternating which goes
// first, so both see the same machine load, and the engine ÷ reference ratio of each pair is
// reported as a median with its spread (min–max) over the pairs. It also measures the
// memory-bandwidth bound of generation and the cost of grammar-constrained sampling.
// scripts/bench-inference.sh runs it; the last two lines are
// "generation_ratio=X min=A max=B pairs=N" and the same for prompt_ratio.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/inference/llamabench"
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
	reps := flag.Int("reps", 7, "interleaved repetitions (engine/reference pairs)")
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

// benchPrompt is a prompt as text (for the engine) and as the token ids it tokenizes to
// without BOS (for the reference loop).
type benchPrompt struct {
	text string
	toks []int32
}

// prompts returns n prompts of nTok tokens (without BOS; nTok-1 where no cut of the filler
// text gives exactly nTok), distinct from their first token on so the engine's prefix cache
// cannot help: both the engine and the reference decode every prompt token.
func prompts(e *engine.Engine, n, nTok int) ([]benchPrompt, error) {
	text := strings.Repeat(filler, 1+nTok/20)
	var out []benchPrompt
	for i := range n {
		head := fmt.Sprintf("%c%d. ", 'A'+i%26, i+1) // a distinct first token
		var best benchPrompt
		lo, hi := 0, len(text)
		for lo <= hi { // the longest cut of text whose prompt has at most nTok tokens
			mid := (lo + hi) / 2
			toks, err := e.Tokenize(head+text[:mid], false)
			if err != nil {
				return nil, err
			}
			if len(toks) <= nTok {
				best, lo = benchPrompt{head + text[:mid], toks}, mid+1
			} else {
				hi = mid - 1
			}
		}
		if len(best.toks) == 0 {
			return nil, fmt.Errorf("no prompt of at most %d tokens", nTok)
		}
		out = append(out, best)
	}
	return out, nil
}

type sample struct{ promptTPS, genTPS, genMSPerTok float64 }

func engineRun(e *engine.Engine, prompt string, nGen int, g string) (sample, inference.Result, error) {
	res, err := e.Generate(context.Background(), inference.Request{Prompt: prompt, MaxTokens: nGen, Grammar: g}, nil)
	if err != nil {
		return sample{}, res, err
	}
	t := res.Timings
	return sample{t.PromptPerSecond, t.PredictedPerSecond, t.PredictedMS / float64(t.PredictedN)}, res, nil
}

func refRun(model string, prompt []int32, nGen, threads, nCtx int) (sample, llamabench.Result, error) {
	r, err := llamabench.ReferenceRun(model, prompt, nGen, threads, nCtx)
	if err != nil {
		return sample{}, r, err
	}
	return sample{float64(r.PromptN) / r.PromptMS * 1000, float64(r.GenN) / r.GenMS * 1000, r.GenMS / float64(r.GenN)}, r, nil
}

// spread is a median with the range it was taken over.
type spread struct{ median, min, max float64 }

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	return spread{median(xs), slices.Min(xs), slices.Max(xs)}
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
	if _, _, err := engineRun(e, ps[0].text, 4, ""); err != nil {
		return err
	}
	if _, _, err := refRun(model, ps[0].toks, 4, threads, nCtx); err != nil {
		return err
	}
	var eng, ref []sample
	same := 0 // pairs that generated the same tokens
	for i := 1; i <= reps; i++ {
		var er inference.Result
		var rr llamabench.Result
		doEngine := func() error {
			s, res, err := engineRun(e, ps[i].text, nGen, "")
			if err != nil {
				return err
			}
			eng, er = append(eng, s), res
			fmt.Printf("  rep %d engine:    prompt %3d tok %7.1f tok/s   generation %3d tok %6.2f tok/s\n",
				i, res.Timings.PromptN, s.promptTPS, res.Timings.PredictedN, s.genTPS)
			return nil
		}
		doRef := func() error {
			s, r, err := refRun(model, ps[i].toks, nGen, threads, nCtx)
			if err != nil {
				return err
			}
			ref, rr = append(ref, s), r
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
		// Same work or no comparison: every prompt token decoded by both, none from a cache.
		if n := len(ps[i].toks); er.Timings.PromptN != n || er.Timings.CacheN != 0 || er.PromptTokens != n || rr.PromptN != n {
			return fmt.Errorf("rep %d: the engine decoded %d of %d prompt tokens (cache_n %d), the reference %d, of the %d given: not the same work",
				i, er.Timings.PromptN, er.PromptTokens, er.Timings.CacheN, rr.PromptN, n)
		}
		if slices.Equal(er.Tokens, rr.Tokens) {
			same++
		}
	}
	fmt.Printf("prompts: %d tokens each (the same token ids for both, no BOS, none cached); generated tokens identical in %d of %d pairs\n",
		len(ps[1].toks), same, reps)
	pick := func(xs []sample, f func(sample) float64) []float64 {
		var out []float64
		for _, x := range xs {
			out = append(out, f(x))
		}
		return out
	}
	promptTPS := func(s sample) float64 { return s.promptTPS }
	genTPS := func(s sample) float64 { return s.genTPS }
	eGen := median(pick(eng, genTPS))
	fmt.Printf("median prompt tok/s: engine %.1f reference %.1f\n", median(pick(eng, promptTPS)), median(pick(ref, promptTPS)))
	fmt.Printf("median generation tok/s: engine %.2f reference %.2f\n", eGen, median(pick(ref, genTPS)))
	fmt.Printf("best of %d: prompt engine %.1f reference %.1f tok/s; generation engine %.2f reference %.2f tok/s\n", reps,
		slices.Max(pick(eng, promptTPS)), slices.Max(pick(ref, promptTPS)), slices.Max(pick(eng, genTPS)), slices.Max(pick(ref, genTPS)))
	// Each pair ran back to back, so both saw the same machine load; the median of the
	// per-pair ratios is robust to load that changes between pairs, and their range shows how
	// far one pair can be off.
	var genRatios, promptRatios []float64
	for i := range eng {
		genRatios = append(genRatios, eng[i].genTPS/ref[i].genTPS)
		promptRatios = append(promptRatios, eng[i].promptTPS/ref[i].promptTPS)
	}
	fmt.Printf("per-pair ratios (engine ÷ reference), in run order: generation %.3f, prompt %.3f\n", genRatios, promptRatios)

	// Memory-bandwidth bound: every weight is read once per generated token.
	nAll := max(threads, engine.PhysicalCores())
	bw1, err := llamabench.ReadBandwidth(512<<20, 1, 5)
	if err != nil {
		return err
	}
	bwN, err := llamabench.ReadBandwidth(512<<20, nAll, 5)
	if err != nil {
		return err
	}
	limit := bwN / float64(info.SizeBytes)
	limit1 := bw1 / float64(info.SizeBytes)
	fmt.Printf("read bandwidth (C loop, best of 5 over 512 MiB): %.1f GB/s with 1 thread, %.1f GB/s with %d\n", bw1/1e9, bwN/1e9, nAll)
	fmt.Printf("bandwidth limit: %.1f MB read per token -> %.1f tok/s (1 thread's bandwidth), %.1f tok/s (all cores'); engine generation %.2f tok/s = %.0f%% / %.0f%% of them\n",
		float64(info.SizeBytes)/1e6, limit1, limit, eGen, 100*eGen/limit1, 100*eGen/limit)

	// Grammar-constrained against unconstrained generation, back to back on the same prompt
	// and for the same number of tokens (the grammar may finish early).
	var gRatios, gCons, gFree []float64
	for i := 1; i <= reps; i++ {
		s2, res, err := engineRun(e, ps[i].text, nGen, grammar)
		if err != nil {
			return err
		}
		s1, _, err := engineRun(e, ps[i].text, max(2, res.Timings.PredictedN), "")
		if err != nil {
			return err
		}
		gFree, gCons = append(gFree, s1.genMSPerTok), append(gCons, s2.genMSPerTok)
		gRatios = append(gRatios, s2.genMSPerTok/s1.genMSPerTok)
		fmt.Printf("  rep %d grammar: %.2f ms/token (%d tokens: %.40q...), unconstrained %.2f ms/token\n", i, s2.genMSPerTok, res.Timings.PredictedN, res.Text, s1.genMSPerTok)
	}
	gs := spreadOf(gRatios)
	fmt.Printf("grammar_ratio=%.3f min=%.3f max=%.3f (constrained ÷ unconstrained time per token, median of adjacent pairs; medians %.2f vs %.2f ms)\n",
		gs.median, gs.min, gs.max, median(gCons), median(gFree))
	if err := naiveGrammar(model, ps[1].text, nGen, threads, nCtx, min(reps, 3)); err != nil {
		return err
	}

	if sweep != "" {
		if err := sweepThreads(model, reps, nGen, nPrompt, nCtx, sweep); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		name string
		xs   []float64
	}{{"generation_ratio", genRatios}, {"prompt_ratio", promptRatios}} {
		sp := spreadOf(r.xs)
		fmt.Printf("%s=%.3f min=%.3f max=%.3f pairs=%d\n", r.name, sp.median, sp.min, sp.max, len(r.xs))
	}
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
			s, _, err := engineRun(te, ps[i].text, max(8, nGen/2), "")
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

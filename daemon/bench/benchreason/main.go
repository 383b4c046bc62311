// Command benchreason measures what GTAlign reasoning costs over plain generation (`make
// bench-reasoning`): on one model, in process, it runs a GTAlign request (reasoning/gtalign's
// passes on inference/engine) and, right after, one unconstrained generation of the same
// number of tokens from the same prompt, in alternating pairs. It prints each pair, the time
// split by pass, the share of the time spent sampling under a grammar (each pass's generation
// time minus the same number of tokens at the unconstrained pass's per-token time), what
// reusing the KV cache between passes saved (the tokens not evaluated again × the measured
// prompt time per token), and last
//
//	reasoning_overhead=X min=A max=B pairs=N
//
// X being the median over pairs of (GTAlign wall time ÷ unconstrained wall time); the target
// is ≤ 1.15. Before each timed run a one-token request with an unrelated prompt empties the
// KV cache's reusable prefix, so both sides evaluate their prompt from scratch.
//
// Usage:
//
//	benchreason [-m MODEL] [-threads N] [-reps N] [-question TEXT] [-analyze-by model|solver]
//
// The thread count defaults to $NASHD_BENCH_THREADS, else 1.
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
	"strconv"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/reasoning/gtalign"
	"github.com/nashd/nashd/reasoning/pricing"
)

func main() {
	model := flag.String("m", "models/testdata/gen/bench.gguf", "GGUF model `FILE`")
	threads := flag.Int("threads", envInt("NASHD_BENCH_THREADS", 1), "generation threads (default $NASHD_BENCH_THREADS, else 1)")
	reps := flag.Int("reps", 5, "pairs (GTAlign request, unconstrained pass), alternating")
	ctxSize := flag.Int("ctx", 8192, "context size in tokens")
	question := flag.String("question", "What is the capital of France, and why did it become the capital?", "the user's message")
	analyzeBy := flag.String("analyze-by", "model", "who writes <analyze>: model or solver")
	flag.Parse()
	if err := run(*model, *threads, *reps, *ctxSize, *question, *analyzeBy); err != nil {
		fmt.Fprintln(os.Stderr, "benchreason:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// pair is one GTAlign request and its unconstrained twin.
type pair struct {
	reason     *gtalign.Result
	reasonMS   float64 // wall time around Reason
	plain      inference.Result
	plainMS    float64 // wall time around Generate
	plainShort bool    // the unconstrained pass ended (EOG) before generating as many tokens
}

func run(model string, threads, reps, ctxSize int, question, analyzeBy string) error {
	if reps < 1 {
		return fmt.Errorf("-reps %d: want at least 1", reps)
	}
	ab, err := gtalign.ParseAnalyzeBy(analyzeBy)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := engine.Open(model, engine.Options{ContextSize: ctxSize, Threads: threads, Logger: quiet})
	if err != nil {
		return err
	}
	defer e.Close()
	info := e.Info()
	fmt.Printf("model: %s (%s, %.1f MB, vocab %d)\n", model, info.Description, float64(info.SizeBytes)/1e6, info.VocabSize)
	fmt.Printf("threads: %d (NumCPU %d); %d pairs, alternating which side runs first; greedy sampling; analyze_by %s\n",
		threads, runtime.NumCPU(), reps, ab)

	g := gtalign.Default()
	r, err := gtalign.New(g)
	if err != nil {
		return err
	}
	plan, err := pricing.NewPlan(pricing.Default(), "builtin", nil)
	if err != nil {
		return err
	}
	conv := []inference.Message{{Role: "user", Content: question}}
	prompt, err := e.ChatPrompt(gtalign.Messages(g, gtalign.RuleWelfare, conv))
	if err != nil {
		return err
	}
	ctx := context.Background()
	flushN := 0
	flush := func() error { // a distinct one-token prompt: no reusable prefix is left
		flushN++
		_, err := e.Generate(ctx, inference.Request{Prompt: fmt.Sprintf("%c", 'A'+flushN%26), MaxTokens: 1}, nil)
		return err
	}
	opts := &gtalign.Options{AnalyzeBy: ab, Pricing: plan}
	doReason := func(p *pair) error {
		if err := flush(); err != nil {
			return err
		}
		t0 := time.Now()
		res, err := r.Reason(ctx, e, conv, opts)
		p.reasonMS = ms(time.Since(t0))
		if err != nil {
			return fmt.Errorf("reason: %w", err)
		}
		p.reason = res
		return nil
	}
	doPlain := func(p *pair, n int) error {
		if err := flush(); err != nil {
			return err
		}
		t0 := time.Now()
		res, err := e.Generate(ctx, inference.Request{Prompt: prompt, MaxTokens: n}, nil)
		p.plainMS = ms(time.Since(t0))
		if err != nil {
			return fmt.Errorf("unconstrained pass: %w", err)
		}
		p.plain, p.plainShort = res, len(res.Tokens) < n
		return nil
	}

	// Warm-up (page cache, thread pool, grammar code paths): one request, not counted. It
	// also fixes the token count of the unconstrained side, which runs first in odd pairs.
	var warm pair
	if err := doReason(&warm); err != nil {
		return err
	}
	n := warm.reason.Usage.CompletionTokens
	fmt.Printf("prompt: %d tokens; the GTAlign request generates %d tokens over %d passes (greedy: the same every time)\n\n",
		warm.reason.Usage.PromptTokens, n, len(warm.reason.Passes))

	var pairs []pair
	for i := range reps {
		var p pair
		first, second := func() error { return doReason(&p) }, func() error { return doPlain(&p, n) }
		if i%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		if got := p.reason.Usage.CompletionTokens; got != n {
			return fmt.Errorf("pair %d: the GTAlign request generated %d tokens, the warm-up %d (greedy decoding should repeat)", i+1, got, n)
		}
		pairs = append(pairs, p)
		fmt.Printf("  pair %d: gtalign %8.1f ms (%s)   unconstrained %8.1f ms (%d prompt tokens evaluated, %d generated%s)   ratio %.3f\n",
			i+1, p.reasonMS, passSummary(p.reason), p.plainMS, p.plain.Timings.PromptN, len(p.plain.Tokens), shortNote(p), ratio(p, n))
	}
	report(pairs, n)
	return nil
}

func passSummary(r *gtalign.Result) string {
	s := ""
	for i, ps := range r.Passes {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %.0f", ps.Name, ps.MS)
	}
	return s
}

func shortNote(p pair) string {
	if p.plainShort {
		return "; ended early, generation time extrapolated"
	}
	return ""
}

// plainMS is the unconstrained side's wall time for n generated tokens: when the model ended
// it early, its generation time is extrapolated linearly to n tokens.
func plainMS(p pair, n int) float64 {
	got := len(p.plain.Tokens)
	if !p.plainShort || got == 0 {
		return p.plainMS
	}
	gen := p.plain.Timings.PredictedMS
	return p.plainMS - gen + gen*float64(n)/float64(got)
}

func ratio(p pair, n int) float64 { return p.reasonMS / plainMS(p, n) }

func report(pairs []pair, n int) {
	var ratios, reasonMS, plainWall, plainPerTok, promptPerTok []float64
	byPass := map[string]*passStats{}
	var names []string
	var grammarShare, savedMS, savedShare []float64
	for _, p := range pairs {
		ratios = append(ratios, ratio(p, n))
		reasonMS = append(reasonMS, p.reasonMS)
		plainWall = append(plainWall, plainMS(p, n))
		perTok := p.plain.Timings.PredictedMS / float64(max(1, p.plain.Timings.PredictedN))
		plainPerTok = append(plainPerTok, perTok)
		// Prompt time per token, measured where most tokens were evaluated at once.
		pt := p.plain.Timings
		promptTok := pt.PromptMS / float64(max(1, pt.PromptN))
		promptPerTok = append(promptPerTok, promptTok)
		var excess, saved float64
		for i, ps := range p.reason.Passes {
			st := byPass[ps.Name]
			if st == nil {
				st = &passStats{}
				byPass[ps.Name] = st
				names = append(names, ps.Name)
			}
			st.ms = append(st.ms, ps.MS)
			st.promptMS = append(st.promptMS, ps.PromptMS)
			st.genMS = append(st.genMS, ps.GenerateMS)
			st.gen, st.prompt, st.cacheN = ps.GeneratedTokens, ps.PromptTokens, ps.CacheN
			// Under a grammar the pass generates at its own pace; the same tokens unconstrained
			// would take perTok each.
			excess += ps.GenerateMS - float64(ps.GeneratedTokens)*perTok
			if i > 0 {
				saved += float64(ps.CacheN) * promptTok
			}
		}
		grammarShare = append(grammarShare, excess/p.reasonMS)
		savedMS = append(savedMS, saved)
		savedShare = append(savedShare, saved/(p.reasonMS+saved))
	}
	fmt.Printf("\ntime split by pass (median of %d requests):\n", len(pairs))
	fmt.Printf("  %-9s %7s %8s %10s %10s %11s %10s\n", "pass", "prompt", "cache_n", "generated", "prompt ms", "generate ms", "wall ms")
	for _, name := range names {
		st := byPass[name]
		fmt.Printf("  %-9s %7d %8d %10d %10.1f %11.1f %10.1f\n", name, st.prompt, st.cacheN, st.gen, median(st.promptMS), median(st.genMS), median(st.ms))
	}
	fmt.Printf("  %-9s %7s %8s %10d %10s %11s %10.1f\n", "request", "", "", n, "", "", median(reasonMS))
	fmt.Printf("unconstrained pass: %.1f ms for the same prompt and %d tokens; %.2f ms per generated token, %.3f ms per prompt token\n",
		median(plainWall), n, median(plainPerTok), median(promptPerTok))
	fmt.Printf("grammar sampling: %.1f%% of the GTAlign request's time (generation time beyond the same tokens at the unconstrained per-token time; min %.1f%%, max %.1f%%)\n",
		100*median(grammarShare), 100*slices.Min(grammarShare), 100*slices.Max(grammarShare))
	fmt.Printf("KV cache reuse: passes after the first evaluated no earlier token again; re-evaluating them would have cost %.1f ms (%.1f%% of a request without reuse)\n",
		median(savedMS), 100*median(savedShare))
	fmt.Printf("reasoning_overhead=%.3f min=%.3f max=%.3f pairs=%d\n", median(ratios), slices.Min(ratios), slices.Max(ratios), len(ratios))
}

type passStats struct {
	ms, promptMS, genMS []float64
	gen, prompt, cacheN int
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

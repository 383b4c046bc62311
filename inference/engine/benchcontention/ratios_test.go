package main

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/engine"
)

// res is a result whose repetitions all ran at prompt and gen tokens/s (1,000 tokens of each).
func res(model, phase, name string, threads, batch int, prompt, gen float64, reps int) result {
	r := result{model: model, phase: phase, cfg: config{name: name, threads: threads, batch: batch}}
	for range reps {
		s := sample{prompt: prompt, gen: gen, promptN: 1000, genN: 1000, promptMS: 1e6 / prompt}
		if gen > 0 {
			s.genMS = 1e6 / gen
		}
		r.samples = append(r.samples, s)
	}
	return r
}

func TestTurnTime(t *testing.T) {
	for _, tt := range []struct {
		w           workload
		prompt, gen float64
		want        float64
	}{
		{workload{64, 32}, 64000, 16000, 0.001 + 0.002},
		{workload{64, 0}, 64000, 0, 0.001},
		{workload{64, 32}, 64000, 0, math.Inf(1)},
		{workload{64, 32}, 0, 16000, math.Inf(1)},
	} {
		if got := tt.w.turnTime(tt.prompt, tt.gen); math.Abs(got-tt.want) > 1e-12 && got != tt.want {
			t.Errorf("%+v.turnTime(%v, %v) = %v, want %v", tt.w, tt.prompt, tt.gen, got, tt.want)
		}
	}
}

func TestBestCount(t *testing.T) {
	// A small model on an idle 2-core machine: two threads take prompts 20% faster and
	// generate at half the speed.
	small := []result{
		res("m", "quiet", "1", 1, 0, 65000, 16500, 3),
		res("m", "quiet", "2", 2, 0, 78000, 7500, 3),
		res("m", "quiet", "auto", engine.AutoThreads, 0, 90000, 20000, 3), // never a fixed count
	}
	collapsed := []result{
		res("m", "load", "1", 1, 0, 30000, 7000, 3),
		res("m", "load", "2", 2, 0, 90000, 0, 3), // nothing generated
	}
	for _, tt := range []struct {
		name string
		rs   []result
		w    workload
		want string
	}{
		{"generation decides", small, workload{64, 32}, "1"},
		{"prompts decide", small, workload{4096, 1}, "2"},
		{"prompt-only workload", small, workload{64, 0}, "2"},
		{"collapsed count never best", collapsed, workload{64, 32}, "1"},
	} {
		for _, of := range []rates{medianRates, pooledRates} {
			got := bestCount(tt.rs, tt.w, of)
			if got == nil || got.cfg.name != tt.want {
				t.Errorf("%s: bestCount = %v, want %s", tt.name, got, tt.want)
			}
		}
	}
	if got := bestCount(small[2:], workload{64, 32}, medianRates); got != nil {
		t.Errorf("bestCount of auto alone = %v, want nil", got.cfg.name)
	}
}

func TestJudge(t *testing.T) {
	results := []result{
		// Small model: the best count is 1; auto matches it on both metrics, but is 0.83 of
		// fixed 2 on prompts (the best count of prompts alone).
		res("tiny", "quiet", "1", 1, 0, 65000, 16500, 3),
		res("tiny", "quiet", "2", 2, 0, 78000, 7500, 3),
		res("tiny", "quiet", "auto", engine.AutoThreads, 0, 64700, 16400, 3),
		// Larger model: the best count is 2, auto at 0.95 of its generation.
		res("bench", "quiet", "1", 1, 0, 99, 40, 3),
		res("bench", "quiet", "2", 2, 0, 186, 47.5, 3),
		res("bench", "quiet", "auto", engine.AutoThreads, 0, 186, 45.125, 3),
		// Under load: the best count is 1, auto at 0.8 of its prompts.
		res("tiny", "load", "1", 1, 0, 40000, 7000, 3),
		res("tiny", "load", "2", 2, 0, 10000, 700, 3),
		res("tiny", "load", "auto", engine.AutoThreads, 0, 32000, 7000, 3),
	}
	lines, verdicts := judge(results, workload{64, 32})
	if len(lines) != 3 {
		t.Fatalf("judge: %d lines, want 3:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, want := range []string{"tiny quiet: best fixed count 1", "bench quiet: best fixed count 2", "tiny load: best fixed count 1"} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], want)
		}
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-3 }
	q, l := verdicts["quiet"], verdicts["load"]
	if q == nil || l == nil {
		t.Fatalf("verdicts = %v, want quiet and load", verdicts)
	}
	if !near(q.count, 0.95) || !near(q.pooled, 0.95) || !near(q.perMetric, 64700.0/78000) {
		t.Errorf("quiet verdict = %+v, want count 0.95, pooled 0.95, per metric %.3f", *q, 64700.0/78000)
	}
	if !near(l.count, 0.8) || !near(l.perMetric, 0.8) {
		t.Errorf("load verdict = %+v, want count and per metric 0.8", *l)
	}
	summary, keys := verdictLines(verdicts)
	if len(summary) != 2 || !strings.Contains(summary[0], "contention_ratio") || !strings.Contains(summary[0], "NOT met") ||
		!strings.Contains(summary[1], "quiet_ratio") || !strings.Contains(summary[1], "NOT met") {
		t.Errorf("summary = %q", summary)
	}
	want := []string{"contention_ratio=0.800", "contention_ratio_pooled=0.800", "contention_ratio_per_metric=0.800",
		"quiet_ratio=0.950", "quiet_ratio_pooled=0.950", "quiet_ratio_per_metric=0.829"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
	// A model without an auto configuration has no line.
	if lines, v := judge(results[:2], workload{64, 32}); len(lines) != 0 || len(v) != 0 {
		t.Errorf("judge without auto = %q, %v; want nothing", lines, v)
	}
}

func TestThreadsFor(t *testing.T) {
	for _, tt := range []struct {
		c         config
		gen, want int
	}{
		{config{threads: 2}, 2, 2},
		{config{threads: 1, batch: 2}, 1, 2},
	} {
		if got := tt.c.threadsFor(true); got != tt.gen {
			t.Errorf("%+v.threadsFor(gen) = %d, want %d", tt.c, got, tt.gen)
		}
		if got := tt.c.threadsFor(false); got != tt.want {
			t.Errorf("%+v.threadsFor(prompt) = %d, want %d", tt.c, got, tt.want)
		}
	}
}

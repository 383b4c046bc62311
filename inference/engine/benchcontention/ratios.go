package main

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nashd/nashd/inference/engine"
)

// workload is what one turn of the benchmark asks of an engine: a prompt of this many tokens,
// then this many generated.
type workload struct{ prompt, gen int }

// turnTime returns the seconds of one turn at prompt and generation rates (tokens/s); +Inf
// when a rate the turn needs is 0 (a configuration that collapsed before generating).
func (w workload) turnTime(prompt, gen float64) float64 {
	t := 0.0
	for _, part := range []struct {
		n    int
		rate float64
	}{{w.prompt, prompt}, {w.gen, gen}} {
		if part.n == 0 {
			continue
		}
		if part.rate <= 0 {
			return math.Inf(1)
		}
		t += float64(part.n) / part.rate
	}
	return t
}

// rates returns a result's prompt and generation tokens/s: the medians of its repetitions
// or the pooled throughput.
type rates func(result) (prompt, gen float64)

func medianRates(r result) (float64, float64) { return r.med() }

func pooledRates(r result) (float64, float64) {
	return pooled(r.samples, false), pooled(r.samples, true)
}

// bestCount returns the fixed configuration among rs that a user who tuned threads (and
// batch_threads) for this workload would set: the one whose turn is the shortest at its
// rates. It is the "best fixed thread count": one configuration for prompts and
// generation alike, as a config file sets it. nil when rs holds no fixed configuration.
func bestCount(rs []result, w workload, of rates) *result {
	return bestFor(rs, func(r result) float64 { return -w.turnTime(of(r)) })
}

// threadsFor returns the threads a fixed configuration gives generation steps (gen) or
// prompt chunks.
func (c config) threadsFor(gen bool) int {
	if !gen && c.batch > 0 {
		return c.batch
	}
	return c.threads
}

// bestFor returns the fixed configuration among rs with the highest value of metric (nil
// when none). Of one rate it is the best count of that metric alone, which may be a poor
// count for the other (on a small model, two threads take prompts faster and generate at half
// the speed).
func bestFor(rs []result, metric func(result) float64) *result {
	var best *result
	bestV := 0.0
	for i, r := range rs {
		if v := metric(r); r.cfg.threads != engine.AutoThreads && (best == nil || v > bestV) {
			best, bestV = &rs[i], v
		}
	}
	return best
}

// verdict is one phase's figures over all models: the smallest ratio of auto to the best
// fixed count over models and metrics, by medians and by pooled throughput; the same against
// the best count of each metric separately.
type verdict struct {
	count, pooled, perMetric float64
	others                   float64 // the most CPUs other programs used during the phase
}

// metrics are the two figures of a result, each with auto's steps at each thread count.
var metrics = []struct {
	name string
	of   func(sample) float64
	at   func(result) []uint64
	gen  bool
}{
	{"prompt", promptOf, func(r result) []uint64 { return r.batchAt }, false},
	{"generation", genOf, func(r result) []uint64 { return r.genAt }, true},
}

// ratioOf returns auto ÷ best of rate, 0 when best has nothing.
func ratioOf(auto, best float64) float64 {
	if best <= 0 {
		return 0
	}
	return auto / best
}

// judge compares, for each model and phase, the adaptive configuration with the best fixed
// count (bestCount, by medians and by pooled throughput) and with the best count of each
// metric (bestFor). It returns a line per model and phase and the verdict of each phase.
func judge(results []result, w workload) ([]string, map[string]*verdict) {
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
	verdicts := map[string]*verdict{}
	var lines []string
	for _, k := range order {
		rs := groups[k]
		i := slices.IndexFunc(rs, func(r result) bool { return r.cfg.threads == engine.AutoThreads })
		best := bestCount(rs, w, medianRates)
		if i < 0 || best == nil {
			continue
		}
		auto := rs[i]
		v := verdicts[k.phase]
		if v == nil {
			v = &verdict{count: math.Inf(1), pooled: math.Inf(1), perMetric: math.Inf(1)}
			verdicts[k.phase] = v
		}
		for _, r := range rs {
			v.others = max(v.others, r.others)
		}
		bestP := bestCount(rs, w, pooledRates)
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s: best fixed count %s (turn of %d+%d tokens %s)", k.model, k.phase, best.cfg.name,
			w.prompt, w.gen, formatTurns(rs, w))
		for _, m := range metrics {
			rm := ratioOf(medianOf(auto.samples, m.of), medianOf(best.samples, m.of))
			var paired []float64
			for j := range min(len(auto.samples), len(best.samples)) {
				if x := m.of(best.samples[j]); x > 0 {
					paired = append(paired, m.of(auto.samples[j])/x)
				}
			}
			fmt.Fprintf(&b, "; %s auto/%s %.3f", m.name, best.cfg.name, rm)
			if len(paired) > 0 {
				fmt.Fprintf(&b, " (per turn median %.3f [%.3f-%.3f]", median(paired), slices.Min(paired), slices.Max(paired))
				n := best.cfg.threadsFor(m.gen)
				if sh := shareAt(m.at(auto), n); sh >= 0 {
					fmt.Fprintf(&b, "; auto's steps at %d threads: %.1f%%", n, 100*sh)
				}
				b.WriteString(")")
			}
			rp := ratioOf(pooled(auto.samples, m.gen), pooled(bestP.samples, m.gen))
			fmt.Fprintf(&b, ", pooled auto/%s %.3f", bestP.cfg.name, rp)
			top := bestFor(rs, func(r result) float64 { return medianOf(r.samples, m.of) })
			rt := ratioOf(medianOf(auto.samples, m.of), medianOf(top.samples, m.of))
			fmt.Fprintf(&b, ", auto/best %s count (%s) %.3f", m.name, top.cfg.name, rt)
			v.count, v.pooled, v.perMetric = min(v.count, rm), min(v.pooled, rp), min(v.perMetric, rt)
		}
		lines = append(lines, b.String())
	}
	return lines, verdicts
}

// formatTurns is each fixed configuration's turn time at its medians: "1 2.91 ms, 2 5.03 ms".
func formatTurns(rs []result, w workload) string {
	var out []string
	for _, r := range rs {
		if r.cfg.threads != engine.AutoThreads {
			out = append(out, fmt.Sprintf("%s %s", r.cfg.name, formatSeconds(w.turnTime(r.med()))))
		}
	}
	return strings.Join(out, ", ")
}

// formatSeconds prints s in ms below a second ("collapsed" for +Inf).
func formatSeconds(s float64) string {
	switch {
	case math.IsInf(s, 1):
		return "collapsed"
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

// phaseTargets are the targets: contention_ratio under load, quiet_ratio on the idle
// machine.
var phaseTargets = []struct {
	phase  string
	target float64
	key    string
}{{"load", 0.9, "contention_ratio"}, {"quiet", 0.97, "quiet_ratio"}}

// verdictLines returns the summary of each phase that has a verdict, then its key=value
// lines: X (auto ÷ the best fixed count, medians; the target), X_pooled, and X_per_metric
// (against the best count of each metric separately, a stricter comparison than any one
// configuration a user can set).
func verdictLines(verdicts map[string]*verdict) (summary, keys []string) {
	for _, ph := range phaseTargets {
		v := verdicts[ph.phase]
		if v == nil {
			continue
		}
		state := "met"
		if v.count < ph.target {
			state = "NOT met"
		}
		s := fmt.Sprintf("%s: auto ÷ the best fixed count (the configuration with the shortest turn), the smallest over models and metrics: %.3f (target ≥ %.2f: %s; pooled throughput %.3f; against the best count of each metric separately %.3f",
			ph.key, v.count, ph.target, state, v.pooled, v.perMetric)
		if ph.phase == "quiet" && v.others > 0.25 {
			s += fmt.Sprintf("; other programs used up to %.2f CPUs during the quiet phases: not an idle machine", v.others)
		}
		summary = append(summary, s+")")
		keys = append(keys, fmt.Sprintf("%s=%.3f", ph.key, v.count), fmt.Sprintf("%s_pooled=%.3f", ph.key, v.pooled),
			fmt.Sprintf("%s_per_metric=%.3f", ph.key, v.perMetric))
	}
	return summary, keys
}

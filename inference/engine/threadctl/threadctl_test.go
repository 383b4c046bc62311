package threadctl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// clock is a simulated clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// machine simulates decode steps on a machine with cores cores, of which busy(at) are taken
// by other programs at time at. Threads beyond the free cores meet at barriers with a
// preempted thread: for n > 1 that adds a fixed delay per graph node, delay in all (a
// scheduler slice times the nodes that hit one); a single thread has no barriers and just
// shares its core, running share times slower.
type machine struct {
	cores int
	idle  func(n int) time.Duration // step time at n threads on an idle machine
	busy  func(at time.Duration) int
	delay time.Duration
	share float64
	// custom, if set, replaces the model above.
	custom func(n int, at time.Duration) time.Duration
	// gap is idle time between steps (steps of this kind come that rarely).
	gap time.Duration
}

func (m machine) step(n int, at time.Duration) time.Duration {
	if m.custom != nil {
		return m.custom(n, at)
	}
	busy := m.busy(at)
	free := m.cores - busy
	d := m.idle(n)
	switch {
	case busy == 0:
		return d
	case n == 1 && free <= 0:
		return time.Duration(float64(d) * m.share)
	case n > free:
		return d + m.delay
	}
	return d
}

// best returns the fastest step time at time at over the fixed counts 1..cores.
func (m machine) best(at time.Duration) time.Duration {
	b := m.step(1, at)
	for n := 2; n <= m.cores; n++ {
		b = min(b, m.step(n, at))
	}
	return b
}

// gen2 is generation of the bench model on this project's 2-core machine: 47 ms per token
// with one thread, 28 ms with two; preemption adds ~1 s to a step (0.4-4 tok/s measured),
// one thread sharing its core runs 1.35 times slower (15-16 tok/s against 21).
func gen2(busy func(time.Duration) int) machine {
	return machine{cores: 2, busy: busy, delay: time.Second, share: 1.35, idle: func(n int) time.Duration {
		return map[int]time.Duration{1: 47 * time.Millisecond, 2: 28 * time.Millisecond}[n]
	}}
}

// scaled is a machine of cores cores whose step time falls as n^0.8.
func scaled(cores int, one time.Duration, busy func(time.Duration) int) machine {
	return machine{cores: cores, busy: busy, delay: 500 * time.Millisecond, share: 1.5, idle: func(n int) time.Duration {
		f := 1.0
		for range n - 1 {
			f *= 0.85
		}
		return time.Duration(float64(one) * f)
	}}
}

func quiet(time.Duration) int { return 0 }

func allBusy(cores int) func(time.Duration) int { return func(time.Duration) int { return cores } }

// busyBetween has all cores busy in [from, to).
func busyBetween(cores int, from, to time.Duration) func(time.Duration) int {
	return func(at time.Duration) int {
		if at >= from && at < to {
			return cores
		}
		return 0
	}
}

// trace is what a simulated run did.
type trace struct {
	steps, ideal float64 // steps completed; steps the best fixed count would complete
	changes      int     // changes of the thread count between completed steps
	at           []int
	final        int
	stats        Stats
	maxLimit     time.Duration
}

// simulate drives c with steps of tokens tokens on m for the simulated span, the way the
// engine does: a step stopped at its limit is run again with the next plan. window, if
// positive, restricts the efficiency count to steps completed in [window[0], window[1]).
func simulate(c *Controller, clk *clock, m machine, tokens int, span time.Duration, window [2]time.Duration) trace {
	var tr trace
	start := clk.t
	last := 0
	for {
		at := clk.t.Sub(start)
		if at >= span {
			break
		}
		s := c.Plan(tokens)
		tr.maxLimit = max(tr.maxLimit, s.Limit)
		d := m.step(s.Threads, at)
		stopped := s.Limit > 0 && d > s.Limit
		if stopped {
			d = s.Limit
		}
		clk.t = clk.t.Add(d)
		c.Observe(s, tokens, d, stopped)
		if !stopped {
			clk.t = clk.t.Add(m.gap)
		}
		in := window[1] == 0 || (at >= window[0] && at < window[1])
		if in {
			tr.ideal += float64(d) / float64(m.best(at)) // steps the best count does in d
		}
		if stopped {
			continue
		}
		if in {
			tr.steps++
		}
		if last != 0 && s.Threads != last {
			tr.changes++
		}
		last = s.Threads
		tr.at = append(tr.at, s.Threads)
	}
	tr.final = c.Threads()
	tr.stats = c.Stats()
	return tr
}

func (tr trace) efficiency() float64 { return tr.steps / tr.ideal }

func newSim(min, max int) (*Controller, *clock) {
	return newSimFree(min, max, nil)
}

// freeFunc is a simulated [Config].Free: the CPUs other programs left free at simulated time
// at (since the start of the run).
type freeFunc func(at time.Duration) (float64, bool)

// newSimFree returns a controller on a simulated clock, with free as its Free (nil: none).
func newSimFree(min, max int, free freeFunc) (*Controller, *clock) {
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := Config{Min: min, Max: max, Now: clk.now}
	if free != nil {
		start := clk.t
		cfg.Free = func() (float64, bool) { return free(clk.t.Sub(start)) }
	}
	return New(cfg), clk
}

// sensed is what a CPUSensor reports on m: its cores less the busy ones, averaged over the
// last SensorInterval (in 10 ms samples).
func sensed(m machine) freeFunc {
	return func(at time.Duration) (float64, bool) {
		const n = int(SensorInterval / (10 * time.Millisecond))
		busy := 0
		for k := range n {
			busy += m.busy(at - time.Duration(k)*10*time.Millisecond)
		}
		return float64(m.cores) - float64(busy)/float64(n), true
	}
}

// allFree is a sensor that is wrong under load: it always reports every CPU free (a
// container that sees the host's idle CPUs, say).
func allFree(cores int) freeFunc {
	return func(time.Duration) (float64, bool) { return float64(cores), true }
}

// TestScenarios runs the controller against simulated machines. Efficiency is the steps
// completed over the steps the best fixed thread count would have completed at each moment.
func TestScenarios(t *testing.T) {
	s := time.Second
	// Prompt chunks on an idle machine (Free sees it idle), one of which stalls.
	stalledChunk := machine{cores: 2, gap: 300 * time.Millisecond, busy: quiet, custom: func(n int, at time.Duration) time.Duration {
		ms := map[int]time.Duration{1: 650, 2: 360}[n]
		if n == 2 && at >= 30*s && at < 30*s+660*time.Millisecond {
			ms = 800
		}
		return ms * time.Millisecond
	}}
	oneStall := func(t *testing.T, tr trace) {
		if st := tr.stats; st.StepsDown != 0 || st.Stalls != 1 {
			t.Errorf("stats %+v: want one stall and no step down", st)
		}
	}
	for _, tt := range []struct {
		name     string
		cores    int
		m        machine
		tokens   int
		span     time.Duration
		window   [2]time.Duration // efficiency window (zero: the whole run)
		minEff   float64
		final    int
		check    func(t *testing.T, tr trace)
		min, max int
		free     func(m machine) freeFunc // the controller's Free (nil: none)
	}{
		{
			name: "quiet", m: gen2(quiet), tokens: 1, span: 60 * s, minEff: 0.97, final: 2,
			check: func(t *testing.T, tr trace) {
				// One probe downwards at start (one thread is slower), nothing else.
				if st := tr.stats; st.StepsDown != 0 || st.StepsUp != 0 || st.Stopped != 0 || st.ProbesFailed != 1 {
					t.Errorf("stats %+v: want only the failed start-up probe", st)
				}
			},
		},
		{
			name: "busy from the start", m: gen2(allBusy(2)), tokens: 1, span: 120 * s, minEff: 0.9, final: 1,
			check: func(t *testing.T, tr trace) {
				if !slices.Equal(tr.at[:exploreAfter+1], []int{2, 2, 1}) {
					t.Errorf("first steps at %v threads: want 2, 2, then 1 (the start-up probe)", tr.at[:4])
				}
				if tr.stats.Hold != HoldMax {
					t.Errorf("hold %v after a minute of failed probes, want %v", tr.stats.Hold, HoldMax)
				}
			},
		},
		{
			name: "sudden load", m: gen2(busyBetween(2, 20*s, 200*s)), tokens: 1, span: 80 * s,
			window: [2]time.Duration{20 * s, 80 * s}, minEff: 0.9, final: 1,
			check: func(t *testing.T, tr trace) {
				// The first loaded step is stopped at its limit (2 × 28 ms) and runs again on
				// one thread: one stop, one step down.
				if tr.stats.StepsDown != 1 {
					t.Errorf("%d steps down, want 1", tr.stats.StepsDown)
				}
			},
		},
		{
			name: "load ends", m: gen2(busyBetween(2, 0, 30*s)), tokens: 1, span: 30*s + HoldMax + 5*s,
			window: [2]time.Duration{30*s + HoldMax + s, 30*s + HoldMax + 5*s}, minEff: 0.97, final: 2,
		},
		{
			name: "whole run with load in the middle", m: gen2(busyBetween(2, 30*s, 90*s)), tokens: 1, span: 150 * s,
			minEff: 0.9, final: 2,
		},
		{
			name: "half the cores busy", m: scaled(8, 80*time.Millisecond, func(at time.Duration) int {
				if at >= 10*s {
					return 4
				}
				return 0
			}), tokens: 1, span: 90 * s, window: [2]time.Duration{10 * s, 90 * s}, minEff: 0.9, final: 4,
		},
		{
			name: "prompt chunks under load", m: machine{cores: 2, busy: allBusy(2), delay: 1500 * time.Millisecond, share: 1.35,
				idle: func(n int) time.Duration {
					return map[int]time.Duration{1: 2100 * time.Millisecond, 2: 1070 * time.Millisecond}[n]
				}},
			tokens: 128, span: 120 * s, minEff: 0.9,
			check: func(t *testing.T, tr trace) {
				if tr.maxLimit != 0 || tr.stats.Stopped != 0 {
					t.Errorf("a 1-2 s step was given a limit (%v) or stopped (%d): long steps must run to the end", tr.maxLimit, tr.stats.Stopped)
				}
			},
		},
		{
			// The tiny model's 128-token prompt steps: 2.3 ms on two threads, 3 ms on one;
			// under load two threads take 5.4 ms, one 4.1 ms. No collapse, no stall past
			// the stop limit: the slowdown starts a probe downwards, which wins.
			name: "mild slowdown", tokens: 128, span: 60 * s, window: [2]time.Duration{20 * s, 60 * s}, minEff: 0.9, final: 1,
			m: machine{cores: 2, custom: func(n int, at time.Duration) time.Duration {
				us := map[bool]map[int]time.Duration{false: {1: 3000, 2: 2300}, true: {1: 4100, 2: 5400}}[at >= 20*s][n]
				return us * time.Microsecond
			}},
		},
		{
			// An idle machine where a step starting in one millisecond out of 97 (about one
			// step in 40) loses 6 ms to another program (a time slice): the count stays at
			// two threads.
			name: "hiccups", tokens: 128, span: 60 * s, minEff: 0.95, final: 2,
			m: machine{cores: 2, custom: func(n int, at time.Duration) time.Duration {
				d := map[int]time.Duration{1: 3000 * time.Microsecond, 2: 2300 * time.Microsecond}[n]
				if at/time.Millisecond%97 == 0 {
					d += 6 * time.Millisecond
				}
				return d
			}},
			check: func(t *testing.T, tr trace) {
				if tr.stats.StepsDown > 1 {
					t.Errorf("%d steps down for isolated hiccups, want at most 1", tr.stats.StepsDown)
				}
			},
		},
		{
			// A shared machine where another program's burst delays one generation step in
			// about 100 by 70 ms (3.5 times its time, under the stop limit of 140 ms): the
			// step runs on (stopped and run again on one thread it would cost 84 + 47 ms),
			// and the count stays.
			name: "bursts", tokens: 1, span: 60 * s, minEff: 0.97, final: 2,
			m: bursty(70 * time.Millisecond),
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.StepsDown != 0 || st.Stopped != 0 {
					t.Errorf("stats %+v: want no stopped step and no step down", st)
				}
			},
		},
		{
			// The same with bursts of 300 ms, past the stop limit: the step is stopped and run
			// again, and the count stays.
			name: "long bursts", tokens: 1, span: 60 * s, minEff: 0.97, final: 2,
			m: bursty(300 * time.Millisecond),
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.StepsDown != 0 || st.Stopped == 0 {
					t.Errorf("stats %+v: want stopped steps and no step down", st)
				}
			},
		},
		{
			// Prompts under load, one every 3 s: probes upwards (whose steps run 0.9 s
			// longer) must not take a large share of the prompts.
			name: "rare prompts under load", tokens: 64, span: 300 * s, window: [2]time.Duration{30 * s, 300 * s}, minEff: 0.95, final: 1,
			m: machine{cores: 2, gap: 3 * s, custom: func(n int, at time.Duration) time.Duration {
				return map[int]time.Duration{1: 1200 * time.Millisecond, 2: 2100 * time.Millisecond}[n]
			}},
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.ProbesFailed > 8 {
					t.Errorf("%d failed probes in %d prompts, want at most 8", st.ProbesFailed, st.Steps)
				}
			},
		},
		{
			// Prompt chunks of the bench model, one every 2 s, when the load comes: 0.65 s
			// on two idle threads, 1.2 s on one; under load 3 s on two, 1.6 s on one. Too
			// long to stop: the first stalled chunk starts a probe downwards, kept after
			// one clearly faster step.
			name: "prompt chunks, load comes", tokens: 64, span: 200 * s, window: [2]time.Duration{60 * s, 200 * s}, minEff: 0.9, final: 1,
			m: machine{cores: 2, gap: 2 * s, custom: func(n int, at time.Duration) time.Duration {
				ms := map[bool]map[int]time.Duration{false: {1: 1200, 2: 650}, true: {1: 1600, 2: 3000}}[at >= 60*s][n]
				return ms * time.Millisecond
			}},
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.StepsDown != 1 || st.Stopped != 0 {
					t.Errorf("stats %+v: want one step down, nothing stopped", st)
				}
			},
		},
		{
			// The bench model's prompt chunks as measured under bench-contention's busy loops:
			// 0.36 s on two idle threads, 0.7 s on one; under load 1.55 s on two, 1.1 s on
			// one, not 1.5 times faster. Free shows the CPUs busy, so the probe that the first
			// stalled chunk starts is judged against that chunk, not against the quiet chunks
			// still in the two threads' recent times (every loaded step looks slow next to
			// those).
			name: "prompt chunks, load comes, 1.4 times faster on one, Free", tokens: 64, span: 200 * s, window: [2]time.Duration{60 * s, 200 * s}, minEff: 0.9, final: 1,
			free: sensed,
			m: machine{cores: 2, gap: 2 * s, busy: busyBetween(2, 60*s, 1000*s), custom: func(n int, at time.Duration) time.Duration {
				ms := map[bool]map[int]time.Duration{false: {1: 700, 2: 360}, true: {1: 1100, 2: 1550}}[at >= 60*s][n]
				return ms * time.Millisecond
			}},
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.StepsDown != 1 || st.Stopped != 0 {
					t.Errorf("stats %+v: want one step down, nothing stopped", st)
				}
			},
		},
		{
			// Prompt chunks on an idle machine: the start-up probe downwards is dropped after
			// its first chunk, 1.8 times slower (not after ProbeSteps of them).
			name: "quiet prompts", tokens: 64, span: 60 * s, minEff: 0.97, final: 2,
			m: machine{cores: 2, gap: 300 * time.Millisecond, busy: quiet, idle: func(n int) time.Duration {
				return map[int]time.Duration{1: 650 * time.Millisecond, 2: 360 * time.Millisecond}[n]
			}},
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.StepsAt[1] != 1 || st.ProbesFailed != 1 || st.StepsDown != 0 {
					t.Errorf("stats %+v: want one chunk on one thread (the failed start-up probe)", st)
				}
			},
		},
		{
			// One prompt chunk on two threads stalls (another program's burst) on an otherwise
			// idle machine: the probe downwards it starts is judged against the recent
			// chunks, not against the stalled one alone, and fails.
			name: "one stalled prompt chunk", tokens: 64, span: 120 * s, minEff: 0.97, final: 2,
			m: stalledChunk, check: oneStall,
		},
		{
			// The same with Free, which shows the CPUs free (the burst is too short for it):
			// the probe is judged against the recent chunks as without it.
			name: "one stalled prompt chunk, Free", free: sensed, tokens: 64, span: 120 * s, minEff: 0.97, final: 2,
			m: stalledChunk, check: oneStall,
		},
		{
			// With Free, the count returns within a second or two of the load's end (without
			// it, after the hold the load made grow: 16 s, see "load ends").
			name: "load ends, Free", m: gen2(busyBetween(2, 0, 30*s)), tokens: 1, span: 35 * s,
			window: [2]time.Duration{32 * s, 35 * s}, minEff: 0.97, final: 2, free: sensed,
			check: func(t *testing.T, tr trace) {
				// While Free shows the CPUs busy, probes upwards wait HoldMax: besides the
				// start-up probe, at most two fail in 30 s of load.
				if st := tr.stats; st.ProbesFailed > 3 {
					t.Errorf("stats %+v: want at most 3 failed probes", st)
				}
			},
		},
		{
			// Under load Free makes no probe early: no more failed probes than without it.
			name: "busy from the start, Free", m: gen2(allBusy(2)), tokens: 1, span: 120 * s, minEff: 0.9, final: 1, free: sensed,
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.ProbesFailed > 12 {
					t.Errorf("%d failed probes in 2 minutes of load, want at most 12", st.ProbesFailed)
				}
			},
		},
		{
			// A Free that reports idle CPUs under load costs one failed probe per plain probe.
			name: "Free wrong under load", m: gen2(allBusy(2)), tokens: 1, span: 120 * s, minEff: 0.9, final: 1, free: func(machine) freeFunc { return allFree(2) },
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.ProbesFailed > 24 {
					t.Errorf("%d failed probes in 2 minutes of load, want at most 24", st.ProbesFailed)
				}
			},
		},
		{
			// "rare prompts under load" with Free: it shows the CPUs busy, so the probes
			// upwards wait HoldMax from the first.
			name: "rare prompts under load, Free", tokens: 64, span: 300 * s, window: [2]time.Duration{30 * s, 300 * s}, minEff: 0.97, final: 1,
			m: machine{cores: 2, gap: 3 * s, busy: allBusy(2), delay: 1500 * time.Millisecond, share: 1.35, idle: func(n int) time.Duration {
				return map[int]time.Duration{1: 890 * time.Millisecond, 2: 600 * time.Millisecond}[n]
			}},
			free: sensed,
			check: func(t *testing.T, tr trace) {
				if st := tr.stats; st.ProbesFailed > 4 {
					t.Errorf("%d failed probes in %d prompts, want at most 4", st.ProbesFailed, st.Steps)
				}
			},
		},
		{
			// Prompts, one every 2 s, after the load: with Free the count is back after the
			// first prompt past HoldMin, not after HoldSteps × 16 prompts.
			name: "prompts after the load, Free", tokens: 64, span: 130 * s, window: [2]time.Duration{70 * s, 130 * s}, minEff: 0.95, final: 2,
			m: machine{cores: 2, gap: 2 * s, busy: busyBetween(2, 0, 60*s), delay: 1500 * time.Millisecond, share: 1.35, idle: func(n int) time.Duration {
				return map[int]time.Duration{1: 1200 * time.Millisecond, 2: 650 * time.Millisecond}[n]
			}},
			free: sensed,
		},
		{
			name: "fixed count under load", min: 2, max: 2, m: gen2(busyBetween(2, 5*s, 60*s)), tokens: 1, span: 20 * s, final: 2,
			check: func(t *testing.T, tr trace) {
				st := tr.stats
				if tr.changes != 0 || tr.maxLimit != 0 || st.Adaptive || st.Stalls == 0 {
					t.Errorf("fixed count: %d changes, max limit %v, stats %+v; want no change, no limit, stalls counted", tr.changes, tr.maxLimit, st)
				}
			},
		},
		{
			name: "one thread only", min: 1, max: 1, m: gen2(busyBetween(2, 5*s, 10*s)), tokens: 1, span: 20 * s, final: 1,
			check: func(t *testing.T, tr trace) {
				if tr.changes != 0 || tr.maxLimit != 0 {
					t.Errorf("Max 1: %d changes, max limit %v", tr.changes, tr.maxLimit)
				}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := tt.min, tt.max
			if hi == 0 {
				lo, hi = 1, tt.m.cores
			}
			var free freeFunc
			if tt.free != nil {
				free = tt.free(tt.m)
			}
			c, clk := newSimFree(lo, hi, free)
			tr := simulate(c, clk, tt.m, tt.tokens, tt.span, tt.window)
			t.Logf("efficiency %.3f changes %d stats %+v", tr.efficiency(), tr.changes, tr.stats)
			if tt.minEff > 0 {
				if e := tr.efficiency(); e < tt.minEff {
					t.Errorf("efficiency %.3f, want ≥ %.2f (stats %+v)", e, tt.minEff, tr.stats)
				}
			}
			if tt.final != 0 && tr.final != tt.final {
				t.Errorf("final thread count %d, want %d (stats %+v)", tr.final, tt.final, tr.stats)
			}
			if tt.check != nil {
				tt.check(t, tr)
			}
		})
	}
}

// TestFlappingLoad: load that comes and goes every 2 s makes the hold grow to HoldMax, so
// the count changes a bounded number of times, while throughput stays near the best fixed
// count's.
func TestFlappingLoad(t *testing.T) {
	flap := func(at time.Duration) int {
		if (at/(2*time.Second))%2 == 1 {
			return 2
		}
		return 0
	}
	c, clk := newSim(1, 2)
	span := 300 * time.Second
	tr := simulate(c, clk, gen2(flap), 1, span, [2]time.Duration{})
	// Without hysteresis the count would follow the load: 150 changes. With the hold at
	// HoldMax a probe up comes every 16 s at most, and each is followed by at most one step
	// down: 2 changes per HoldMax, plus the climb of the hold.
	if limit := 2*int(span/HoldMax) + 10; tr.changes > limit {
		t.Errorf("%d thread count changes in %v of flapping load, want ≤ %d", tr.changes, span, limit)
	}
	if tr.stats.Hold != HoldMax {
		t.Errorf("hold %v, want %v", tr.stats.Hold, HoldMax)
	}
	// Against the best fixed count (the bench's measure): ideal switching is out of reach
	// when the load changes faster than a probe can be trusted.
	best := 0.0
	for n := 1; n <= 2; n++ {
		best = max(best, fixedSteps(gen2(flap), n, span))
	}
	t.Logf("flapping ratio %.3f changes %d", tr.steps/best, tr.changes)
	if r := tr.steps / best; r < 0.9 {
		t.Errorf("%.0f steps under flapping load, the best fixed count made %.0f: ratio %.3f, want ≥ 0.9", tr.steps, best, r)
	}
}

// fixedSteps counts the single-token steps n threads complete on m in span.
func fixedSteps(m machine, n int, span time.Duration) float64 {
	steps := 0.0
	for at := time.Duration(0); at < span; steps++ {
		at += m.step(n, at)
	}
	return steps
}

// TestHoldReturns: after Settle without a stall the hold is back at HoldMin, so a new load
// episode starts with quick probes again.
func TestHoldReturns(t *testing.T) {
	s := time.Second
	c, clk := newSim(1, 2)
	simulate(c, clk, gen2(busyBetween(2, 0, 60*s)), 1, 60*s, [2]time.Duration{})
	if h := c.Stats().Hold; h != HoldMax {
		t.Fatalf("hold after a minute of load %v, want %v", h, HoldMax)
	}
	simulate(c, clk, gen2(quiet), 1, HoldMax+Settle+5*s, [2]time.Duration{})
	if h, n := c.Stats().Hold, c.Threads(); h != HoldMin || n != 2 {
		t.Errorf("after the load: hold %v, threads %d; want %v, 2", h, n, HoldMin)
	}
}

// TestPlanLimits: the limit is StopFactor × the baseline (at least the baseline plus
// StopSlack), none for steps expected to run longer than MaxLimitedStep, none at Min.
func TestPlanLimits(t *testing.T) {
	for _, tt := range []struct {
		step time.Duration
		want time.Duration
	}{
		{28 * time.Millisecond, 140 * time.Millisecond},
		{200 * time.Microsecond, 200*time.Microsecond + StopSlack},
		{MaxLimitedStep, 5 * MaxLimitedStep},
		{MaxLimitedStep + time.Millisecond, 0},
	} {
		c, clk := newSim(1, 4)
		// Clean steps at 4 threads; the start-up probe downwards is then due, so make the
		// controller leave exploration by failing it first.
		for range exploreAfter {
			c.Observe(c.Plan(1), 1, tt.step, false)
		}
		p := c.Plan(1)
		if p.Threads != 3 {
			t.Fatalf("start-up probe at %d threads, want 3", p.Threads)
		}
		for range ProbeSteps {
			c.Observe(p, 1, 2*tt.step, false)
			clk.t = clk.t.Add(2 * tt.step)
		}
		p = c.Plan(1)
		if p.Threads != 4 || p.Limit != tt.want {
			t.Errorf("step %v: Plan = %+v, want 4 threads, limit %v", tt.step, p, tt.want)
		}
	}
	c, _ := newSim(1, 1)
	c.Observe(c.Plan(1), 1, time.Millisecond, false)
	if p := c.Plan(1); p.Limit != 0 {
		t.Errorf("Plan at Min = %+v, want no limit", p)
	}
}

// TestSizeKeys: sizes up to 16 tokens have their own baselines, larger ones share
// power-of-two buckets, so a prompt chunk of 300 tokens is judged against 256-511.
func TestSizeKeys(t *testing.T) {
	for _, tt := range []struct{ a, b int }{{0, 1}, {17, 31}, {256, 511}} {
		if sizeKey(tt.a) != sizeKey(tt.b) {
			t.Errorf("sizeKey(%d) = %d, sizeKey(%d) = %d: want equal", tt.a, sizeKey(tt.a), tt.b, sizeKey(tt.b))
		}
	}
	for _, tt := range []struct{ a, b int }{{1, 2}, {15, 16}, {16, 17}, {255, 256}} {
		if sizeKey(tt.a) == sizeKey(tt.b) {
			t.Errorf("sizeKey(%d) = sizeKey(%d) = %d: want different", tt.a, tt.b, sizeKey(tt.a))
		}
	}
}

func ExampleController() {
	c := New(Config{Min: 1, Max: 2})
	s := c.Plan(1) // a single-token step
	fmt.Println(s.Threads, s.Limit)
	// ... decode with s.Threads threads, stopping it after s.Limit if positive ...
	c.Observe(s, 1, 28*time.Millisecond, false)
	// Output: 2 0s
}

// burst is another program taking one core in [from, to) (simulated time since the start).
type burst struct{ from, to time.Duration }

// noise returns seeded random bursts over span: one every meanGap on average (exponential
// gaps), lasting between short and long, one in rare of them between long and 10 × long.
func noise(seed uint64, span, meanGap, short, long time.Duration, rare int) []burst {
	rng := rand.New(rand.NewPCG(seed, 1))
	var bs []burst
	for at := time.Duration(0); at < span; {
		at += time.Duration(rng.ExpFloat64() * float64(meanGap))
		lo, hi := short, long
		if rng.IntN(rare) == 0 {
			lo, hi = long, 10*long
		}
		d := lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
		bs = append(bs, burst{at, at + d})
	}
	return bs
}

// noisy is a 2-core machine (idle step times one and two) on which bursts of other programs
// come and go. While one core is taken, a step on two threads advances at a tenth of its
// speed (a thread preempted at every barrier: the collapse, short-lived), one thread at full
// speed (it has the other core); while both are taken, one thread advances at 1/share.
func noisy(one, two time.Duration, bs []burst) machine {
	busyAt := func(at time.Duration) (n int, next time.Duration) {
		next = time.Duration(math.MaxInt64)
		// bs is sorted by start; a burst is at most ~10 × long, so look back a little.
		i := sort.Search(len(bs), func(i int) bool { return bs[i].from > at })
		for j := i - 1; j >= 0 && j >= i-64; j-- {
			if b := bs[j]; at < b.to {
				n++
				next = min(next, b.to)
			}
		}
		if i < len(bs) {
			next = min(next, bs[i].from)
		}
		return n, next
	}
	m := machine{cores: 2}
	m.busy = func(at time.Duration) int { n, _ := busyAt(at); return n }
	m.custom = func(n int, at time.Duration) time.Duration {
		work := float64(one)
		if n == 2 {
			work = float64(two)
		}
		t := at
		for work > 0 {
			busy, next := busyAt(t)
			rate := 1.0
			switch {
			case busy == 0:
			case n == 2:
				rate = 0.1
			case busy >= 2:
				rate = 1 / 1.35
			}
			if span := float64(next - t); span*rate < work {
				work -= span * rate
				t = next
				continue
			}
			t += time.Duration(work / rate)
			work = 0
		}
		return t - at
	}
	return m
}

// TestNoisyMachine: on a machine where other programs come and go in short bursts (a laptop
// with a browser and an editor; a shared build machine), the adaptive count completes nearly
// as many steps as the best fixed count on the same bursts, with and without Free. (Before
// reruns with one thread fewer, Free and the quick end of failing probes downwards, the
// ratios were 0.95-0.96 on the shared machine's generation, 0.994 on the laptop's prompts,
// 0.95-0.99 on the shared machine's.)
func TestNoisyMachine(t *testing.T) {
	const span = 120 * time.Second
	ms := time.Millisecond
	for _, tt := range []struct {
		name             string
		meanGap          time.Duration
		short, long      time.Duration
		rare             int
		one, two         time.Duration
		tokens           int
		gap              time.Duration
		minRatio         float64
		minRatioWithFree float64
	}{
		// Generation of the bench model (26 ms on one thread, 21 on two).
		{"laptop, generation", 300 * ms, ms / 2, 5 * ms, 20, 26 * ms, 21 * ms, 1, 0, 0.99, 0.99},
		{"shared, generation", 100 * ms, ms, 20 * ms, 10, 26 * ms, 21 * ms, 1, 0, 0.94, 0.95},
		// Prompts of the bench model (64 tokens: 650 ms on one thread, 360 on two), one every
		// 300 ms of idle time between them.
		{"laptop, prompts", 300 * ms, ms / 2, 5 * ms, 20, 650 * ms, 360 * ms, 64, 300 * ms, 0.99, 0.99},
		{"shared, prompts", 100 * ms, ms, 20 * ms, 10, 650 * ms, 360 * ms, 64, 300 * ms, 0.95, 0.95},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(3) {
				m := noisy(tt.one, tt.two, noise(seed, span+time.Minute, tt.meanGap, tt.short, tt.long, tt.rare))
				m.gap = tt.gap
				best := bestFixed(m, tt.tokens, span)
				checkAdaptive(t, m, tt.tokens, span, best, seed, nil, tt.minRatio)
				checkAdaptive(t, m, tt.tokens, span, best, seed, sensed(m), tt.minRatioWithFree)
			}
		})
	}
}

// TestRerun: a step stopped at its limit runs again with one thread fewer, the step after at
// the count again; a second stop within StopWindow steps lowers the count. StepsAt counts
// the steps at each count.
func TestRerun(t *testing.T) {
	c, clk := newSim(1, 3)
	ms := time.Millisecond
	step := func(wantThreads int, d time.Duration, stop bool) {
		t.Helper()
		p := c.Plan(1)
		if p.Threads != wantThreads {
			t.Fatalf("step at %d threads, want %d", p.Threads, wantThreads)
		}
		// The engine sizes its thread pools with Threads after Plan.
		if n := c.Threads(); n != p.Threads {
			t.Fatalf("Threads() = %d after Plan(), which planned %d", n, p.Threads)
		}
		if stop {
			if p.Limit <= 0 {
				t.Fatalf("a step at %d threads without a limit", p.Threads)
			}
			d = p.Limit
		}
		clk.t = clk.t.Add(d)
		c.Observe(p, 1, d, stop)
	}
	// Start: exploreAfter steps at 3, then the start-up probe at 2 fails (slower).
	for range exploreAfter {
		step(3, 20*ms, false)
	}
	for range ProbeSteps {
		step(2, 30*ms, false)
	}
	step(3, 20*ms, true)  // stopped ...
	step(2, 30*ms, false) // ... and run again with one thread fewer
	step(3, 20*ms, false) // the next step: the count again
	step(3, 20*ms, false)
	step(3, 20*ms, true)  // a second stop among the last StopWindow steps at 3:
	step(2, 30*ms, false) // one thread fewer from now on
	step(2, 30*ms, false)
	st := c.Stats()
	if st.Threads != 2 || st.StepsDown != 1 || st.Stopped != 2 {
		t.Errorf("stats %+v: want 2 threads after 1 step down, 2 stopped steps", st)
	}
	if want := []uint64{0, 0, ProbeSteps + 1 + 2, exploreAfter + 4}; !slices.Equal(st.StepsAt, want) {
		t.Errorf("StepsAt %v, want %v", st.StepsAt, want)
	}
	// A rerun at Min has no limit; a stop at 2 reruns at 1.
	step(2, 30*ms, true)
	if p := c.Plan(1); p.Threads != 1 || p.Limit != 0 {
		t.Errorf("rerun after a stop at 2 threads: %+v, want 1 thread, no limit", p)
	}
}

// TestCut: a step interrupted by a cancelled request counts as stopped only when it had
// overrun already: past its limit, or (a long step without one) past StallFactor × its
// expected time. Two such lower the count, as stops do; early cancellations change nothing.
func TestCut(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		name      string
		step      time.Duration // clean step time at 2 threads (1 thread: twice that)
		cutAfter  func(p Step) time.Duration
		wantDown  bool
		wantStops uint64
	}{
		{"short step cut before its limit", 20 * ms, func(p Step) time.Duration { return p.Limit / 2 }, false, 0},
		{"short step cut past its limit", 20 * ms, func(p Step) time.Duration { return p.Limit + ms }, true, 2},
		{"long step cut early", 400 * ms, func(Step) time.Duration { return 500 * ms }, false, 0},
		{"long step cut after a stall", 400 * ms, func(Step) time.Duration { return 10 * time.Second }, true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newSim(1, 2)
			run := func(d time.Duration) {
				p := c.Plan(64)
				if p.Threads == 1 {
					d *= 2
				}
				clk.t = clk.t.Add(d)
				c.Observe(p, 64, d, false)
			}
			// Past the start-up probe (one thread: slower).
			for range exploreAfter + ProbeSteps {
				run(tt.step)
			}
			if n := c.Threads(); n != 2 {
				t.Fatalf("%d threads after the start, want 2", n)
			}
			for range 2 {
				p := c.Plan(64)
				if p.Threads != 2 {
					break
				}
				d := tt.cutAfter(p)
				clk.t = clk.t.Add(d)
				c.Cut(p, 64, d)
				run(tt.step) // the next request's step (a rerun with one thread fewer after a counted cut)
			}
			st := c.Stats()
			if down := st.StepsDown > 0; down != tt.wantDown || st.Stopped != tt.wantStops {
				t.Errorf("stats %+v: want step down %v, %d stopped", st, tt.wantDown, tt.wantStops)
			}
		})
	}
	// A fixed count ignores cuts: its steps are never stopped.
	c, clk := newSim(2, 2)
	for range 3 {
		p := c.Plan(1)
		clk.t = clk.t.Add(20 * ms)
		c.Observe(p, 1, 20*ms, false)
	}
	c.Cut(c.Plan(1), 1, 10*time.Second)
	if st := c.Stats(); st.Stopped != 0 || st.Steps != 3 {
		t.Errorf("fixed count after a cut: stats %+v, want 3 steps, none stopped", st)
	}
}

// TestSlowSpells: spells in which every step runs slower, whatever its thread count (a shared
// host's other guests, a clock that drops), must not move the count: two threads stay
// faster at every moment. Probes judged against the median of older steps took a spell's
// end for a gain of the lower count (in a replayed trace of the tiny model's prompts, one
// thread ran 42% of them; here 0.95-0.97 of the best count's steps); probes of steps that
// come after other work are paired with neighbouring steps at the current count and see the
// spell on both sides. Back-to-back steps are not paired (see pairable): without Free they
// keep 0.89-0.96.
func TestSlowSpells(t *testing.T) {
	const span = 60 * time.Second
	ms := time.Millisecond
	for _, tt := range []struct {
		name           string
		one, two       time.Duration
		tokens         int
		gap            time.Duration
		minRatioNoFree float64
	}{
		// The tiny model's 64-token prompts (1.2 and 1.0 ms), 3 ms of generation between.
		{"short prompts", 1200 * time.Microsecond, 1000 * time.Microsecond, 64, 3 * ms, 0.98},
		// Generation steps of a small model (1.2 and 1.0 ms), back to back.
		{"short generation", 1200 * time.Microsecond, 1000 * time.Microsecond, 1, 0, 0.85},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(3) {
				spells := noise(seed, span+time.Minute, 40*ms, 2*ms, 20*ms, 10)
				in := func(at time.Duration) bool {
					i := sort.Search(len(spells), func(i int) bool { return spells[i].from > at })
					for j := i - 1; j >= 0 && j >= i-64; j-- {
						if at < spells[j].to {
							return true
						}
					}
					return false
				}
				m := machine{cores: 2, busy: quiet, gap: tt.gap, custom: func(n int, at time.Duration) time.Duration {
					d := tt.one
					if n == 2 {
						d = tt.two
					}
					if in(at) {
						d = d * 3 / 2
					}
					return d
				}}
				best := bestFixed(m, tt.tokens, span)
				checkAdaptive(t, m, tt.tokens, span, best, seed, nil, tt.minRatioNoFree)
				// The spells are no other program's: the CPUs are free.
				checkAdaptive(t, m, tt.tokens, span, best, seed, allFree(2), 0.98)
			}
		})
	}
}

// TestPairedProbe: the steps of a probe of short steps that come after other work (prompts
// between generation) alternate with steps at the current count, and each probe step is
// judged against the step just before it; back-to-back steps are probed in a row. A slowdown that ends
// as the probe starts (a spell of the host) leaves the count alone; one that goes on (the
// current count is slower now) moves it, at once when a step at the current count is stopped.
func TestPairedProbe(t *testing.T) {
	us := time.Microsecond
	for _, tt := range []struct {
		name      string
		after     map[int]time.Duration // step time by thread count once the probe started
		gap       time.Duration         // other work after each step
		wantSeq   []int
		wantFinal int // 0: not checked
	}{
		{"spell ends", map[int]time.Duration{1: 1200 * us, 2: 1000 * us}, 3 * time.Millisecond, []int{1, 2, 1, 2, 1, 2}, 2},
		{"two threads slower now", map[int]time.Duration{1: 1200 * us, 2: 1500 * us}, 3 * time.Millisecond, []int{1, 2, 1, 2, 1, 1}, 1},
		// The step at two threads between probe steps is stopped at its limit: kept at once.
		{"two threads collapse", map[int]time.Duration{1: 1200 * us, 2: 100 * time.Millisecond}, 3 * time.Millisecond, []int{1, 2, 1, 1, 1, 1}, 1},
		// Back to back: the probe's steps in a row (judged against the recent steps, whose
		// median here is the spell's: the trade-off pairable describes).
		{"back to back", map[int]time.Duration{1: 1200 * us, 2: 1000 * us}, 0, []int{1, 1, 1}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newSim(1, 2)
			// run plans a step and runs it for d's time at its count.
			run := func(p Step, d map[int]time.Duration) int {
				t.Helper()
				if n := c.Threads(); n != p.Threads {
					t.Fatalf("Threads() %d after Plan, want the planned %d", n, p.Threads)
				}
				took := d[p.Threads]
				stopped := p.Limit > 0 && took > p.Limit
				if stopped {
					took = p.Limit
				}
				clk.t = clk.t.Add(took)
				c.Observe(p, 1, took, stopped)
				clk.t = clk.t.Add(tt.gap)
				return p.Threads
			}
			// Clean steps, with the start-up probe (one thread slower: dropped).
			clean := map[int]time.Duration{1: 1200 * us, 2: 1000 * us}
			for range 20 {
				run(c.Plan(1), clean)
			}
			if st := c.Stats(); st.Threads != 2 || st.ProbesFailed != 1 {
				t.Fatalf("after clean steps: %+v, want 2 threads and the failed start-up probe", st)
			}
			// A spell: every step 1.5 times slower, until the recent steps start a probe; from
			// its first step on, the steps take tt.after.
			spell := map[int]time.Duration{1: 1800 * us, 2: 1500 * us}
			var seq []int
			for i := 0; ; i++ {
				if i > 20 {
					t.Fatal("no probe downwards after 20 slow steps")
				}
				p := c.Plan(1)
				if p.Threads == 1 {
					seq = append(seq, run(p, tt.after))
					break
				}
				run(p, spell)
			}
			for len(seq) < len(tt.wantSeq) {
				seq = append(seq, run(c.Plan(1), tt.after))
			}
			if !slices.Equal(seq, tt.wantSeq) {
				t.Errorf("steps at %v threads, want %v", seq, tt.wantSeq)
			}
			if got := c.Threads(); tt.wantFinal != 0 && got != tt.wantFinal {
				t.Errorf("count %d after the probe, want %d", got, tt.wantFinal)
			}
		})
	}
}

// TestWarmSteps: generation in requests of 32 steps, each after a prompt (400 ms of other
// work); the first step after it takes 3 times longer on two threads (measured on the bench
// model: 2-4 times). Under load for the first 20 s, then quiet: the probes upwards must not be
// judged by those first steps, so the count returns to two threads (within HoldMax, the
// longest hold) and stays there.
func TestWarmSteps(t *testing.T) {
	ms := time.Millisecond
	for _, withFree := range []bool{false, true} {
		var free freeFunc
		loadEnd := 20 * time.Second
		if withFree {
			free = func(at time.Duration) (float64, bool) {
				if at < loadEnd {
					return 0, true
				}
				return 2, true
			}
		}
		c, clk := newSimFree(1, 2, free)
		start := clk.t
		var at2, steps int
		for i := 0; clk.t.Sub(start) < 60*time.Second; i++ {
			first := i%32 == 0
			if first {
				clk.t = clk.t.Add(400 * ms)
			}
			for {
				at := clk.t.Sub(start)
				p := c.Plan(1)
				d := 24 * ms
				if p.Threads == 2 {
					d = 20 * ms
					if first {
						d = 60 * ms
					}
					if at < loadEnd {
						d = 500 * ms // collapsed
					}
				}
				stopped := p.Limit > 0 && d > p.Limit
				if stopped {
					d = p.Limit
				}
				clk.t = clk.t.Add(d)
				c.Observe(p, 1, d, stopped)
				if !stopped {
					if at >= loadEnd+HoldMax {
						steps++
						if p.Threads == 2 {
							at2++
						}
					}
					break
				}
			}
		}
		share := float64(at2) / float64(steps)
		t.Logf("Free %v: %.1f%% of the steps from HoldMax after the load at 2 threads; stats %+v", withFree, 100*share, c.Stats())
		if share < 0.95 {
			t.Errorf("Free %v: %.1f%% of the steps from HoldMax after the load at 2 threads, want ≥ 95%%", withFree, 100*share)
		}
	}
}

// TestLongStepsNotWarm: prompt chunks (400 ms on two threads) that come after 1 s of other
// work and after 10 ms in turn (the gaps that make a short step warm) are never held at the
// current count as warm steps: once load comes and a chunk stalls, the next chunk already
// probes one thread.
func TestLongStepsNotWarm(t *testing.T) {
	ms := time.Millisecond
	c, clk := newSim(1, 2)
	loaded := false
	var afterStall []int
	stalled := false
	for i := range 40 {
		if i%2 == 0 {
			clk.t = clk.t.Add(time.Second)
		} else {
			clk.t = clk.t.Add(10 * ms)
		}
		if i == 21 { // a chunk after 10 ms: the next comes after 1 s
			loaded = true
		}
		p := c.Plan(64)
		d := 700 * ms
		if p.Threads == 2 {
			d = 400 * ms
			if loaded {
				d = 2 * time.Second
			}
		}
		if stalled {
			afterStall = append(afterStall, p.Threads)
			stalled = false
		}
		if loaded && p.Threads == 2 && len(afterStall) == 0 {
			stalled = true
		}
		clk.t = clk.t.Add(d)
		c.Observe(p, 64, d, false)
	}
	if len(afterStall) == 0 || afterStall[0] != 1 {
		t.Fatalf("chunk after the first stall at %v threads, want 1", afterStall)
	}
	if st := c.Stats(); st.Threads != 1 {
		t.Errorf("stats %+v: want one thread under the load", st)
	}
}

// bestFixed returns the most steps a fixed count (1 or 2) completes on m in span.
func bestFixed(m machine, tokens int, span time.Duration) float64 {
	best := 0.0
	for n := 1; n <= 2; n++ {
		c, clk := newSim(n, n)
		best = max(best, simulate(c, clk, m, tokens, span, [2]time.Duration{}).steps)
	}
	return best
}

// checkAdaptive runs the adaptive count (1-2, with free as its Free) on m and wants at least
// want × best steps.
func checkAdaptive(t *testing.T, m machine, tokens int, span time.Duration, best float64, seed uint64, free freeFunc, want float64) {
	t.Helper()
	c, clk := newSimFree(1, 2, free)
	tr := simulate(c, clk, m, tokens, span, [2]time.Duration{})
	r := tr.steps / best
	t.Logf("seed %d, Free %v: ratio %.3f (%.0f steps, best fixed %.0f), steps at 1 and 2 threads %v, stats %+v",
		seed, free != nil, r, tr.steps, best, tr.stats.StepsAt[1:], tr.stats)
	if r < want {
		t.Errorf("seed %d, Free %v: %.0f steps, the best fixed count made %.0f: ratio %.3f, want ≥ %.2f",
			seed, free != nil, tr.steps, best, r, want)
	}
}

// bursty is the bench model's generation (47 ms on one thread, 28 on two) on a machine where
// another program's burst delays about one step in 100 by extra.
func bursty(extra time.Duration) machine {
	return machine{cores: 2, custom: func(n int, at time.Duration) time.Duration {
		d := map[int]time.Duration{1: 47 * time.Millisecond, 2: 28 * time.Millisecond}[n]
		if at/time.Millisecond%2900 < 28 {
			d += extra
		}
		return d
	}}
}

// TestCrowdedProbesDown: while Free shows other programs on the CPUs the current count
// needs, probes downwards come without a slowdown against the count's baseline.
func TestCrowdedProbesDown(t *testing.T) {
	const s = time.Second
	busyFree := func(time.Duration) (float64, bool) { return 0.8, true }
	for _, tc := range []struct {
		name   string
		m      machine
		free   freeFunc
		window [2]time.Duration
		span   time.Duration
		tokens int
		minEff float64
		final  int
		check  func(*testing.T, trace)
	}{
		{
			// The bench model's prompts, 3 s apart, on a machine under load from the start:
			// two threads take 1.2 s, one 0.95 s (no collapse), but for the first 30 s one
			// thread's steps are slow too (2 s: a burst), so the start-up probe downwards
			// fails. Two threads' baseline is then from the load: they are never slow against
			// it and never stall. Without the probes downwards that Free's busy CPUs call for,
			// two threads stayed to the end (efficiency 0.79).
			name: "baseline from the load", tokens: 64, span: 300 * s, window: [2]time.Duration{60 * s, 300 * s},
			minEff: 0.95, final: 1,
			m: machine{cores: 2, gap: 3 * s, custom: func(n int, at time.Duration) time.Duration {
				if n == 1 && at < 30*s {
					return 2 * s
				}
				return map[int]time.Duration{1: 950 * time.Millisecond, 2: 1200 * time.Millisecond}[n]
			}},
			free: busyFree,
		},
		{
			// Other programs at a lower priority: Free shows the CPUs busy, yet two threads
			// generate faster (the bench model's 28 ms against 47). The probes downwards fail
			// and their hold grows: two threads stay.
			name: "busy CPUs that yield", tokens: 1, span: 120 * s, minEff: 0.97, final: 2,
			m: gen2(quiet), free: busyFree,
		},
		{
			// A quiet machine where other programs take a CPU for 0.5 s every 5 s (bursts that
			// do not slow two threads down): no probe downwards.
			name: "short bursts on the sensor", tokens: 1, span: 120 * s, minEff: 0.995, final: 2,
			m: gen2(quiet),
			check: func(t *testing.T, tr trace) {
				// The one failed probe is the start-up probe downwards.
				if tr.stats.ProbesFailed > 1 {
					t.Errorf("%d failed probes: bursts shorter than the hold started probes downwards", tr.stats.ProbesFailed)
				}
			},
			free: func(at time.Duration) (float64, bool) {
				if at%(5*s) < s/2 {
					return 0.8, true
				}
				return 2, true
			},
		},
		{
			// The same for prompts that come 3 s apart.
			name: "busy CPUs that yield, rare steps", tokens: 64, span: 300 * s, minEff: 0.95, final: 2,
			m: machine{cores: 2, gap: 3 * s, custom: func(n int, at time.Duration) time.Duration {
				return map[int]time.Duration{1: 550 * time.Millisecond, 2: 350 * time.Millisecond}[n]
			}},
			free: busyFree,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk := newSimFree(1, 2, tc.free)
			tr := simulate(c, clk, tc.m, tc.tokens, tc.span, tc.window)
			t.Logf("efficiency %.3f, steps at 1 and 2 threads %v, stats %+v", tr.efficiency(), tr.stats.StepsAt[1:], tr.stats)
			if eff := tr.efficiency(); eff < tc.minEff {
				t.Errorf("efficiency %.3f, want ≥ %.2f", eff, tc.minEff)
			}
			if tr.final != tc.final {
				t.Errorf("final count %d, want %d", tr.final, tc.final)
			}
			if tc.check != nil {
				tc.check(t, tr)
			}
		})
	}
}

// TestWatchBusy: every Plan, a probe's included, follows Free, so that a break in the load
// during a probe restarts the wait before a probe downwards.
func TestWatchBusy(t *testing.T) {
	free := 0.8
	c, clk := newSimFree(1, 2, func(time.Duration) (float64, bool) { return free, true })
	step := func() {
		s := c.Plan(1)
		clk.t = clk.t.Add(30 * time.Millisecond)
		c.Observe(s, 1, 30*time.Millisecond, false)
	}
	step()
	start := c.busySince
	if start.IsZero() {
		t.Fatal("Free shows the CPUs taken, busySince is zero")
	}
	c.probe = 1 // a probe downwards under way: Plan starts none and chooses nothing else
	free = 2
	step()
	if !c.busySince.IsZero() {
		t.Errorf("a break during a probe was missed: busySince %v", c.busySince)
	}
	free = 0.8
	step()
	if !c.busySince.After(start) {
		t.Errorf("busySince %v, want a new start after %v", c.busySince, start)
	}
}

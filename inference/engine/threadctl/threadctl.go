// Package threadctl chooses how many threads a llama.cpp decode step uses while other programs
// compete for the CPU. It is pure Go: the engine reports each step's duration, and the
// [Controller] answers with the thread count (and a time limit) for the next one. Time comes
// from an injectable clock, so the logic is tested with simulated clocks and step times.
//
// # Why
//
// ggml's worker threads meet at a spinning barrier after every graph node (hundreds per
// token). When another program preempts one of them, the others spin until the scheduler runs
// it again, a delay of a scheduler time slice per node. A token that takes 28 ms on two idle
// cores then takes 0.25–2.5 s, while one thread keeps most of its speed. The delay is a
// roughly fixed cost per node, so short steps (generation) collapse and long ones (prompt
// chunks) slow down moderately.
//
// # How
//
// The controller keeps, per thread count and step size (tokens in the batch; sizes above 16
// in power-of-two buckets), a baseline (the fastest time per token seen, drifting up slowly
// with clean steps: contexts grow) and the last few times per token, whose median is the
// "recent" time (one preempted step does not move a median). A count never measured at a
// size is expected to run no slower than the next count up would with perfect scaling.
//
//   - Time limit: a step expected to be short (at most [MaxLimitedStep]) gets a limit of
//     [StopFactor] × its expected time, and at least [StopSlack] more (a time slice or two
//     lost to another program is not a collapse). The engine stops a step that overruns it
//     (llama.cpp's abort callback) and runs it again.
//   - Collapse: [StopsToStepDown] stopped steps among the last [StopWindow] lower the count
//     by one, so a collapse costs a few normal steps, not hundreds, while one step delayed by
//     another program's burst changes nothing. Steps at Min threads have no limit.
//   - Slowdown: when the recent time at the current count exceeds [SlowFactor] × its
//     baseline, or a step too long to stop was a stall ([StallFactor] × its expected time),
//     the next [ProbeSteps] steps try one thread fewer (a probe downwards), kept if their
//     median time per token is at most [ProbeGain] × the recent time (or the stalled
//     step's), and kept at once after a step faster by [ProbeLimit].
//   - Recovery: after a hold at a lowered count, a probe upwards tries one thread more, kept
//     on the same condition against the lower count's recent time, and dropped after its
//     first step slower than [ProbeLimit] × the lower count's time (stopped there when
//     short).
//   - Hysteresis: the hold before a probe upwards starts at [HoldMin] and doubles, up to
//     [HoldMax], after every failed probe and after a step down less than [Settle] after a
//     step up (load that comes and goes); it returns to HoldMin after Settle at Max threads.
//     The hold also counts steps ([HoldSteps] per HoldMin), so a kind of step that comes
//     rarely (prompts) is not probed on a large share of its steps. Failed probes downwards
//     double a hold of their own.
//   - Start: with no history the first steps run at Max, then one probe downwards checks
//     whether fewer threads are faster (a machine busy from the start), compared with the
//     fastest step seen, and exploration goes on downwards while they are.
//
// A fixed thread count is a Controller with Min = Max: it never changes and never limits a
// step, but still counts stalls ([StallFactor] × the baseline and [StallSlack] more).
package threadctl

import (
	"math/bits"
	"slices"
	"sync"
	"time"
)

// Tuning. The factors are ratios of step durations; the durations are wall-clock times.
const (
	// StallFactor: a step that takes more than this many times its expected time (and
	// StallSlack more) is a stall (counted in Stats).
	StallFactor = 2.0
	// StallSlack: a stall takes at least this much longer than expected.
	StallSlack = 5 * time.Millisecond
	// StopFactor: a step expected to be short is stopped after this many times its expected
	// time (and StopSlack more). A preempted thread delays a generation step by a factor of
	// 10 to 80; a burst of another program on a shared machine was seen to double one.
	StopFactor = 3.0
	// StopWindow and StopsToStepDown: the count steps down after this many stopped steps
	// among the last StopWindow steps at it (a collapse stops every step; a burst, one).
	StopWindow      = 4
	StopsToStepDown = 2
	// StopSlack: a step is stopped no earlier than this much after its expected time. One or
	// two time slices (0.75–6 ms each on Linux) lost to another program double a step of a
	// few milliseconds without meaning that the machine is busy; a collapse costs a short step
	// tens of milliseconds or more.
	StopSlack = 15 * time.Millisecond
	// SlowFactor: the recent time at the current count above this many times its baseline
	// starts a probe downwards.
	SlowFactor = 1.3
	// recentN is the number of steps whose median is the recent time of a cell.
	recentN = 5
	// ProbeSteps is the number of steps a probe lasts.
	ProbeSteps = 3
	// ProbeGain: a probe is kept when the median of its times per token is at most this
	// fraction of the current count's recent time per token (at start, of its fastest).
	ProbeGain = 0.95
	// ProbeLimit: a probe upwards is dropped after a step that takes this many times what
	// the lower count takes now (and StopSlack more); a short one is stopped there.
	ProbeLimit = 1.5
	// HoldSteps: a probe upwards also waits for this many steps at the current count per
	// HoldMin of hold.
	HoldSteps = 4
	// MaxLimitedStep: steps expected to take longer are never stopped. Stopping a step throws
	// its work away, and a long step loses proportionally little to preemption.
	MaxLimitedStep = 250 * time.Millisecond
	// HoldMin, HoldMax and Settle: the wait before probing upwards starts at HoldMin, doubles
	// up to HoldMax after each failed probe or quick step down, and returns to HoldMin after
	// Settle at Max threads without either.
	HoldMin = time.Second
	HoldMax = 16 * time.Second
	Settle  = 30 * time.Second
	// baseDrift is the weight of a clean step slower than the baseline (contexts grow, and so
	// do steps).
	baseDrift = 0.05
	// exploreAfter is the number of steps at Max before the start-up probe downwards (the
	// first steps of a new context are slower: cold caches, page faults).
	exploreAfter = 2
	// exactKeys: step sizes up to this many tokens have their own cells; larger ones share a
	// power-of-two bucket.
	exactKeys = 16
)

// Config sets a Controller's bounds and clock.
type Config struct {
	// Min and Max bound the thread count (1 ≤ Min ≤ Max; values below 1 are taken as 1).
	// Min = Max fixes the count.
	Min, Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Step is the controller's plan for one decode step.
type Step struct {
	// Threads is the thread count to decode with.
	Threads int
	// Limit, when positive, is how long the step may run before the engine stops it and
	// reports it to Observe with stopped = true.
	Limit time.Duration
}

// Stats is a snapshot of a Controller.
type Stats struct {
	// Threads is the count in use now (during a probe, the probed count).
	Threads int
	// Min and Max are the bounds; Adaptive is Min < Max.
	Min, Max int
	Adaptive bool
	// Steps counts observed steps; Stalls the steps slower than StallFactor × their expected
	// time; Stopped the steps stopped at their limit.
	Steps, Stalls, Stopped uint64
	// StepsDown and StepsUp count changes of the count; ProbesFailed counts probes dropped.
	StepsDown, StepsUp, ProbesFailed uint64
	// Hold is the current wait before the next probe upwards.
	Hold time.Duration
}

// Report describes the thread counts of an engine, which has a controller for single-token
// steps and one for multi-token steps.
type Report struct {
	// Generation covers single-token steps, Batch multi-token steps (prompts, several slots
	// generating together).
	Generation, Batch Stats
	// Poll is the thread pools' polling level.
	Poll int
}

type cellKey struct{ threads, size int }

// cell is what the controller knows about steps of one size at one thread count, in
// seconds per token: the baseline (clean steps only) and the last recentN steps.
type cell struct {
	base       float64
	hasBase    bool
	last       []float64
	probeEpoch uint64 // the probe whose first step reset the cell
}

func (x *cell) push(v float64) {
	if len(x.last) == recentN {
		x.last = x.last[1:]
	}
	x.last = append(x.last, v)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// recent returns the median of the cell's last steps.
func (x *cell) recent() (float64, bool) {
	if len(x.last) == 0 {
		return 0, false
	}
	return median(x.last), true
}

// Controller chooses thread counts for one kind of decode step (the engine has one for
// single-token steps and one for multi-token steps). Its methods are safe for concurrent use;
// Plan and Observe are meant to alternate on one goroutine.
type Controller struct {
	mu       sync.Mutex
	min, max int
	now      func() time.Time

	cur     int
	probe   int // the count under probe, 0 when none
	probeN  int // probe steps observed
	probeR  []float64
	epoch   uint64 // probes started
	explore bool   // start-up exploration downwards still going on
	// longStall is the time per token of the last step at cur too long to stop that was a
	// stall (0: none since the last probe); downRef is what a probe downwards compares with
	// (0: the recent time).
	longStall, downRef float64
	seen               int    // steps observed at cur since it changed or a probe upwards failed
	stops              []bool // whether each of the last StopWindow steps at cur was stopped

	hold, holdDown    time.Duration
	changed, up, calm time.Time
	downTried         time.Time // the last failed probe downwards
	cells             map[cellKey]*cell
	st                Stats
}

// New returns a controller for cfg, starting at cfg.Max threads.
func New(cfg Config) *Controller {
	lo, hi := max(cfg.Min, 1), max(cfg.Max, 1)
	lo = min(lo, hi)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	t := now()
	return &Controller{
		min: lo, max: hi, now: now, cur: hi, explore: hi > lo,
		hold: HoldMin, holdDown: HoldMin, changed: t, up: t.Add(-Settle), calm: t, downTried: t.Add(-HoldMax),
		cells: map[cellKey]*cell{},
	}
}

// sizeKey maps a step's token count to its cell key.
func sizeKey(tokens int) int {
	if tokens <= exactKeys {
		return max(tokens, 1)
	}
	return exactKeys + bits.Len(uint(tokens))
}

func (c *Controller) cell(threads, tokens int) *cell {
	k := cellKey{threads, sizeKey(tokens)}
	x := c.cells[k]
	if x == nil {
		x = &cell{}
		c.cells[k] = x
	}
	return x
}

// perToken returns the recent (or, with base, the baseline) time per token at threads for
// steps like tokens: the same size if known, else the nearest known size (time per token
// varies little between sizes of a prompt).
func (c *Controller) perToken(threads, tokens int, base bool) (float64, bool) {
	want := sizeKey(tokens)
	best, bestD := 0.0, -1
	for k, x := range c.cells {
		if k.threads != threads {
			continue
		}
		v, ok := x.recent()
		if base {
			v, ok = x.base, x.hasBase
		}
		if !ok {
			continue
		}
		d := k.size - want
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = v, d
		}
	}
	return best, bestD >= 0
}

// expectedPerToken returns the clean time per token of a step of tokens tokens at threads:
// its baseline, or, for a count never measured clean at this size, the most it can be on an
// idle machine judging by the other counts: no more than with fewer threads, and no more
// than with m > threads threads times m/threads (perfect scaling).
func (c *Controller) expectedPerToken(threads, tokens int) (float64, bool) {
	key := sizeKey(tokens)
	if x := c.cells[cellKey{threads, key}]; x != nil && x.hasBase {
		return x.base, true
	}
	est, ok := 0.0, false
	for k, x := range c.cells {
		if k.size != key || !x.hasBase || k.threads == threads {
			continue
		}
		v := x.base
		if k.threads > threads {
			v *= float64(k.threads) / float64(threads)
		}
		if !ok || v < est {
			est, ok = v, true
		}
	}
	return est, ok
}

// slow reports whether steps like tokens run at the current count more than SlowFactor
// times slower than its baseline, judging by a full set of recent steps.
func (c *Controller) slow(tokens int) bool {
	x := c.cells[cellKey{c.cur, sizeKey(tokens)}]
	if x == nil || !x.hasBase || len(x.last) < recentN {
		return false
	}
	r, _ := x.recent()
	return r > x.base*SlowFactor
}

// Plan returns the thread count and time limit for the next step of tokens tokens.
func (c *Controller) Plan(tokens int) Step {
	c.mu.Lock()
	defer c.mu.Unlock()
	tokens = max(tokens, 1)
	now := c.now()
	if c.probe == 0 && c.max > c.min {
		switch {
		case c.explore:
			if c.seen >= exploreAfter && c.cur > c.min {
				c.startProbe(c.cur - 1)
			}
		case c.cur > c.min && now.Sub(c.downTried) >= c.holdDown && (c.longStall > 0 || c.slow(tokens)):
			c.startProbe(c.cur - 1)
			c.downRef, c.longStall = c.longStall, 0
		case c.cur < c.max && now.Sub(c.changed) >= c.hold && c.seen >= HoldSteps*int(c.hold/HoldMin):
			c.startProbe(c.cur + 1)
		}
	}
	n := c.cur
	if c.probe != 0 {
		n = c.probe
	}
	s := Step{Threads: n}
	if n <= c.min {
		return s
	}
	// exp: the step's expected seconds; limit: when to stop it.
	var exp, limit float64
	stop := StopSlack.Seconds()
	if c.probe > c.cur {
		// A probe upwards must not take much longer than the lower count does now.
		if r, ok := c.perToken(c.cur, tokens, false); ok {
			exp = r * float64(tokens)
			limit = max(exp*ProbeLimit, exp+stop)
		}
	} else if b, ok := c.expectedPerToken(n, tokens); ok {
		exp = b * float64(tokens)
		limit = max(exp*StopFactor, exp+stop)
	}
	if exp > 0 && exp <= MaxLimitedStep.Seconds() {
		s.Limit = time.Duration(limit * float64(time.Second))
	}
	return s
}

func (c *Controller) startProbe(n int) {
	c.probe, c.probeN, c.probeR, c.downRef = n, 0, c.probeR[:0], 0
	c.epoch++
}

// Observe records a step planned by Plan: its thread count, its tokens, how long it ran, and
// whether it was stopped at its limit (then d is the time until it stopped).
func (c *Controller) Observe(s Step, tokens int, d time.Duration, stopped bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tokens = max(tokens, 1)
	now := c.now()
	n := s.Threads
	x := c.cell(n, tokens)
	per := d.Seconds() / float64(tokens)
	inProbe := c.probe != 0 && n == c.probe
	// fresh: the first step of a probe, which measures its count afresh (the old baseline may
	// be from another context length or another load).
	fresh := inProbe && x.probeEpoch != c.epoch
	exp, ok := c.expectedPerToken(n, tokens)
	stall := stopped || (ok && !fresh && per > exp*StallFactor && d.Seconds()-exp*float64(tokens) > StallSlack.Seconds())
	c.st.Steps++
	if stall {
		c.st.Stalls++
	}
	if stopped {
		c.st.Stopped++
	}
	switch {
	case fresh:
		x.base, x.hasBase, x.last = per, !stopped, x.last[:0]
		x.probeEpoch = c.epoch
	case stall:
	case !x.hasBase || per < x.base:
		x.base, x.hasBase = per, true
	default:
		x.base += (per - x.base) * baseDrift
	}
	x.push(per) // a stopped step's time is a lower bound: the step was at least that slow
	switch {
	case inProbe:
		c.observeProbe(tokens, per, stopped, now)
	case n == c.cur:
		if stall && !stopped && ok && exp*float64(tokens) > MaxLimitedStep.Seconds() {
			c.longStall = per
		}
		c.observeSteady(stopped, now)
	}
}

// observeProbe judges a probe step against the current count.
func (c *Controller) observeProbe(tokens int, per float64, stopped bool, now time.Time) {
	up := c.probe > c.cur
	if stopped {
		c.failProbe(now, up)
		return
	}
	// Compare with the current count's recent steps (the load now), or the stalled step
	// that started the probe; at start, with the current count's fastest step.
	r, ok := c.perToken(c.cur, tokens, c.explore)
	if !up && c.downRef > 0 {
		r, ok = c.downRef, true
	}
	decided := false
	if ok && r > 0 {
		switch {
		case up && per > max(r*ProbeLimit, r+StopSlack.Seconds()/float64(tokens)):
			c.failProbe(now, up) // a long step not stopped at the limit, but over it
			return
		case !up && per*ProbeLimit <= r:
			decided = true // clearly faster: no need to wait for more steps
		}
		c.probeR = append(c.probeR, per/r)
	}
	c.probeN++
	if c.probeN < ProbeSteps && !decided {
		return
	}
	// With nothing to compare with, a probe upwards that was never stopped is kept, a probe
	// downwards is not.
	keep := up
	if len(c.probeR) > 0 {
		keep = median(c.probeR) <= ProbeGain
	}
	if !keep {
		c.failProbe(now, up)
		return
	}
	c.cur, c.probe, c.seen, c.stops, c.longStall = c.probe, 0, 0, c.stops[:0], 0
	c.changed = now
	if up {
		c.st.StepsUp++
		c.up = now
		return
	}
	c.stepDown(now)
}

func (c *Controller) failProbe(now time.Time, up bool) {
	c.probe = 0
	c.st.ProbesFailed++
	switch {
	case c.explore:
		c.explore = false
	case up:
		c.hold = min(2*c.hold, HoldMax)
		c.changed, c.calm = now, now
		c.seen = 0
	default:
		// The slowdown does not come from too many threads (a longer context, a slower
		// clock): ask again later, less often each time.
		c.holdDown = min(2*c.holdDown, HoldMax)
		c.downTried = now
	}
}

// stepDown books a change to fewer threads (c.cur already lowered).
func (c *Controller) stepDown(now time.Time) {
	c.st.StepsDown++
	c.seen, c.stops, c.longStall = 0, c.stops[:0], 0
	c.changed, c.calm = now, now
	c.holdDown = HoldMin
	if now.Sub(c.up) < Settle {
		c.hold = min(2*c.hold, HoldMax) // up, then down again soon: the load comes and goes
	}
}

// observeSteady handles a step at the current count.
func (c *Controller) observeSteady(stopped bool, now time.Time) {
	c.seen++
	if c.explore && c.cur <= c.min {
		c.explore = false
	}
	c.stops = append(c.stops, stopped)
	if len(c.stops) > StopWindow {
		c.stops = c.stops[1:]
	}
	n := 0
	for _, s := range c.stops {
		if s {
			n++
		}
	}
	if n >= StopsToStepDown && c.cur > c.min {
		c.cur--
		c.explore = false
		c.stepDown(now)
		return
	}
	if c.cur == c.max && now.Sub(c.calm) >= Settle {
		// All threads again for a while: the next load episode starts with short holds.
		c.hold = HoldMin
	}
}

// Threads returns the count the next step would use.
func (c *Controller) Threads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probe != 0 {
		return c.probe
	}
	return c.cur
}

// Stats returns a snapshot.
func (c *Controller) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.Threads = c.cur
	if c.probe != 0 {
		s.Threads = c.probe
	}
	s.Min, s.Max, s.Adaptive, s.Hold = c.min, c.max, c.min < c.max, c.hold
	return s
}

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
//     (llama.cpp's abort callback) and runs it again. A step cut short because its request
//     was cancelled counts as stopped if it had overrun already ([Controller.Cut]).
//   - Collapse: [StopsToStepDown] stopped steps among the last [StopWindow] lower the count
//     by one, so a collapse costs a few normal steps, not hundreds, while one step delayed by
//     another program's burst changes nothing. A stopped step runs again with one thread
//     fewer (the burst that stopped it may still be going on); the next runs at the count
//     again. Steps at Min threads have no limit.
//   - Slowdown: when the recent time at the current count exceeds [SlowFactor] × its
//     baseline, or a step too long to stop was a stall ([StallFactor] × its expected time),
//     the next [ProbeSteps] steps try one thread fewer (a probe downwards), kept if their
//     median time per token is at most [ProbeGain] × the recent time (after a stall while
//     [Config].Free shows the CPUs taken: × the stalled step's, the only time under the
//     load now when steps come rarely), kept at once after a
//     step faster by [ProbeLimit] than the recent time or the stalled step, and dropped at
//     once after a step slower by ProbeLimit.
//   - Paired probes: a probe of steps expected to be short that come after other work
//     (prompts between generation) alternates its steps with steps at the current count, and
//     judges each against the step at the current count just before it rather than against
//     the median of older steps. Both met nearly the same moment of the machine, so a
//     slowdown of every count (another program's burst, a slower spell of a shared host) is
//     not taken for a gain of the probed count when it ends during the probe. A step at the
//     current count stopped between probe steps keeps a probe downwards at once and drops
//     one upwards (the load changed under it). Back-to-back steps are probed in a row: their
//     recent steps are fresh, and alternating counts would slow every step down.
//   - Warm steps: the first short step after other work of a kind whose steps come back to
//     back (a generation step after a prompt) is slower than the next ones; it runs at the
//     current count and neither starts nor judges a probe.
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
//   - Free CPUs: with [Config].Free (a [CPUSensor]: /proc/stat's busy time less this
//     process's own), a count held low probes upwards after [FreeHold] whatever the hold,
//     as soon as other programs leave a CPU free for one more thread. The load that made it
//     step down has gone, so waiting costs throughput (on an idle 2-core machine one thread
//     generates 20-45% slower than two). Under load the sensor shows the CPUs busy, and the
//     probes upwards wait [HoldMax] (a probe then would collapse, or run a long step on). A
//     probe made on its word that fails all the same (a sensor that cannot see the load)
//     sends the controller back to the plain hold until a probe is kept. Once the sensor has
//     shown other programs on CPUs the current count needs for the downward hold, a probe
//     downwards is due (after as long, and [HoldSteps] steps per [HoldMin] of it, at the
//     count), even without a slowdown: a count whose baseline dates from the load (a start
//     under load, a probe upwards kept by a lucky step) is never slow against it, and one
//     running steadily 1.25 times slower than a thread fewer never stalls either.
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
	// 10 to 80. Hiccups mostly stay below 5: in 90 s of the bench model's generation on 2
	// threads on the shared 2-core machine without load, 2.1% of the steps took 3 to 4.9
	// times the median and none more; stopped at 3 times and run again on one thread, each
	// cost about 4.2 times the median instead of its 3-4.9 (that trace replayed with 3: 17
	// stops against 11, generation 1.4% slower). A hiccup a little past the limit costs
	// little more stopped than run on.
	StopFactor = 5.0
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
	// FreeHold: with Config.Free, a count held low probes upwards no sooner than this after
	// it changed (one reading of a CPUSensor), however free the CPUs.
	FreeHold = SensorInterval
	// FreeSlack: with Config.Free, a probe upwards from n threads is due early when at least
	// n+1-FreeSlack CPUs are free (this process's own use counts as free; /proc/stat counts
	// in 10 ms ticks).
	FreeSlack = 0.5
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
	// Free, if set, tells how many CPUs other programs have left free lately (see
	// [CPUSensor.Free]), or false when it cannot tell. With it, a count held low probes
	// upwards as soon as FreeHold has passed and one more thread would find a free CPU (with
	// FreeSlack to spare), however long the hold has grown: the load it stepped down for is
	// gone. A probe that fails nonetheless sends the controller back to its plain hold until
	// its next kept probe.
	Free func() (float64, bool)
}

// Step is the controller's plan for one decode step.
type Step struct {
	// Threads is the thread count to decode with.
	Threads int
	// Limit, when positive, is how long the step may run before the engine stops it and
	// reports it to Observe with stopped = true.
	Limit time.Duration
	// rerun: the step runs again, with one thread fewer, a step stopped at its limit.
	rerun bool
}

// Stats is a snapshot of a Controller.
type Stats struct {
	// Threads is the count in use now (during a probe, the count of its next step: the
	// probed one, or the current one between paired probe steps).
	Threads int
	// Min and Max are the bounds; Adaptive is Min < Max.
	Min, Max int
	Adaptive bool
	// Steps counts observed steps; Stalls the steps slower than StallFactor × their expected
	// time; Stopped the steps stopped at their limit.
	Steps, Stalls, Stopped uint64
	// StepsAt[n] counts the observed steps at n threads (index 0 unused).
	StepsAt []uint64
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
// seconds per token: the baseline (clean steps only) and the last recentN steps (a ring).
type cell struct {
	base       float64
	hasBase    bool
	last       [recentN]float64
	n, next    int    // values in last; where the next goes
	probeEpoch uint64 // the probe whose first step reset the cell
}

func (x *cell) push(v float64) {
	x.last[x.next] = v
	x.next = (x.next + 1) % recentN
	x.n = min(x.n+1, recentN)
}

// median returns the median of v (at most 8 values: recent steps, probe steps) without
// allocating.
func median(v []float64) float64 {
	var buf [8]float64
	s := buf[:copy(buf[:], v)]
	for i := 1; i < len(s); i++ { // insertion sort
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// recent returns the median of the cell's last steps.
func (x *cell) recent() (float64, bool) {
	if x.n == 0 {
		return 0, false
	}
	return median(x.last[:x.n]), true
}

// Controller chooses thread counts for one kind of decode step (the engine has one for
// single-token steps and one for multi-token steps). Its methods are safe for concurrent use;
// Plan and Observe are meant to alternate on one goroutine.
type Controller struct {
	mu       sync.Mutex
	min, max int
	now      func() time.Time
	free     func() (float64, bool)

	cur     int
	probe   int // the count under probe, 0 when none
	probeN  int // probe steps observed
	probeR  []float64
	epoch   uint64 // probes started
	explore bool   // start-up exploration downwards still going on
	early   bool   // the probe under way started early, on Free's word
	// pairNext: the next step of the probe under way runs at cur, as the reference of the
	// probe step after it (see [Controller.observeProbe]).
	pairNext bool
	// ref is the time per token of the last step at cur, refKey its size key (0: none since
	// cur changed).
	ref    float64
	refKey int
	// lastObs is when the last step was observed. gapped: the step planned last came after
	// other work at least as long as itself (the time since lastObs); short: it is expected
	// to take at most MaxLimitedStep; prevGapped: the step before it came after such a gap;
	// warm: the planned step is the first after other work of a kind that comes back to
	// back (see Plan).
	lastObs                         time.Time
	gapped, short, prevGapped, warm bool
	// planned is the count of the step planned last, until it is observed (0: none).
	planned int
	// distrust: a probe that Free made early failed; no more early probes until one is kept.
	distrust bool
	// longStall is the time per token of the last step at cur too long to stop that was a
	// stall (0: none since the last probe); downRef is what a probe downwards compares with
	// (0: the recent time).
	longStall, downRef float64
	seen               int       // steps observed at cur since it changed or a probe upwards failed
	seenDown           int       // steps observed at cur since it changed or a probe downwards failed
	busySince          time.Time // since when Free has shown the CPUs cur needs taken (zero: it does not)
	rerun              bool      // the next step reruns a stopped one, with one thread fewer
	stops              uint8     // bit i: the step i steps before the last one at cur was stopped

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
		min: lo, max: hi, now: now, free: cfg.Free, cur: hi, explore: hi > lo,
		hold: HoldMin, holdDown: HoldMin, changed: t, up: t.Add(-Settle), calm: t, downTried: t.Add(-HoldMax),
		cells: map[cellKey]*cell{}, st: Stats{StepsAt: make([]uint64, hi+1)},
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
	if x == nil || !x.hasBase || x.n < recentN {
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
	c.gapped, c.short, c.warm = false, false, false
	if b, ok := c.expectedPerToken(c.cur, tokens); ok && c.max > c.min && !c.lastObs.IsZero() {
		step := b * float64(tokens)
		c.gapped = now.Sub(c.lastObs).Seconds() >= step
		c.short = step <= MaxLimitedStep.Seconds()
		c.warm = c.gapped && !c.prevGapped && c.short
	}
	// The first step after other work (a generation step after a prompt, the first of a
	// request after idle) is slower than the next ones: the bench model's first generation
	// step after a prompt took 2-4 times the others at 2 threads on this project's 2-core
	// machine. For a kind whose steps come back to back, such a step runs at the current
	// count, starts no probe and serves as no probe's reference, so that a probe (upwards
	// above all, stopped at ProbeLimit × the lower count's time) is not judged by it. Long
	// steps (prompt chunks) have no such step: their own length dwarfs the warm-up, and a
	// probe downwards that a stalled one calls for must not wait.
	c.watchBusy(now)
	rerun := c.rerun && c.probe == 0 && c.cur > c.min
	if !rerun && !c.warm && c.probe == 0 && c.max > c.min {
		switch {
		case c.explore:
			if c.seen >= exploreAfter && c.cur > c.min {
				c.startProbe(c.cur - 1)
			}
		case c.cur > c.min && now.Sub(c.downTried) >= c.holdDown && (c.longStall > 0 || c.slow(tokens)):
			c.startProbe(c.cur - 1)
			c.downRef, c.longStall = c.longStall, 0
		case c.crowded(now):
			c.startProbe(c.cur - 1)
		case c.cur >= c.max:
		case c.freeForMore(now):
			c.startProbe(c.cur + 1)
			c.early = true
		default:
			if hold := c.plainHold(); now.Sub(c.changed) >= hold && c.seen >= HoldSteps*int(hold/HoldMin) {
				c.startProbe(c.cur + 1)
			}
		}
	}
	n := c.cur
	switch {
	case c.warm:
	case c.probe != 0 && c.pairNext:
		// the reference step between two probe steps
	case c.probe != 0:
		n = c.probe
	case rerun:
		n = c.cur - 1
	}
	s := Step{Threads: n, rerun: rerun && n < c.cur}
	c.planned = n
	if n <= c.min {
		return s
	}
	// exp: the step's expected seconds; limit: when to stop it.
	var exp, limit float64
	stop := StopSlack.Seconds()
	if n > c.cur {
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
	c.probe, c.probeN, c.probeR, c.downRef, c.early, c.pairNext = n, 0, c.probeR[:0], 0, false, false
	c.epoch++
}

// roomForMore tells whether Free shows a CPU free for one more thread (known: Free answered).
func (c *Controller) roomForMore() (room, known bool) {
	if c.free == nil {
		return false, false
	}
	f, ok := c.free()
	return ok && f >= float64(c.cur+1)-FreeSlack, ok
}

// busyNow reports whether Free shows fewer CPUs free than the current count (with FreeSlack
// to spare): other programs take CPUs its threads need. False without Free.
func (c *Controller) busyNow() bool {
	if c.free == nil {
		return false
	}
	f, ok := c.free()
	return ok && f < float64(c.cur)-FreeSlack
}

// crowded reports whether a probe downwards is due because Free has shown other programs on
// CPUs the current count needs (busyNow, kept by watchBusy) for the downward hold without a
// break (a burst of another program on a quiet machine is the stop limit's business), after
// that hold since the count changed and since the last failed probe downwards, and HoldSteps
// steps at the count per HoldMin of the hold (prompts that come seconds apart are not probed
// on a large share of their steps). A slowdown is judged against the count's baseline, and a
// count that a probe upwards made current has its baseline from that probe: kept under load
// (its references at the lower count were slow for a while, or Free was briefly wrong), a
// count that runs 1.25 times slower than one thread fewer, steadily, is never slow against it
// and never stalls, and would stay for the rest of the load. Where more threads are faster
// all the same (other programs at a lower priority), the probes fail and their hold doubles
// up to HoldMax.
func (c *Controller) crowded(now time.Time) bool {
	return c.cur > c.min && !c.busySince.IsZero() && now.Sub(c.busySince) >= c.holdDown &&
		c.seenDown >= HoldSteps*int(c.holdDown/HoldMin) && now.Sub(c.changed) >= c.holdDown &&
		now.Sub(c.downTried) >= c.holdDown
}

// watchBusy keeps busySince, since when Free has shown the CPUs the current count needs taken
// without a break. Plan calls it for every step, probes included, so that a break during a
// probe is not missed.
func (c *Controller) watchBusy(now time.Time) {
	switch {
	case c.cur <= c.min || !c.busyNow():
		c.busySince = time.Time{}
	case c.busySince.IsZero():
		c.busySince = now
	}
}

// freeForMore reports whether Free makes a probe upwards due before the hold has passed: at
// least FreeHold (and one step) at the current count, and room for one more thread.
func (c *Controller) freeForMore(now time.Time) bool {
	if c.free == nil || c.distrust || c.seen < 1 || now.Sub(c.changed) < FreeHold {
		return false
	}
	room, _ := c.roomForMore()
	return room
}

// plainHold is the hold before a probe upwards: the doubling hold, or HoldMax while Free
// shows no CPU free for one more thread (the probe would fail: its step collapses or, too
// long to stop, runs on; other programs at a lower priority are still found by the probes
// HoldMax apart).
func (c *Controller) plainHold() time.Duration {
	if room, known := c.roomForMore(); known && !room {
		return HoldMax
	}
	return c.hold
}

// Observe records a step planned by Plan: its thread count, its tokens, how long it ran, and
// whether it was stopped at its limit (then d is the time until it stopped).
func (c *Controller) Observe(s Step, tokens int, d time.Duration, stopped bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tokens = max(tokens, 1)
	now := c.now()
	warm := c.warm
	c.lastObs, c.prevGapped, c.warm, c.planned = now, c.gapped, false, 0
	n := s.Threads
	x := c.cell(n, tokens)
	per := d.Seconds() / float64(tokens)
	inProbe := c.probe != 0 && n == c.probe && !warm
	pair := c.probe != 0 && c.pairNext && n == c.cur && !warm
	// fresh: the first step of a probe, which measures its count afresh (the old baseline may
	// be from another context length or another load).
	fresh := inProbe && x.probeEpoch != c.epoch
	exp, ok := c.expectedPerToken(n, tokens)
	stall := stopped || (ok && !fresh && per > exp*StallFactor && d.Seconds()-exp*float64(tokens) > StallSlack.Seconds())
	c.st.Steps++
	if n < len(c.st.StepsAt) {
		c.st.StepsAt[n]++
	}
	if stall {
		c.st.Stalls++
	}
	if stopped {
		c.st.Stopped++
	}
	switch {
	case fresh:
		x.base, x.hasBase, x.n, x.next = per, !stopped, 0, 0
		x.probeEpoch = c.epoch
	case stall:
	case !x.hasBase || per < x.base:
		x.base, x.hasBase = per, true
	default:
		x.base += (per - x.base) * baseDrift
	}
	x.push(per) // a stopped step's time is a lower bound: the step was at least that slow
	if n == c.cur && !s.rerun && !warm {
		c.ref, c.refKey = per, sizeKey(tokens)
	}
	switch {
	case inProbe:
		c.observeProbe(tokens, per, stopped, now)
	case pair:
		c.pairNext = false
		if stopped {
			// The current count stopped between probe steps: the load changed. A probe
			// downwards has its answer (the count collapses now); a probe upwards is no
			// longer measured against the load it would run under.
			if c.probe < c.cur {
				c.keepProbe(now, false)
			} else {
				c.failProbe(now, true)
			}
		}
	case s.rerun:
		c.rerun = false
	case n == c.cur:
		if stall && !stopped && ok && exp*float64(tokens) > MaxLimitedStep.Seconds() {
			c.longStall = per
		}
		c.observeSteady(stopped, now)
	}
}

// Cut records a step planned by Plan that was interrupted after d for another reason than its
// limit (its request was cancelled: a client that gave up on a collapsed step, a request
// timeout). d is only a lower bound of the step's time, so the step counts only when it had
// already overrun: past its limit, or for a step without one, past StallFactor × its expected
// time (and StallSlack more). Then it is observed as a stopped step, so steps that nobody
// waits out still lower the count. A fixed count (Min = Max) ignores it.
func (c *Controller) Cut(s Step, tokens int, d time.Duration) {
	tokens = max(tokens, 1)
	c.mu.Lock()
	per, ok := c.expectedPerToken(s.Threads, tokens)
	fixed := c.min == c.max
	c.mu.Unlock()
	if !ok || fixed {
		return // a fixed count has nothing to learn (and no step of it is stopped)
	}
	exp := per * float64(tokens)
	limit := s.Limit
	if limit <= 0 {
		limit = time.Duration(max(exp*StallFactor, exp+StallSlack.Seconds()) * float64(time.Second))
	}
	if d >= limit {
		c.Observe(s, tokens, d, true)
		return
	}
	c.mu.Lock()
	c.planned, c.warm = 0, false
	c.mu.Unlock()
}

// observeProbe judges a probe step against the current count.
func (c *Controller) observeProbe(tokens int, per float64, stopped bool, now time.Time) {
	up := c.probe > c.cur
	if stopped {
		c.failProbe(now, up)
		return
	}
	// A probe downwards that a stalled step started is kept at once when clearly faster than
	// that step (the load goes on). Otherwise it is judged as any probe: one outlier is no
	// measure of the count's time (a quiet machine has them too).
	if !up && c.downRef > 0 && per*ProbeLimit <= c.downRef {
		c.keepProbe(now, up)
		return
	}
	// Compare with the step at the current count just before (paired: both met nearly the
	// same load); else with the current count's recent steps; at start, with its fastest.
	r, ok := c.perToken(c.cur, tokens, c.explore)
	paired := c.pairable() && c.ref > 0 && c.refKey == sizeKey(tokens)
	if paired {
		r, ok = c.ref, true
	} else if !up && c.downRef > r && c.busyNow() {
		// A probe that a stalled step started, while Free shows other programs on the CPUs
		// this count needs, compares with that step: it is the current count's only time
		// under the load now. Rare steps (prompts) keep recent times from before the load in
		// their median for many steps, against which every step under the load looks slow.
		// Without that confirmation the stall may have been one burst, and the recent steps
		// are the better measure.
		r, ok = c.downRef, true
	}
	decided := false
	if ok && r > 0 {
		switch {
		case up && per > max(r*ProbeLimit, r+StopSlack.Seconds()/float64(tokens)):
			c.failProbe(now, up) // a long step not stopped at the limit, but over it
			return
		case !up && per > r*ProbeLimit:
			// Clearly slower (the start-up probe on an idle machine, whose steps may be long
			// prompt chunks): no need to wait for more steps.
			c.failProbe(now, up)
			return
		case !up && per*ProbeLimit <= r:
			decided = true // clearly faster: no need to wait for more steps
		}
		c.probeR = append(c.probeR, per/r)
	}
	c.probeN++
	if c.probeN < ProbeSteps && !decided {
		c.pairNext = c.pairable()
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
	c.keepProbe(now, up)
}

// pairable reports whether the probe under way alternates steps like the one observed last
// (its gapped and short, set by Plan) with steps at the current count, judging each against
// the one before it. Time-varying load (another program's burst, a slower spell of a shared
// host) moves both counts alike, so neighbouring steps compare fairly where a median of
// older steps does not: measured by replaying a recorded trace of the tiny model's prompts on
// the shared 2-core machine, probes judged against the median kept one thread for 42% of the
// prompts though two were 18% faster at every moment.
//
// Only steps that come after other work (a gap at least as long as the step: prompts between
// generation, requests now and then) are paired. The first step after a change of count is
// slower (the bench model's generation on 2 cores: one thread after two 33 ms against 24,
// two after one 22.6 against 20.1), so alternating back-to-back steps would load both sides
// with that cost, unequally; a step after other work pays a cost of its own anyway, and the
// recent steps of back-to-back ones are fresh. Steps expected to be long are not paired
// either: a probe downwards started by a stall is judged against that stall (the load now),
// and a step at a count that collapses costs its whole length.
func (c *Controller) pairable() bool { return !c.explore && c.gapped && c.short }

// keepProbe makes the probed count the current one.
func (c *Controller) keepProbe(now time.Time, up bool) {
	c.cur, c.probe, c.seen, c.seenDown, c.stops, c.longStall = c.probe, 0, 0, 0, 0, 0
	c.ref, c.refKey, c.pairNext = 0, 0, false
	c.changed = now
	if up {
		c.st.StepsUp++
		c.up, c.distrust = now, false
		return
	}
	c.stepDown(now)
}

func (c *Controller) failProbe(now time.Time, up bool) {
	c.probe, c.pairNext = 0, false
	c.st.ProbesFailed++
	switch {
	case c.early:
		// Free was wrong (or the load came back): the plain hold goes on as if this probe
		// had not been made, and Free is not heeded until a probe is kept.
		c.distrust = true
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
		c.downTried, c.seenDown = now, 0
	}
}

// stepDown books a change to fewer threads (c.cur already lowered).
func (c *Controller) stepDown(now time.Time) {
	c.st.StepsDown++
	c.seen, c.seenDown, c.stops, c.longStall = 0, 0, 0, 0
	c.changed, c.calm = now, now
	c.holdDown = HoldMin
	if now.Sub(c.up) < Settle {
		c.hold = min(2*c.hold, HoldMax) // up, then down again soon: the load comes and goes
	}
}

// observeSteady handles a step at the current count.
func (c *Controller) observeSteady(stopped bool, now time.Time) {
	c.seen++
	c.seenDown++
	if c.explore && c.cur <= c.min {
		c.explore = false
	}
	c.stops <<= 1
	if stopped {
		c.stops |= 1
	}
	c.stops &= 1<<StopWindow - 1
	if bits.OnesCount8(c.stops) >= StopsToStepDown && c.cur > c.min {
		c.cur--
		c.ref, c.refKey = 0, 0
		c.explore = false
		c.stepDown(now)
		return
	}
	// A stopped step runs again with one thread fewer: the stall that stopped it (another
	// program's burst, or load) may well last the few milliseconds of the rerun.
	c.rerun = stopped && c.cur > c.min
	if c.cur == c.max && now.Sub(c.calm) >= Settle {
		// All threads again for a while: the next load episode starts with short holds.
		c.hold = HoldMin
	}
}

// Threads returns the count of the step planned last, until it is observed (the engine sizes
// the thread pools with it after Plan); else the count the next step would use, unless Plan
// starts a probe.
func (c *Controller) Threads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.planned != 0:
		return c.planned
	case c.probe != 0 && c.pairNext:
		return c.cur
	case c.probe != 0:
		return c.probe
	case c.rerun && c.cur > c.min:
		return c.cur - 1
	}
	return c.cur
}

// Stats returns a snapshot.
func (c *Controller) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.StepsAt = slices.Clone(c.st.StepsAt)
	s.Threads = c.cur
	if c.probe != 0 && !c.pairNext {
		s.Threads = c.probe
	}
	s.Min, s.Max, s.Adaptive, s.Hold = c.min, c.max, c.min < c.max, c.hold
	return s
}

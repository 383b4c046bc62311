package engine

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/nashd/nashd/inference/engine/threadctl"
)

// PhysicalCores returns the number of physical CPU cores (distinct "physical id"/"core id"
// pairs in /proc/cpuinfo), or runtime.NumCPU() where that is unavailable. ggml's worker
// threads spin while waiting, so running more of them than there are cores (hyper-threads or
// cores busy with other work) slows decoding down by orders of magnitude; see the package
// documentation for measurements.
func PhysicalCores() int {
	n := physicalCores("/proc/cpuinfo")
	if n <= 0 {
		return runtime.NumCPU()
	}
	return min(n, runtime.NumCPU())
}

func physicalCores(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	cores := map[string]bool{}
	var phys, core string
	flush := func() {
		if core != "" {
			cores[phys+"/"+core] = true
		}
		phys, core = "", ""
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "physical id":
			phys = strings.TrimSpace(v)
		case "core id":
			core = strings.TrimSpace(v)
		}
	}
	flush()
	return len(cores)
}

// AutoThreads, as Options.Threads or Options.BatchThreads, asks for the adaptive thread count
// (the default: 0 means the same for Threads).
const AutoThreads = -1

// DefaultPoll is the polling level of the engine's thread pools when Options.Poll is 0 (and
// is 0): idle workers sleep at once instead of spinning for the next graph (llama.cpp's
// default is 50). Polling only shortens the wake-up between two graphs (microseconds); inside
// a graph ggml's barriers spin whatever the level. On a busy machine the spinning takes the
// CPU from other programs and from the engine's own threads. Measured with
// inference/engine/benchcontention on this project's 2-core machine, shared with other jobs
// (load average 1.5-5 before the benchmark's own busy loops), fixed 2 threads unless noted,
// tok/s, median of 3:
//
//	model, phase, metric               poll 0   poll 50  poll 100
//	bench, quiet, generation           47.3     46.6     46.5
//	tiny, quiet, prompt                56,700   58,400   21,200
//	tiny, quiet, generation            7,700    6,500    3,100
//	tiny, busy, prompt                 23,700   11,100   6,600
//	tiny, busy, generation (collapsed) 370      1,080    860
//	tiny, auto, busy, prompt           31,200   24,100   20,700
//	tiny, auto, busy, generation       6,300    5,300    5,300
//
// Level 0 is as fast as 50 on an idle machine and the fastest under load where it is not
// collapsed anyway (auto); 100 is slow everywhere.
const DefaultPoll = 0

// smallModelParams: a model with fewer parameters generates with one thread. A token costs
// about 2 FLOPs per parameter, so below this (10 MFLOP, under a millisecond on one core) a
// step is too short for the work split among threads to pay for their barriers (hundreds
// per token). Measured with bench-contention's engine on this project's 2-core machine
// (random F32 models, generation tok/s with 1 and 2 threads, load average 0.8-1.9):
//
//	parameters  1 thread  2 threads
//	0.14 M      9,553     4,761
//	1.2 M       5,838     3,816
//	2.6 M       3,148     2,797
//	4.5 M       1,477     1,654  (another run: 1,629 and 1,480)
//	34 M        136       224
const smallModelParams = 5_000_000

// coresForThreads is PhysicalCores, replaced by tests.
var coresForThreads = PhysicalCores

// threadPolicy is how one kind of decode step (single-token or multi-token) gets threads.
type threadPolicy struct {
	fixed int // > 0: exactly this many
	max   int // adaptive: 1..max
}

// cpuSensor tells the adaptive controllers of all engines in the process how many CPUs other
// programs leave free (one /proc/stat reading per threadctl.SensorInterval at most).
var cpuSensor = sync.OnceValue(threadctl.NewCPUSensor)

// controller returns the step controller of the policy.
func (p threadPolicy) controller() *threadctl.Controller {
	if p.fixed > 0 {
		return threadctl.New(threadctl.Config{Min: p.fixed, Max: p.fixed})
	}
	return threadctl.New(threadctl.Config{Min: 1, Max: p.max, Free: cpuSensor().Free})
}

// threadPolicies resolves Options.Threads and Options.BatchThreads for a model of params
// parameters on a machine of cores physical cores: a positive count is fixed; 0 and
// AutoThreads are adaptive up to cores (generation of a small model: 1); BatchThreads 0
// follows Threads.
func threadPolicies(threads, batchThreads int, params uint64, cores int) (gen, batch threadPolicy) {
	cores = max(cores, 1)
	genMax := cores
	if params < smallModelParams {
		genMax = 1
	}
	if threads > 0 {
		gen = threadPolicy{fixed: threads}
	} else {
		gen = threadPolicy{max: genMax}
	}
	switch {
	case batchThreads > 0:
		batch = threadPolicy{fixed: batchThreads}
	case batchThreads == 0 && threads > 0:
		batch = threadPolicy{fixed: threads}
	default:
		batch = threadPolicy{max: cores}
	}
	return gen, batch
}

// most returns the most threads the policy can ask for.
func (p threadPolicy) most() int { return max(p.fixed, p.max) }

// poolSizes returns the thread pools an engine's context creates (llama.ContextParams.Pools):
// one of the most threads either kind of step can use, so that a change of count never
// switches pools; and when generation never uses as many threads as prompts (a small
// model), one of its own size too: a pool woken for fewer threads than it has wakes its idle
// workers as well, a cost a short step pays at every token (see llama's pools).
func poolSizes(gen, batch threadPolicy) []int {
	most := max(gen.most(), batch.most())
	if g := gen.most(); g < most {
		return []int{g, most}
	}
	return []int{most}
}

// String describes the policy for logs: "4" (fixed) or "auto(1-4)".
func (p threadPolicy) String() string {
	if p.fixed > 0 {
		return strconv.Itoa(p.fixed)
	}
	return fmt.Sprintf("auto(1-%d)", p.max)
}

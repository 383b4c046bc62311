package threadctl

import (
	"bufio"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		busy       time.Duration
		cpus       int
		ok         bool
	}{
		{
			name: "two CPUs",
			// user nice system idle iowait irq softirq steal guest guest_nice
			text: "cpu  100 20 30 5000 7 1 2 3 9 0\ncpu0 50 10 15 2500 3 1 1 2 5 0\ncpu1 50 10 15 2500 4 0 1 1 4 0\nintr 1 2 3\n",
			busy: 156 * 10 * time.Millisecond, cpus: 2, ok: true,
		},
		{name: "no per-CPU lines", text: "cpu  100 20 30 5000 7 1 2 3 9 0\nintr 1\n"},
		{name: "short line", text: "cpu  100 20 30\ncpu0 1 2 3\n"},
		{name: "not a number", text: "cpu  100 x 30 5000 7 1 2 3 9 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n"},
		{name: "empty", text: ""},
		{name: "no final newline", text: "cpu  1 0 0 9 0 0 0 0 0 0\ncpu0 1 0 0 9 0 0 0 0 0 0", busy: 10 * time.Millisecond, cpus: 1, ok: true},
	} {
		busy, cpus, ok := parseProcStat(bufio.NewReader(strings.NewReader(tt.text)))
		if busy != tt.busy || cpus != tt.cpus || ok != tt.ok {
			t.Errorf("%s: parseProcStat = %v, %d, %v; want %v, %d, %v", tt.name, busy, cpus, ok, tt.busy, tt.cpus, tt.ok)
		}
	}
}

// TestCPUSensor: Free is the CPUs less the CPU time of other processes per second of the last
// interval, read at most once per SensorInterval, and unknown without two good readings at
// most SensorMaxWindow apart.
func TestCPUSensor(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	ms := time.Millisecond
	type rd struct {
		busy, own time.Duration
		ok        bool
	}
	script := []rd{
		{0, 0, true},
		{400 * ms, 300 * ms, true},  // over 500 ms: others used 100 ms, 0.2 CPU
		{1400 * ms, 800 * ms, true}, // over 250 ms: others used 500 ms, 2 CPUs
		{0, 0, false},               // no figures
		{1500 * ms, 900 * ms, true}, // a good reading after a bad one: still unknown
		{1600 * ms, 1000 * ms, true},
		{1700 * ms, 1100 * ms, true}, // after an idle spell: too long a window
		{1800 * ms, 1100 * ms, true}, // over 250 ms: others used 100 ms, 0.4 CPU
	}
	reads := 0
	s := newCPUSensor(clk.now, func() cpuReading {
		r := script[reads]
		reads++
		return cpuReading{busy: r.busy, own: r.own, cpus: 4, ok: r.ok}
	})
	for i, step := range []struct {
		advance time.Duration
		free    float64
		ok      bool
		reads   int
	}{
		{100 * ms, 0, false, 1}, // too soon: nothing known yet
		{400 * ms, 3.8, true, 2},
		{100 * ms, 3.8, true, 2}, // cached
		{150 * ms, 2, true, 3},
		{SensorInterval, 0, false, 4},
		{SensorInterval, 0, false, 5},
		{SensorInterval, 4, true, 6},
		{SensorMaxWindow + ms, 0, false, 7},
		{SensorInterval, 3.6, true, 8},
	} {
		clk.t = clk.t.Add(step.advance)
		free, ok := s.Free()
		if math.Abs(free-step.free) > 1e-9 || ok != step.ok || reads != step.reads {
			t.Errorf("call %d: Free() = %.3f, %v after %d readings; want %.3f, %v after %d", i, free, ok, reads, step.free, step.ok, step.reads)
		}
	}
}

// TestCPUSensorReadsThisMachine: on Linux the sensor has figures, and free CPUs are at most
// the machine's.
func TestCPUSensorReadsThisMachine(t *testing.T) {
	r := readCPU()
	if !r.ok {
		t.Skip("no CPU figures on this system")
	}
	clk := &clock{t: time.Now()}
	s := newCPUSensor(clk.now, readCPU)
	clk.t = clk.t.Add(time.Second) // as if a second had passed: the figures are what they are
	free, ok := s.Free()
	if !ok || free > float64(r.cpus) || r.cpus < 1 {
		t.Errorf("Free() = %.2f, %v on %d CPUs", free, ok, r.cpus)
	}
}

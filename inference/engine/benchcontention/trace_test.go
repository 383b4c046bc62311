package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTrace writes a trace as record would on a machine where a step of each kind and count
// takes what dur says and other programs leave free CPUs free, for span of simulated time.
func writeTrace(t *testing.T, span time.Duration, free float64, dur func(prompt bool, n int) time.Duration) string {
	t.Helper()
	const nPrompt, nGen, block = 64, 32, 4
	var b strings.Builder
	fmt.Fprintf(&b, "# recorded by a test\n# model sim (1 parameters), threads [1 2], prompt %d, generate %d, block %d\n", nPrompt, nGen, block)
	at, blocks := time.Duration(0), 0
	step := func(prompt bool, n, tokens int) {
		d := dur(prompt, n)
		kind := "g"
		if prompt {
			kind = "p"
		}
		fmt.Fprintf(&b, "%s %d %d %d %d %.2f\n", kind, n, tokens, at.Microseconds(), d.Microseconds(), free)
		at += d
	}
	for r := 0; at < span; r++ {
		step(true, 1+r%2, nPrompt)
		for i := range nGen {
			if i%block == 0 {
				blocks++
			}
			step(false, 1+blocks%2, 1)
		}
	}
	p := filepath.Join(t.TempDir(), "sim.trace")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReplay: replayed over a recorded trace, the adaptive controller nearly matches the best
// fixed count, on an idle machine (two threads best) and under load (one thread best).
func TestReplay(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		name string
		free float64
		dur  func(prompt bool, n int) time.Duration
		best int
		min  float64
	}{
		{"idle", 2, func(prompt bool, n int) time.Duration {
			if prompt {
				return map[int]time.Duration{1: 650 * ms, 2: 360 * ms}[n]
			}
			return map[int]time.Duration{1: 26 * ms, 2: 21 * ms}[n]
		}, 2, 0.97},
		{"load", 0.3, func(prompt bool, n int) time.Duration {
			if prompt {
				return map[int]time.Duration{1: 900 * ms, 2: 3000 * ms}[n]
			}
			return map[int]time.Duration{1: 35 * ms, 2: 500 * ms}[n]
		}, 1, 0.9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			traces, err := readTraces(writeTrace(t, 10*time.Minute, tt.free, tt.dur))
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != 1 || len(traces[0].counts) != 2 || traces[0].prompt != 64 || traces[0].nGen != 32 {
				t.Fatalf("read %d traces: %+v", len(traces), traces)
			}
			tr := traces[0]
			best := replay(tr, tt.best, tt.best, false)
			other := replay(tr, 3-tt.best, 3-tt.best, false)
			if best.genRate() <= other.genRate() || best.promptRate() <= other.promptRate() {
				t.Fatalf("fixed %d: %.1f/%.1f tok/s, fixed %d: %.1f/%.1f: the trace does not favour %d", tt.best,
					best.promptRate(), best.genRate(), 3-tt.best, other.promptRate(), other.genRate(), tt.best)
			}
			for _, free := range []bool{false, true} {
				a := replay(tr, 1, 2, free)
				rp, rg := a.promptRate()/best.promptRate(), a.genRate()/best.genRate()
				t.Logf("Free %v: prompt %.3f, generation %.3f of fixed %d (%d requests, %d stopped)", free, rp, rg, tt.best, a.requests, a.stopped)
				if rp < tt.min || rg < tt.min || a.requests < 100 {
					t.Errorf("Free %v: auto ÷ fixed %d: prompt %.3f, generation %.3f over %d requests; want ≥ %.2f over 100 or more",
						free, tt.best, rp, rg, a.requests, tt.min)
				}
			}
		})
	}
}

func TestReadTracesErrors(t *testing.T) {
	dir := t.TempDir()
	for i, text := range []string{
		"g 1 1 0 100 2\n", // a step before any header
		"# model m (1 parameters), threads [1], prompt 4, generate 2, block 4\ng 1 1 0 x 2\n",
		"# model m (1 parameters), threads [1], prompt 4, generate 2, block 4\nq 1 1 0 100 2\n",
		"# model m (1 parameters), threads [1], prompt 4, generate 2, block 4\n", // no steps
		"# model m (1 parameters), threads [1]\ng 1 1 0 100 2\n",                 // no prompt, generate
	} {
		p := filepath.Join(dir, fmt.Sprintf("%d.trace", i))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readTraces(p); err == nil {
			t.Errorf("readTraces(%q): no error", text)
		}
	}
}

// TestTurnOrders: up to 4 configurations take their turns in every order, each following
// every other equally often; more rotate.
func TestTurnOrders(t *testing.T) {
	for n := 1; n <= 5; n++ {
		orders := turnOrders(n)
		want := map[int]int{1: 1, 2: 2, 3: 6, 4: 24, 5: 5}[n]
		if len(orders) != want {
			t.Fatalf("n=%d: %d orders, want %d", n, len(orders), want)
		}
		follows := map[[2]int]int{}
		for _, o := range orders {
			seen := map[int]bool{}
			for k, i := range o {
				if seen[i] || i < 0 || i >= n {
					t.Fatalf("n=%d: order %v is not a permutation", n, o)
				}
				seen[i] = true
				if k > 0 {
					follows[[2]int{o[k-1], i}]++
				}
			}
		}
		if n <= 4 {
			for a := range n {
				for b := range n {
					if a != b && follows[[2]int{a, b}] != follows[[2]int{0, 1}] {
						t.Errorf("n=%d: %d follows %d %d times, 1 follows 0 %d times", n, b, a, follows[[2]int{a, b}], follows[[2]int{0, 1}])
					}
				}
			}
		}
	}
}

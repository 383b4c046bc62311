package threadctl

import (
	"testing"
	"time"
)

// BenchmarkPlanObserve is the controller's cost per decode step (one Plan and one Observe):
// fixed (Min = Max), adaptive at its top count, and adaptive while held at a lower count (the
// state in which it consults Free). The engine calls both once per llama_decode, whose own
// time is 0.1 ms (the tiny model) to tens of milliseconds.
func BenchmarkPlanObserve(b *testing.B) {
	for _, tt := range []struct {
		name     string
		min, max int
		lowered  bool
	}{{"fixed", 2, 2, false}, {"auto", 1, 2, false}, {"auto-lowered", 1, 2, true}} {
		b.Run(tt.name, func(b *testing.B) {
			clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			c := New(Config{Min: tt.min, Max: tt.max, Now: clk.now})
			step := func(d time.Duration) {
				s := c.Plan(1)
				clk.t = clk.t.Add(d)
				c.Observe(s, 1, d, false)
			}
			// Past the start-up probe, then (lowered) down to 1 by stopped steps.
			for range 20 {
				step(28 * time.Millisecond)
			}
			if tt.lowered {
				for c.Threads() > 1 {
					s := c.Plan(1)
					clk.t = clk.t.Add(s.Limit)
					c.Observe(s, 1, s.Limit, true)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				// Steps of 0 s: the simulated clock stands still, so the state stays.
				s := c.Plan(1)
				c.Observe(s, 1, 28*time.Millisecond, false)
			}
		})
	}
}

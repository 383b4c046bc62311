package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine/threadctl"
	"github.com/nashd/nashd/inference/llama"
)

func TestThreadPolicies(t *testing.T) {
	const big, small = 500_000_000, 100_000
	for _, tt := range []struct {
		threads, batch int
		params         uint64
		cores          int
		gen, bat       threadPolicy
	}{
		{0, 0, big, 8, threadPolicy{max: 8}, threadPolicy{max: 8}},
		{AutoThreads, 0, big, 8, threadPolicy{max: 8}, threadPolicy{max: 8}},
		{0, 0, small, 8, threadPolicy{max: 1}, threadPolicy{max: 8}},   // small model: generation on one thread
		{3, 0, big, 8, threadPolicy{fixed: 3}, threadPolicy{fixed: 3}}, // threads = N: exactly N, as before
		{3, 0, small, 8, threadPolicy{fixed: 3}, threadPolicy{fixed: 3}},
		{3, 5, big, 8, threadPolicy{fixed: 3}, threadPolicy{fixed: 5}},
		{3, AutoThreads, big, 8, threadPolicy{fixed: 3}, threadPolicy{max: 8}},
		{0, 2, big, 8, threadPolicy{max: 8}, threadPolicy{fixed: 2}},
		{0, 0, big, 0, threadPolicy{max: 1}, threadPolicy{max: 1}},
	} {
		gen, bat := threadPolicies(tt.threads, tt.batch, tt.params, tt.cores)
		if gen != tt.gen || bat != tt.bat {
			t.Errorf("threadPolicies(%d, %d, %d params, %d cores) = %v, %v; want %v, %v",
				tt.threads, tt.batch, tt.params, tt.cores, gen, bat, tt.gen, tt.bat)
		}
	}
}

// TestFixedThreads: threads = N decodes every step with exactly N threads (and batch_threads
// = M prompts with M), never adapting.
func TestFixedThreads(t *testing.T) {
	// At most two threads and a few tokens: on a busy machine more collapse (which is the
	// point of the adaptive count).
	for _, tt := range []struct{ threads, batch, wantBatch int }{{2, 0, 2}, {1, 2, 2}, {2, 1, 1}} {
		e := openTiny(t, Options{Threads: tt.threads, BatchThreads: tt.batch})
		if _, err := e.Generate(context.Background(), inference.Request{Prompt: "a fixed number of threads", MaxTokens: 3}, nil); err != nil {
			t.Fatal(err)
		}
		st := e.ThreadStats()
		for _, c := range []struct {
			kind string
			s    threadctl.Stats
			want int
		}{{"generation", st.Generation, tt.threads}, {"batch", st.Batch, tt.wantBatch}} {
			if c.s.Threads != c.want || c.s.Min != c.want || c.s.Max != c.want || c.s.Adaptive || c.s.Steps == 0 {
				t.Errorf("Threads %d, BatchThreads %d: %s stats %+v, want exactly %d threads", tt.threads, tt.batch, c.kind, c.s, c.want)
			}
		}
		if g, b := e.lctx.Threads(); g != tt.threads || b != tt.wantBatch {
			t.Errorf("Threads %d, BatchThreads %d: the context runs %d and %d threads", tt.threads, tt.batch, g, b)
		}
		e.Close()
	}
}

// TestAutoThreads: the default is adaptive, from one thread to the physical cores, with one
// thread for the generation steps of a small model (the tiny model).
func TestAutoThreads(t *testing.T) {
	defer func(f func() int) { coresForThreads = f }(coresForThreads)
	coresForThreads = func() int { return 4 }
	e, err := Open(tiny(t), Options{Logger: quiet, ContextSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	st := e.ThreadStats()
	if g := st.Generation; g.Min != 1 || g.Max != 1 || g.Threads != 1 {
		t.Errorf("generation %+v, want 1 thread (small model)", g)
	}
	if b := st.Batch; !b.Adaptive || b.Min != 1 || b.Max != 4 || b.Threads != 4 {
		t.Errorf("batch %+v, want adaptive 1-4, starting at 4", b)
	}
	if st.Poll != DefaultPoll {
		t.Errorf("poll %d, want %d", st.Poll, DefaultPoll)
	}
}

// TestStoppedStepsRunAgain: a step stopped at its time limit (a stall) is run again with
// fewer threads, and the output is exactly that of an engine that never stopped.
func TestStoppedStepsRunAgain(t *testing.T) {
	defer func(f func() int) { coresForThreads = f }(coresForThreads)
	coresForThreads = func() int { return 3 }
	ref := openTiny(t, Options{Threads: 1, Slots: 2})
	defer ref.Close()
	e, err := Open(tiny(t), Options{Logger: quiet, ContextSize: 512, Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Every step with more than one thread overruns at once.
	e.stepLimit = func(s threadctl.Step) time.Duration {
		if s.Threads > 1 {
			return time.Nanosecond
		}
		return 0
	}
	req := inference.Request{Prompt: "the row player compares the payoff of cooperation", MaxTokens: 24}
	want, err := ref.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two requests at once: multi-token steps hold both sequences.
	type out struct {
		res inference.Result
		err error
	}
	ch := make(chan out, 2)
	for range 2 {
		go func() {
			res, err := e.Generate(context.Background(), req, nil)
			ch <- out{res, err}
		}()
	}
	for range 2 {
		o := <-ch
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.res.Text != want.Text || !slices.Equal(o.res.Tokens, want.Tokens) {
			t.Errorf("with stopped steps: %q, want %q", o.res.Text, want.Text)
		}
	}
	st := e.ThreadStats().Batch
	if st.Stopped < 2 || st.Threads != 1 || st.StepsDown < 2 {
		t.Errorf("batch stats %+v: want at least 2 stopped steps, 2 steps down to 1 thread", st)
	}
}

// TestEnginePoolsFreed: engines of every thread setting free their thread pools on Close.
func TestEnginePoolsFreed(t *testing.T) {
	base := llama.LiveThreadPools()
	for _, o := range []Options{{Threads: 1}, {Threads: 2, BatchThreads: 1}, {Threads: AutoThreads}, {Threads: 1, Poll: 50}} {
		o.Logger, o.ContextSize = quiet, 256
		e, err := Open(tiny(t), o)
		if err != nil {
			t.Fatal(err)
		}
		// One pool of the most threads; a small model's auto generation (one thread) has
		// its own besides.
		want := len(poolSizes(threadPolicies(o.Threads, o.BatchThreads, e.Info().Parameters, coresForThreads())))
		if n := llama.LiveThreadPools() - base; n != want {
			t.Errorf("%+v: %d live pools, want %d", o, n, want)
		}
		if _, err := e.Generate(context.Background(), inference.Request{Prompt: "pools", MaxTokens: 4}, nil); err != nil {
			t.Fatal(err)
		}
		e.Close()
		if n := llama.LiveThreadPools() - base; n != 0 {
			t.Errorf("%+v: %d pools alive after Close", o, n)
		}
	}
	if _, err := Open(tiny(t), Options{Logger: quiet, Poll: llama.MaxPoll + 1}); err == nil {
		t.Error("Open(Poll 101): no error")
	}
	if _, err := Open(tiny(t), Options{Logger: quiet, Threads: -2}); err == nil {
		t.Error("Open(Threads -2): no error")
	}
}

// BenchmarkThreadsOverhead runs the same greedy requests on the tiny model with one fixed
// thread and with the adaptive count (which generates with one thread on a model this small):
// the difference is what the adaptive path costs per step. Wall-clock time on a shared machine
// is noisy; count instructions instead (load-independent). valgrind 3.19 knows neither
// AVX-512 (build llama.cpp for AVX2: a separate build cache entry) nor RDTSCP (Go's runtime
// uses it unless told not to):
//
//	CGO_ENABLED=1 CGO_CFLAGS="-O3 -mavx2 -mfma -mf16c -mbmi2" CGO_CXXFLAGS="-O3 -mavx2 -mfma -mf16c -mbmi2" \
//		go test -c -o /tmp/engine.test ./inference/engine
//	GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file=cg.out \
//		/tmp/engine.test -test.run '^$' -test.bench 'ThreadsOverhead/auto$' -test.benchtime 10x
//
// and sum callgrind_annotate's self counts by where they come from (Go goroutine switches
// make inclusive counts unreliable). Measured (11 requests, 704 steps): the engine's Go code
// 12.74 M instructions with either setting, the controllers 0.38 M (about 530 per step, of
// about 820,000 per step in llama.cpp); the adaptive run's llama.cpp count is higher only by
// its prompt chunks on two threads.
func BenchmarkThreadsOverhead(b *testing.B) {
	for _, c := range []struct {
		name    string
		threads int
	}{{"threads=1", 1}, {"auto", AutoThreads}} {
		b.Run(c.name, func(b *testing.B) {
			e := openTiny(b, Options{Threads: c.threads, ContextSize: 512})
			defer e.Close()
			req := inference.Request{Prompt: "the row player compares the payoff of cooperation", MaxTokens: 64}
			tokens := 0
			b.ResetTimer()
			for range b.N {
				r, err := e.Generate(context.Background(), req, nil)
				if err != nil {
					b.Fatal(err)
				}
				tokens += len(r.Tokens)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
			b.ReportMetric(float64(tokens)/float64(b.N), "tokens/op")
		})
	}
}

// TestPoolSizes: one pool of the most threads either kind can use; a second, smaller one only
// when generation never uses as many threads as prompts.
func TestPoolSizes(t *testing.T) {
	for _, tt := range []struct {
		gen, batch threadPolicy
		want       []int
	}{
		{threadPolicy{max: 4}, threadPolicy{max: 4}, []int{4}},
		{threadPolicy{max: 1}, threadPolicy{max: 2}, []int{1, 2}},   // small model, auto
		{threadPolicy{fixed: 2}, threadPolicy{fixed: 2}, []int{2}},  // threads = 2
		{threadPolicy{fixed: 3}, threadPolicy{fixed: 1}, []int{3}},  // generation the larger
		{threadPolicy{fixed: 1}, threadPolicy{max: 4}, []int{1, 4}}, // threads = 1, batch auto
		{threadPolicy{max: 2}, threadPolicy{fixed: 6}, []int{2, 6}}, // batch_threads = 6
	} {
		if got := poolSizes(tt.gen, tt.batch); !slices.Equal(got, tt.want) {
			t.Errorf("poolSizes(%v, %v) = %v, want %v", tt.gen, tt.batch, got, tt.want)
		}
	}
}

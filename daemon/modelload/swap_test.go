package modelload

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/llama"
)

// osThreads returns the number of OS threads of this process (Linux), or -1.
func osThreads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return -1
}

// TestSwapsFreeThreadPools: 100 model swaps through the model manager (each a config reload
// that changes the thread settings, so a new engine loads and the old one is closed) leave
// only the serving engine's thread pools and no worker threads behind, and each serving
// engine runs with its own spec's settings.
func TestSwapsFreeThreadPools(t *testing.T) {
	path := tinyModel(t)
	mm := modelmgr.New(modelmgr.Options{Load: Load, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer mm.Close(context.Background())
	base, threads0 := llama.LiveThreadPools(), osThreads()
	specs := []config.Spec{
		{Threads: 1, Poll: 0},
		{Threads: 2, BatchThreads: 1, Poll: 50},
		{Threads: int(config.ThreadsAuto), Poll: 10},
		{Threads: 1, BatchThreads: int(config.ThreadsAuto), Poll: 100},
	}
	for i := range 100 {
		spec := specs[i%len(specs)]
		spec.Name, spec.Path, spec.ContextSize, spec.BatchSize, spec.Slots = "tiny", path, 64, 64, 1
		spec.ChatTemplate = strconv.Itoa(i) // every swap a new spec, even when the settings repeat
		mm.Set(&spec)
		deadline := time.Now().Add(20 * time.Second)
		var st modelmgr.Status
		for {
			st = mm.Status()
			if st.Serving != nil && st.Serving.Spec == spec && len(st.Draining) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("swap %d: not serving the new spec after 20 s: %+v", i, st)
			}
			time.Sleep(time.Millisecond)
		}
		if i%10 == 0 {
			// Decode on it, so its pools have run graphs.
			l, err := mm.Acquire("tiny")
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Generate(context.Background(), inference.Request{Prompt: "swap", MaxTokens: 2}, nil)
			l.Release()
			if err != nil {
				t.Fatal(err)
			}
		}
		th := st.Serving.Threads
		if th == nil {
			t.Fatalf("swap %d: the status has no thread counts", i)
		}
		if th.Poll != spec.Poll || (spec.Threads > 0 && th.Generation.Threads != spec.Threads) ||
			(spec.BatchThreads > 0 && th.Batch.Threads != spec.BatchThreads) ||
			(spec.BatchThreads < 0 && (th.Batch.Min != 1 || th.Batch.Max != engine.PhysicalCores())) {
			t.Errorf("swap %d: spec threads %d/%d poll %d, engine %+v", i, spec.Threads, spec.BatchThreads, spec.Poll, *th)
		}
		// The old engine is closed once drained; only the serving engine's pools remain.
		// (two for the tiny model when generation is adaptive: its one-thread generation
		// has a pool of its own)
		for n := llama.LiveThreadPools() - base; n > 2; n = llama.LiveThreadPools() - base {
			if time.Now().After(deadline) {
				t.Fatalf("swap %d: %d live thread pools, want at most 2 (the serving engine's)", i, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if threads0 > 0 {
		if n := osThreads(); n > threads0+8 {
			t.Errorf("%d OS threads after 100 swaps, %d before", n, threads0)
		}
	}
	if err := mm.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := llama.LiveThreadPools() - base; n != 0 {
		t.Errorf("%d thread pools alive after the manager closed", n)
	}
}

package llama

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// osThreads returns the number of OS threads of this process (Linux), or -1.
func osThreads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// decodeOne decodes a short prompt then one generated token in sequence 0 of a cleared
// cache, so both the batch and the generation pool run a graph.
func decodeOne(t *testing.T, c *Context) {
	t.Helper()
	c.MemoryClear()
	b := NewBatch(8)
	defer b.Free()
	for i, tok := range []int32{1, 300 % int32(c.Model().NVocab()), 7} {
		b.Add(tok, i, 0, i == 2)
	}
	if err := c.Decode(b); err != nil {
		t.Fatalf("decode prompt: %v", err)
	}
	b.Clear()
	b.Add(9, 3, 0, true)
	if err := c.Decode(b); err != nil {
		t.Fatalf("decode token: %v", err)
	}
}

// TestThreadPools: a context creates the pools ContextParams.Pools lists (one of the larger
// count without it), runs each kind of decode on the smallest pool with enough threads, adds
// a pool for a count larger than all of them, and frees every pool with the context.
func TestThreadPools(t *testing.T) {
	m := tinyModel(t)
	base := LiveThreadPools()
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 2, ThreadsBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check := func(step string, gen, batch int, sizes []int, live int) {
		t.Helper()
		if g, b := c.Threads(); g != gen || b != batch {
			t.Errorf("%s: Threads() = %d, %d; want %d, %d", step, g, b, gen, batch)
		}
		if got := c.PoolSizes(); !slices.Equal(got, sizes) {
			t.Errorf("%s: PoolSizes() = %v, want %v", step, got, sizes)
		}
		if n := c.ThreadPools(); n != len(sizes) {
			t.Errorf("%s: ThreadPools() = %d, want %d", step, n, len(sizes))
		}
		if n := LiveThreadPools() - base; n != live {
			t.Errorf("%s: %d live pools, want %d", step, n, live)
		}
	}
	check("new context", 2, 3, []int{3}, 1)
	decodeOne(t, c)
	if err := c.SetThreads(1, 1); err != nil {
		t.Fatal(err)
	}
	check("SetThreads(1, 1)", 1, 1, []int{3}, 1) // fewer threads of the same pool
	decodeOne(t, c)
	if err := c.SetThreads(4, 2); err != nil { // a larger count adds a pool
		t.Fatal(err)
	}
	check("SetThreads(4, 2)", 4, 2, []int{3, 4}, 2)
	decodeOne(t, c)
	if err := c.SetThreads(2, 3); err != nil { // back on the 3-thread pool
		t.Fatal(err)
	}
	decodeOne(t, c)
	check("decode after (2, 3)", 2, 3, []int{3, 4}, 2)
	if c.pools.gen != c.pools.batch || c.pools.gen.n != 3 {
		t.Errorf("(2, 3): generation on a %d-thread pool, batch on %d; want one 3-thread pool", c.pools.gen.n, c.pools.batch.n)
	}

	for _, bad := range [][2]int{{0, 1}, {1, 0}, {MaxThreads + 1, 1}, {-1, 2}} {
		if err := c.SetThreads(bad[0], bad[1]); err == nil {
			t.Errorf("SetThreads(%d, %d): no error", bad[0], bad[1])
		}
	}
	check("after invalid SetThreads", 2, 3, []int{3, 4}, 2)

	c.Close()
	check("closed", 0, 0, nil, 0)
	if err := c.SetThreads(2, 2); err != nil {
		t.Errorf("SetThreads on a closed context: %v, want nil (ignored)", err)
	}
	check("SetThreads after close", 0, 0, nil, 0)

	// A small model's pools: one thread for generation, two for prompts; a one-thread
	// prompt step runs on the generation pool.
	c, err = NewContext(m, ContextParams{NCtx: 256, Threads: 1, ThreadsBatch: 2, Pools: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	check("Pools 1, 2", 1, 2, []int{1, 2}, 2)
	decodeOne(t, c)
	if c.pools.gen.n != 1 || c.pools.batch.n != 2 {
		t.Errorf("Pools 1, 2: generation on %d threads' pool, batch on %d's", c.pools.gen.n, c.pools.batch.n)
	}
	if err := c.SetThreads(1, 1); err != nil {
		t.Fatal(err)
	}
	decodeOne(t, c)
	if c.pools.gen != c.pools.batch || c.pools.gen.n != 1 {
		t.Errorf("(1, 1) with Pools 1, 2: generation on %d threads' pool, batch on %d's; want both on the 1-thread pool", c.pools.gen.n, c.pools.batch.n)
	}
	c.Close()

	if _, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1, Poll: MaxPoll + 1}); err == nil {
		t.Errorf("NewContext(Poll %d): no error", MaxPoll+1)
	}
	if _, err := NewContext(m, ContextParams{NCtx: 256, Threads: MaxThreads + 1}); err == nil {
		t.Errorf("NewContext(Threads %d): no error", MaxThreads+1)
	}
	for _, bad := range [][]int{{0}, {MaxThreads + 1}, {1, -2}} {
		if _, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1, Pools: bad}); err == nil {
			t.Errorf("NewContext(Pools %v): no error", bad)
		}
	}
	if n := LiveThreadPools() - base; n != 0 {
		t.Errorf("%d pools left after failed NewContext calls", n)
	}
}

// TestThreadPoolsNoLeak: contexts created, switched between thread counts and closed 100
// times leave no pool and no worker thread behind.
func TestThreadPoolsNoLeak(t *testing.T) {
	m := tinyModel(t)
	base, threads0 := LiveThreadPools(), osThreads()
	for i := range 100 {
		// Two threads at most, and a decode every tenth context only: on a busy machine a
		// multi-threaded decode can take a second (which is what package engine's thread
		// controller is for).
		c, err := NewContext(m, ContextParams{NCtx: 64, Threads: 1 + i%2, ThreadsBatch: 2, Poll: 50 * (i % 3)})
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			decodeOne(t, c)
		}
		if err := c.SetThreads(2-i%2, 1+i%4); err != nil { // some add a pool
			t.Fatal(err)
		}
		if i%10 == 5 {
			decodeOne(t, c)
		}
		c.Close()
	}
	if n := LiveThreadPools() - base; n != 0 {
		t.Errorf("%d pools alive after 100 closed contexts", n)
	}
	// Pool workers are joined when freed; the Go runtime may have started a few threads.
	if threads0 > 0 {
		if n := osThreads(); n > threads0+4 {
			t.Errorf("%d OS threads after 100 contexts, %d before", n, threads0)
		}
	}
}

// TestDecodeWithin: a decode past its limit stops with ErrDeadline (not ErrAborted), leaves
// nothing of its batch in the cache, and the context decodes normally afterwards.
func TestDecodeWithin(t *testing.T) {
	m := tinyModel(t)
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := NewBatch(64)
	defer b.Free()
	for i := range 40 {
		b.Add(int32(3+i), i, 0, i == 39)
	}
	err = c.DecodeWithin(b, time.Nanosecond)
	if !errors.Is(err, ErrDeadline) || errors.Is(err, ErrAborted) {
		t.Fatalf("DecodeWithin(1ns) = %v, want ErrDeadline", err)
	}
	if p := c.MemorySeqPosMax(0); p != -1 {
		t.Errorf("after the stopped decode the cache holds positions up to %d, want none", p)
	}
	if err := c.DecodeWithin(b, time.Minute); err != nil {
		t.Fatalf("DecodeWithin(1m) = %v", err)
	}
	if p := c.MemorySeqPosMax(0); p != 39 {
		t.Errorf("cache holds positions up to %d, want 39", p)
	}
	// An abort requested by the flag is still ErrAborted, limit or not.
	b.Clear()
	b.Add(5, 40, 0, true)
	c.Abort()
	if err := c.DecodeWithin(b, time.Minute); !errors.Is(err, ErrAborted) {
		t.Errorf("aborted DecodeWithin = %v, want ErrAborted", err)
	}
	c.ClearAbort()
	if err := c.Decode(b); err != nil {
		t.Errorf("Decode after ClearAbort: %v", err)
	}
}

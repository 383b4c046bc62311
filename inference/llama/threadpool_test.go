package llama

import (
	"errors"
	"os"
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

// TestThreadPools: a context owns one pool per distinct thread count, attaches pools of the
// sizes SetThreads asks for, frees the replaced ones after the next decode, and frees all of
// them with the context.
func TestThreadPools(t *testing.T) {
	m := tinyModel(t)
	base := LiveThreadPools()
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 2, ThreadsBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check := func(step string, gen, batch, held, live int) {
		t.Helper()
		if g, b := c.Threads(); g != gen || b != batch {
			t.Errorf("%s: Threads() = %d, %d; want %d, %d", step, g, b, gen, batch)
		}
		if n := c.ThreadPools(); n != held {
			t.Errorf("%s: ThreadPools() = %d, want %d", step, n, held)
		}
		if n := LiveThreadPools() - base; n != live {
			t.Errorf("%s: %d live pools, want %d", step, n, live)
		}
	}
	check("new context", 2, 3, 2, 2)
	decodeOne(t, c)
	if err := c.SetThreads(1, 1); err != nil {
		t.Fatal(err)
	}
	check("SetThreads(1, 1)", 1, 1, 3, 3) // one shared pool attached, two retired
	decodeOne(t, c)
	check("decode after SetThreads(1, 1)", 1, 1, 1, 1)
	if err := c.SetThreads(1, 1); err != nil {
		t.Fatal(err)
	}
	check("SetThreads to the same sizes", 1, 1, 1, 1)
	if err := c.SetThreads(2, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.SetThreads(1, 2); err != nil { // the 2-thread pool moves to batch, reused
		t.Fatal(err)
	}
	check("SetThreads(2, 1) then (1, 2)", 1, 2, 2, 2)
	decodeOne(t, c)
	check("decode after (1, 2)", 1, 2, 2, 2)

	for _, bad := range [][2]int{{0, 1}, {1, 0}, {MaxThreads + 1, 1}, {-1, 2}} {
		if err := c.SetThreads(bad[0], bad[1]); err == nil {
			t.Errorf("SetThreads(%d, %d): no error", bad[0], bad[1])
		}
	}
	check("after invalid SetThreads", 1, 2, 2, 2)

	c.Close()
	check("closed", 0, 0, 0, 0)
	if err := c.SetThreads(2, 2); err != nil {
		t.Errorf("SetThreads on a closed context: %v, want nil (ignored)", err)
	}
	check("SetThreads after close", 0, 0, 0, 0)

	if _, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1, Poll: MaxPoll + 1}); err == nil {
		t.Errorf("NewContext(Poll %d): no error", MaxPoll+1)
	}
	if _, err := NewContext(m, ContextParams{NCtx: 256, Threads: MaxThreads + 1}); err == nil {
		t.Errorf("NewContext(Threads %d): no error", MaxThreads+1)
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
		if err := c.SetThreads(2-i%2, 1); err != nil {
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

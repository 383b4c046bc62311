package llama

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"sync/atomic"
)

// MaxThreads is the most threads one ggml thread pool may have (GGML_MAX_N_THREADS).
const MaxThreads = C.GGML_MAX_N_THREADS

// MaxPoll is the highest polling level of a thread pool ([ContextParams].Poll).
const MaxPoll = 100

// livePools counts the ggml thread pools alive in the process (see [LiveThreadPools]).
var livePools atomic.Int64

// LiveThreadPools returns the number of ggml thread pools that contexts of this process have
// created and not yet freed (tests use it to check that none leak).
func LiveThreadPools() int { return int(livePools.Load()) }

// threadPool is one ggml thread pool of n threads.
type threadPool struct {
	p *C.struct_ggml_threadpool
	n int
}

func newThreadPool(n, poll int) (*threadPool, error) {
	var cerr *C.char
	mark := logMark()
	p := C.nash_threadpool_new(C.int32_t(n), C.uint32_t(poll), &cerr)
	if p == nil {
		return nil, cError("new thread pool", cerr, nil, mark)
	}
	livePools.Add(1)
	return &threadPool{p: p, n: n}, nil
}

func (tp *threadPool) free() {
	if tp.p != nil {
		C.nash_threadpool_free(tp.p)
		tp.p = nil
		livePools.Add(-1)
	}
}

// pools are a context's thread pools. A ggml pool runs a graph with any number of its
// threads (the others sleep through it), so llama.cpp runs single-token graphs on the
// smallest pool that has enough threads for the generation count, and multi-token graphs on
// the smallest one for the batch count; changing a count is then mostly llama_set_n_threads.
// One pool for both kinds is the cheapest when both use the same counts: switching pools costs
// a wake-up of the next pool's workers (the CPU backend pauses the pool of its last graph),
// and measured on the tiny model a 1-thread generation pool beside a 2-thread batch pool made
// 64-token prompts a quarter slower. But a pool woken for fewer threads than it has wakes its
// idle workers too (they go back to sleep): with a 2-thread pool, one-thread generation of the
// tiny model was 10% slower quiet and 15% under load than on a pool of its own. So a caller
// whose counts differ by kind creates a pool of each size up front ([ContextParams].Pools).
// Pools are never freed before the context (the CPU backend keeps a pointer to the pool of its
// last graph and pauses it when the next graph runs on another); a count larger than every
// pool adds a pool of that size.
type pools struct {
	poll       int
	all        []*threadPool
	gen, batch *threadPool
	genN       int // threads of single-token graphs
	batchN     int // threads of multi-token graphs
}

// add creates a pool of n threads unless there is one of that size.
func (ps *pools) add(n int) error {
	for _, p := range ps.all {
		if p.n == n {
			return nil
		}
	}
	p, err := newThreadPool(n, ps.poll)
	if err != nil {
		return err
	}
	ps.all = append(ps.all, p)
	return nil
}

// fit returns the smallest pool with at least n threads, creating one of n threads if none
// has enough.
func (ps *pools) fit(n int) (*threadPool, error) {
	var best *threadPool
	for _, p := range ps.all {
		if p.n >= n && (best == nil || p.n < best.n) {
			best = p
		}
	}
	if best != nil {
		return best, nil
	}
	if err := ps.add(n); err != nil {
		return nil, err
	}
	return ps.all[len(ps.all)-1], nil
}

// freeAll frees every pool; call it only after the context is freed.
func (ps *pools) freeAll() {
	for _, p := range ps.all {
		p.free()
	}
	ps.all, ps.gen, ps.batch, ps.genN, ps.batchN = nil, nil, nil, 0, 0
}

// SetThreads sets the threads for generation (single-token) and batch (multi-token, prompt)
// decodes, from the next decode on. Each kind runs on the smallest of the context's pools
// with enough threads ([ContextParams].Pools); a count larger than every pool adds a pool of
// that size, kept until Close. threads and threadsBatch must be in [1, MaxThreads]. A closed
// context ignores it.
func (c *Context) SetThreads(threads, threadsBatch int) error {
	if c.p == nil {
		return nil
	}
	if threads < 1 || threadsBatch < 1 || threads > MaxThreads || threadsBatch > MaxThreads {
		return errorf("set threads", nil, "%d/%d threads outside [1, %d]", threads, threadsBatch, MaxThreads)
	}
	ps := &c.pools
	if ps.gen != nil && ps.genN == threads && ps.batchN == threadsBatch {
		return nil
	}
	gen, err := ps.fit(threads)
	if err != nil {
		return fmt.Errorf("set threads: %w", err)
	}
	batch, err := ps.fit(threadsBatch)
	if err != nil {
		return fmt.Errorf("set threads: %w", err)
	}
	var cerr *C.char
	mark := logMark()
	if C.nash_attach_threadpools(c.p, gen.p, C.int32_t(threads), batch.p, C.int32_t(threadsBatch), &cerr) != 0 {
		return cError("set threads", cerr, nil, mark)
	}
	ps.gen, ps.batch, ps.genN, ps.batchN = gen, batch, threads, threadsBatch
	return nil
}

// PoolSizes returns the sizes of the context's thread pools, in the order they were created.
func (c *Context) PoolSizes() []int {
	if c.p == nil {
		return nil
	}
	out := make([]int, len(c.pools.all))
	for i, p := range c.pools.all {
		out[i] = p.n
	}
	return out
}

// ThreadPools returns the number of thread pools the context holds.
func (c *Context) ThreadPools() int { return len(c.pools.all) }

package llama

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"slices"
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

// pools are a context's thread pools. llama.cpp runs single-token graphs on gen and
// multi-token graphs on batch (the same pool when both have the same size), with as many
// threads as the pool has. Changing a thread count attaches a pool of the new size; the old
// pool cannot be freed at once, because the CPU backend keeps a pointer to the pool of its
// last graph and pauses that pool when the next graph runs on another one. So replaced pools
// are retired and freed after the next graph has run (or with the context); a retired pool
// of a wanted size is attached again instead of creating one.
type pools struct {
	poll       int
	gen, batch *threadPool
	retired    []*threadPool
}

// take returns a pool of n threads: an attached or retired one of that size, or a new one.
func (ps *pools) take(n int) (*threadPool, error) {
	for _, p := range []*threadPool{ps.gen, ps.batch} {
		if p != nil && p.n == n {
			return p, nil
		}
	}
	for i, p := range ps.retired {
		if p.n == n {
			ps.retired = append(ps.retired[:i], ps.retired[i+1:]...)
			return p, nil
		}
	}
	return newThreadPool(n, ps.poll)
}

// retire moves p to the retired list unless it is still attached or already there.
func (ps *pools) retire(p *threadPool) {
	if p == nil || p == ps.gen || p == ps.batch {
		return
	}
	for _, r := range ps.retired {
		if r == p {
			return
		}
	}
	ps.retired = append(ps.retired, p)
}

// freeRetired frees the retired pools; call it only when no graph can still be using them.
func (ps *pools) freeRetired() {
	for _, p := range ps.retired {
		p.free()
	}
	ps.retired = ps.retired[:0]
}

// freeAll frees every pool; call it only after the context is freed.
func (ps *pools) freeAll() {
	ps.retire(ps.gen)
	ps.retire(ps.batch)
	if ps.gen != nil {
		ps.gen.free()
	}
	if ps.batch != nil {
		ps.batch.free()
	}
	ps.gen, ps.batch = nil, nil
	ps.freeRetired()
}

// SetThreads sets the threads for generation (single-token) and batch (multi-token, prompt)
// decodes: it attaches thread pools of these sizes to the context (creating them where
// needed; the pools of the previous sizes are freed once the next decode has run).
// threads and threadsBatch must be in [1, MaxThreads]. A closed context ignores it.
func (c *Context) SetThreads(threads, threadsBatch int) error {
	if c.p == nil {
		return nil
	}
	if threads < 1 || threadsBatch < 1 || threads > MaxThreads || threadsBatch > MaxThreads {
		return errorf("set threads", nil, "%d/%d threads outside [1, %d]", threads, threadsBatch, MaxThreads)
	}
	ps := &c.pools
	if ps.gen != nil && ps.gen.n == threads && ps.batch.n == threadsBatch {
		return nil
	}
	// Retire the attached pools first, so take finds them by size in either role.
	oldGen, oldBatch := ps.gen, ps.batch
	ps.gen, ps.batch = nil, nil
	ps.retire(oldGen)
	ps.retire(oldBatch)
	restore := func() {
		// llama.cpp still has the old pools attached: take them back from the retired list.
		ps.gen, ps.batch = oldGen, oldBatch
		ps.retired = slices.DeleteFunc(ps.retired, func(p *threadPool) bool { return p == oldGen || p == oldBatch })
	}
	gen, err := ps.take(threads)
	if err != nil {
		restore()
		return fmt.Errorf("set threads: %w", err)
	}
	ps.gen = gen
	batch, err := ps.take(threadsBatch)
	if err != nil {
		ps.gen = nil
		ps.retire(gen)
		restore()
		return fmt.Errorf("set threads: %w", err)
	}
	ps.batch = batch
	var cerr *C.char
	mark := logMark()
	if C.nash_attach_threadpools(c.p, gen.p, C.int32_t(gen.n), batch.p, C.int32_t(batch.n), &cerr) != 0 {
		ps.gen, ps.batch = nil, nil
		ps.retire(gen)
		ps.retire(batch)
		restore()
		return cError("set threads", cerr, nil, mark)
	}
	if oldGen == nil {
		// The first attach: the CPU backend has no pool yet, so nothing retired is in use.
		ps.freeRetired()
	}
	return nil
}

// ThreadPools returns the number of thread pools the context holds: attached and retired.
func (c *Context) ThreadPools() int {
	ps := &c.pools
	n := len(ps.retired)
	if ps.gen != nil {
		n++
	}
	if ps.batch != nil && ps.batch != ps.gen {
		n++
	}
	return n
}

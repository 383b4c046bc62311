package llama

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"
)

// ContextParams configures [NewContext]. Zero fields take llama.cpp's defaults, except Poll.
type ContextParams struct {
	NCtx         int // total context (all sequences together); 0 = the model's trained length
	NBatch       int // the most tokens one Decode may submit; 0 = 512
	NSeqMax      int // parallel sequences (seq ids 0..NSeqMax-1); 0 = 1
	Threads      int // threads for single-token (generation) decodes; 0 = llama.cpp's default
	ThreadsBatch int // threads for multi-token (prompt) decodes; 0 = Threads
	// Poll is the polling level of the context's thread pools, 0 to 100 (llama.cpp's
	// --poll): how long an idle worker spins for its next graph before it sleeps. 0 sleeps at
	// once (llama.cpp's own default is 50).
	Poll int
	// Pools are the sizes of the thread pools to create up front (see [Context.SetThreads]):
	// each kind of decode runs on the smallest pool with enough threads. nil = one pool of
	// max(Threads, ThreadsBatch). A caller that changes thread counts while it decodes lists
	// the most threads it will ask for, and a smaller size for a kind of decode that never
	// uses more (a small model generating with one thread), so that kind has a pool of its
	// own.
	Pools []int
}

// Context is a llama.cpp inference context: KV cache, compute buffers, thread pools. It is
// not safe for concurrent use (llama.cpp contexts are single-threaded); one goroutine must own
// it. [Context.Abort] is the exception: it may be called from any goroutine while the context
// is open. After Close, Decode returns [ErrClosed], the memory operations and thread settings
// do nothing and the other methods return zero values.
//
// A context owns its ggml thread pools (see [Context.SetThreads]), which run generation and
// prompt graphs with their own thread counts, and frees them with Close.
type Context struct {
	p     *C.struct_llama_context
	model *Model
	mem   C.llama_memory_t
	abort *C.nash_abort // C memory read by the abort callback during llama_decode
	nVoc  int
	pools pools
	// outputs[i] says whether batch position i of the last successful decode has logits:
	// llama.cpp aborts the process (a fatal error, not an exception) when asked for the
	// logits of any other position, so Logits and Sampler.Sample check it first.
	outputs []bool
}

// NewContext creates a context for m. A model on the CPU ([Model.GPULayers] 0) gets a context
// without op offload: every operation runs on the CPU, as without a GPU backend. An offloaded
// model gets llama.cpp's default (large batches' operations go to the GPU device).
func NewContext(m *Model, p ContextParams) (*Context, error) {
	if m == nil || m.p == nil {
		return nil, errorf("new context", ErrClosed, "model is closed")
	}
	if p.NCtx < 0 || p.NBatch < 0 || p.NSeqMax < 0 || p.Threads < 0 || p.ThreadsBatch < 0 || p.Poll < 0 {
		return nil, errorf("new context", nil, "negative parameter in %+v", p)
	}
	if p.Poll > MaxPoll {
		return nil, errorf("new context", nil, "poll %d above %d", p.Poll, MaxPoll)
	}
	if p.NBatch == 0 {
		p.NBatch = 512
	}
	if p.NSeqMax == 0 {
		p.NSeqMax = 1
	}
	if max := int(C.llama_max_parallel_sequences()); p.NSeqMax > max {
		return nil, errorf("new context", nil, "%d sequences requested, llama.cpp supports at most %d", p.NSeqMax, max)
	}
	if p.Threads == 0 {
		p.Threads = int(C.llama_context_default_params().n_threads)
	}
	if p.ThreadsBatch == 0 {
		p.ThreadsBatch = p.Threads
	}
	if p.Threads > MaxThreads || p.ThreadsBatch > MaxThreads {
		return nil, errorf("new context", nil, "%d/%d threads: at most %d", p.Threads, p.ThreadsBatch, MaxThreads)
	}
	for _, n := range p.Pools {
		if n < 1 || n > MaxThreads {
			return nil, errorf("new context", nil, "thread pool of %d threads: want 1 to %d", n, MaxThreads)
		}
	}
	abort := (*C.nash_abort)(C.calloc(1, C.size_t(unsafe.Sizeof(C.nash_abort{}))))
	var cerr *C.char
	mark := logMark()
	c := C.nash_context_init(m.p, C.uint32_t(p.NCtx), C.uint32_t(p.NBatch), C.uint32_t(p.NSeqMax),
		C.int32_t(p.Threads), C.int32_t(p.ThreadsBatch), C.bool(m.gpuLayers > 0), abort, &cerr)
	if c == nil {
		C.free(unsafe.Pointer(abort))
		return nil, cError("new context", cerr, nil, mark)
	}
	ctx := &Context{p: c, model: m, mem: C.llama_get_memory(c), abort: abort, nVoc: m.NVocab(), pools: pools{poll: p.Poll}}
	sizes := p.Pools
	if len(sizes) == 0 {
		sizes = []int{max(p.Threads, p.ThreadsBatch)} // one pool for both kinds
	}
	for _, n := range sizes {
		if err := ctx.pools.add(n); err != nil {
			ctx.Close()
			return nil, fmt.Errorf("new context: %w", err)
		}
	}
	if err := ctx.SetThreads(p.Threads, p.ThreadsBatch); err != nil {
		ctx.Close()
		return nil, err
	}
	return ctx, nil
}

// Close frees the context, then its thread pools. It is safe to call more than once.
func (c *Context) Close() error {
	if c.p != nil {
		C.llama_free(c.p)
		c.p, c.mem = nil, nil
		C.free(unsafe.Pointer(c.abort))
		c.abort = nil
		c.pools.freeAll()
	}
	return nil
}

// Model returns the model the context was created from.
func (c *Context) Model() *Model { return c.model }

// NCtx returns the total context size actually allocated.
func (c *Context) NCtx() int {
	if c.p == nil {
		return 0
	}
	return int(C.llama_n_ctx(c.p))
}

// NCtxSeq returns the context available to each sequence.
func (c *Context) NCtxSeq() int {
	if c.p == nil {
		return 0
	}
	return int(C.llama_n_ctx_seq(c.p))
}

// NBatch returns the most tokens one Decode may submit.
func (c *Context) NBatch() int {
	if c.p == nil {
		return 0
	}
	return int(C.llama_n_batch(c.p))
}

// NSeqMax returns the number of sequences.
func (c *Context) NSeqMax() int {
	if c.p == nil {
		return 0
	}
	return int(C.llama_n_seq_max(c.p))
}

// Threads returns the generation and batch thread counts.
func (c *Context) Threads() (threads, threadsBatch int) {
	if c.p == nil {
		return 0, 0
	}
	return int(C.llama_n_threads(c.p)), int(C.llama_n_threads_batch(c.p))
}

func (c *Context) abortFlag() *int32 { return (*int32)(unsafe.Pointer(&c.abort.flag)) }

// Abort makes a running or the next Decode return [ErrAborted] as soon as llama.cpp checks
// its abort callback (between graph nodes). Safe to call from any goroutine while the context
// is open. ClearAbort re-arms the context.
func (c *Context) Abort() {
	if c.abort != nil {
		atomic.StoreInt32(c.abortFlag(), 1)
	}
}

// ClearAbort clears the abort flag set by [Context.Abort].
func (c *Context) ClearAbort() {
	if c.abort != nil {
		atomic.StoreInt32(c.abortFlag(), 0)
	}
}

// Decode evaluates the batch. It returns [ErrAborted] if the abort flag stopped it, and
// [ErrNoKVSlot] if the KV cache had no room. Tokens, positions and sequence ids are checked
// first, since llama.cpp asserts (aborting the process) on some invalid input.
func (c *Context) Decode(b *Batch) error { return c.DecodeWithin(b, 0) }

// DecodeWithin is [Context.Decode] with a time limit: when limit > 0 and the decode is still
// running after limit, it stops at the next graph node and returns [ErrDeadline]. (llama.cpp
// checks the limit only between the nodes that run on the CPU: layers on a GPU device run to
// the end. For an offloaded model DecodeWithin also waits until the device has finished, so
// its duration is the batch's and a device failure is its error; it waits after a failed or
// aborted decode too, so nothing of it still runs when the caller edits the cache.) As with an
// abort, the batch's tokens are then not in the KV cache (llama.cpp removes the interrupted
// part; earlier sequences' parts of a batch split into several graphs may remain, as they
// may after an abort).
func (c *Context) DecodeWithin(b *Batch, limit time.Duration) error {
	if c.p == nil {
		return errorf("decode", ErrClosed, "context is closed")
	}
	n := int(b.b.n_tokens)
	if n == 0 {
		return nil
	}
	if n > c.NBatch() {
		return errorf("decode", nil, "batch of %d tokens exceeds n_batch %d", n, c.NBatch())
	}
	nseq := int32(c.NSeqMax())
	for i := range n {
		if t := b.tokens[i]; t < 0 || int(t) >= c.nVoc {
			return errorf("decode", nil, "token %d outside the vocabulary", t)
		}
		if s := b.seqs[i]; s < 0 || s >= nseq {
			return errorf("decode", nil, "sequence id %d outside [0, %d)", s, nseq)
		}
		if b.poss[i] < 0 {
			return errorf("decode", nil, "negative position %d", b.poss[i])
		}
	}
	c.outputs = c.outputs[:0]
	var cerr *C.char
	mark := logMark()
	r := C.nash_decode(c.p, b.b, c.abort, C.int64_t(max(limit, 0)), C.bool(c.model.gpuLayers > 0), &cerr)
	switch r {
	case 0:
		for i := range n {
			c.outputs = append(c.outputs, b.logits[i] != 0)
		}
		return nil
	case 1:
		return errorf("decode", ErrNoKVSlot, "no KV cache slot for %d tokens", n)
	case 2:
		if atomic.LoadInt32((*int32)(unsafe.Pointer(&c.abort.fired))) != 0 {
			return errorf("decode", ErrDeadline, "stopped after %v", limit)
		}
		return errorf("decode", ErrAborted, "aborted")
	case C.INT32_MIN:
		return cError("decode", cerr, nil, mark)
	default:
		return &Error{Op: "decode", Msg: fmt.Sprintf("llama_decode returned %d", int32(r)), Log: lastErrorSince(mark)}
	}
}

// Logits returns the logits of batch output i (a token added with logits=true), valid until
// the next Decode. The slice aliases C memory; copy it to keep it. It returns nil for a
// position of the last successful Decode that has no logits, or none.
func (c *Context) Logits(i int) []float32 {
	if c.p == nil || !c.hasOutput(i) {
		return nil
	}
	p := C.llama_get_logits_ith(c.p, C.int32_t(i))
	if p == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), c.nVoc)
}

// hasOutput reports whether batch position i of the last successful decode has logits.
func (c *Context) hasOutput(i int) bool { return i >= 0 && i < len(c.outputs) && c.outputs[i] }

// MemorySeqRm removes the cached tokens of seq in positions [p0, p1) (p1 < 0: to the end;
// seq < 0: all sequences). It reports false if the removal is not possible (partial removal
// from recurrent models).
func (c *Context) MemorySeqRm(seq, p0, p1 int) bool {
	return c.mem != nil && bool(C.llama_memory_seq_rm(c.mem, C.llama_seq_id(seq), C.llama_pos(p0), C.llama_pos(p1)))
}

// MemorySeqCp copies the cache of src positions [p0, p1) to dst (shared, not duplicated).
func (c *Context) MemorySeqCp(src, dst, p0, p1 int) {
	if c.mem == nil {
		return
	}
	C.llama_memory_seq_cp(c.mem, C.llama_seq_id(src), C.llama_seq_id(dst), C.llama_pos(p0), C.llama_pos(p1))
}

// MemoryClear empties the KV cache of all sequences.
func (c *Context) MemoryClear() {
	if c.mem != nil {
		C.llama_memory_clear(c.mem, C.bool(true))
	}
}

// MemorySeqPosMax returns the largest cached position of seq (-1 if empty).
func (c *Context) MemorySeqPosMax(seq int) int {
	if c.mem == nil {
		return -1
	}
	return int(C.llama_memory_seq_pos_max(c.mem, C.llama_seq_id(seq)))
}

// Batch is a reusable llama_batch for several sequences.
type Batch struct {
	b      C.struct_llama_batch
	cap    int
	tokens []int32
	poss   []int32
	seqs   []int32 // first seq id of each token (each token belongs to one sequence here)
	logits []int8
}

// NewBatch allocates a batch of up to capacity tokens, each belonging to one sequence.
func NewBatch(capacity int) *Batch {
	if capacity <= 0 {
		capacity = 1
	}
	b := &Batch{b: C.llama_batch_init(C.int32_t(capacity), 0, 1), cap: capacity}
	b.tokens = unsafe.Slice((*int32)(unsafe.Pointer(b.b.token)), capacity)
	b.poss = unsafe.Slice((*int32)(unsafe.Pointer(b.b.pos)), capacity)
	b.logits = unsafe.Slice((*int8)(unsafe.Pointer(b.b.logits)), capacity)
	b.seqs = make([]int32, capacity)
	return b
}

// Free releases the batch's C memory; safe to call twice.
func (b *Batch) Free() {
	if b.cap > 0 {
		C.llama_batch_free(b.b)
		b.cap = 0
		b.tokens, b.poss, b.logits, b.seqs = nil, nil, nil, nil
	}
}

// Clear empties the batch.
func (b *Batch) Clear() { b.b.n_tokens = 0 }

// Len returns the number of tokens in the batch.
func (b *Batch) Len() int { return int(b.b.n_tokens) }

// Cap returns the batch's capacity.
func (b *Batch) Cap() int { return b.cap }

// Add appends tok at position pos of sequence seq; wantLogits requests its output row. It
// returns the token's index in the batch (the idx for [Context.Logits] and sampling), or -1 if
// the batch is full.
func (b *Batch) Add(tok int32, pos int, seq int, wantLogits bool) int {
	i := int(b.b.n_tokens)
	if i >= b.cap {
		return -1
	}
	b.tokens[i] = tok
	b.poss[i] = int32(pos)
	b.seqs[i] = int32(seq)
	*(*C.int32_t)(unsafe.Add(unsafe.Pointer(b.b.n_seq_id), i*4)) = 1
	seqp := *(**C.llama_seq_id)(unsafe.Add(unsafe.Pointer(b.b.seq_id), i*int(unsafe.Sizeof(uintptr(0)))))
	*seqp = C.llama_seq_id(seq)
	if wantLogits {
		b.logits[i] = 1
	} else {
		b.logits[i] = 0
	}
	b.b.n_tokens++
	return i
}

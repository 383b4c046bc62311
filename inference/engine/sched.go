package engine

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/llama"
)

// slot is one sequence of the llama.cpp context (seq id = index).
type slot struct {
	id     int
	cached []int32 // tokens whose keys/values are in the cache at positions 0..len-1
	r      *request

	pending   []int32 // prompt tokens still to decode
	next      int32   // sampled token to decode next step (generation phase)
	hasNext   bool
	outIdx    int // batch index of this slot's logits row in the current batch, -1 if none
	inBatch   int // tokens this slot put into the current batch
	generated []int32
	text      textStream
	cacheN    int
	sampled   int // tokens sampled (llama-server's n_decoded, EOG included)

	tStart, tPromptDone, tLast time.Time
	// released is when the slot's last request finished (zero: never used).
	released time.Time
}

// scheduler owns the llama.cpp context: every step it builds one batch with the next token of
// each generating slot plus prompt chunks of slots still reading their prompt (up to n_batch
// tokens), decodes it with one llama_decode and samples each slot's next token.
type scheduler struct {
	e       *Engine
	ctx     *llama.Context
	batch   *llama.Batch
	slots   []*slot
	queue   []*request
	perSlot int
	// decoding is 1 while llama_decode runs, so a cancellation can abort it.
	decoding atomic.Int32
	wakeCh   chan struct{}
	// maxSeqsInBatch is the most sequences one decode has held (for tests).
	maxSeqsInBatch int
	// gather, if positive, makes the scheduler wait until that many requests have arrived
	// before its next step (tests use it to make requests share batches); set it before the
	// requests are submitted.
	gather int
}

func newScheduler(e *Engine, perSlot int) *scheduler {
	s := &scheduler{e: e, ctx: e.lctx, batch: llama.NewBatch(e.lctx.NBatch()), perSlot: perSlot, wakeCh: make(chan struct{}, 1)}
	for i := range e.opts.Slots {
		s.slots = append(s.slots, &slot{id: i, outIdx: -1})
	}
	return s
}

// wake tells the scheduler that a request was cancelled: it aborts a decode in flight (the
// step is retried without the cancelled slot) and wakes an idle loop.
func (s *scheduler) wake() {
	if s.decoding.Load() == 1 {
		s.e.mu.RLock()
		if !s.e.freed {
			s.ctx.Abort()
		}
		s.e.mu.RUnlock()
	}
	select {
	case s.wakeCh <- struct{}{}:
	default:
	}
}

func (s *scheduler) active() bool {
	for _, sl := range s.slots {
		if sl.r != nil {
			return true
		}
	}
	return false
}

func (s *scheduler) run() {
	defer close(s.e.done)
	defer s.batch.Free()
	for {
		if !s.active() && len(s.queue) == 0 {
			select {
			case r := <-s.e.submit:
				s.queue = append(s.queue, r)
			case <-s.wakeCh:
				continue
			case <-s.e.quit:
				s.shutdown()
				return
			}
		}
		// Take every request already waiting, without blocking.
	intake:
		for {
			select {
			case r := <-s.e.submit:
				s.queue = append(s.queue, r)
			case <-s.e.quit:
				s.shutdown()
				return
			default:
				break intake
			}
		}
		for s.gather > 0 && len(s.queue) < s.gather {
			select {
			case r := <-s.e.submit:
				s.queue = append(s.queue, r)
			case <-s.e.quit:
				s.shutdown()
				return
			}
		}
		s.gather = 0
		s.dropCancelled()
		s.assign()
		if !s.active() {
			continue
		}
		s.step()
	}
}

// shutdown finishes every request with ErrClosed.
func (s *scheduler) shutdown() {
	for _, sl := range s.slots {
		if sl.r != nil {
			s.release(sl, inference.StopCancelled, inference.ErrClosed)
		}
	}
	for _, r := range s.queue {
		r.finish(inference.Result{StopReason: inference.StopCancelled}, inference.ErrClosed)
	}
	s.queue = nil
}

func (s *scheduler) dropCancelled() {
	q := s.queue[:0]
	for _, r := range s.queue {
		if r.cancel.Load() {
			r.finish(inference.Result{StopReason: inference.StopCancelled}, nil)
			continue
		}
		q = append(q, r)
	}
	s.queue = q
	for _, sl := range s.slots {
		if sl.r != nil && sl.r.cancel.Load() {
			s.release(sl, inference.StopCancelled, nil)
		}
	}
}

// assign moves queued requests into free slots. As in llama-server, a request goes to the
// free slot whose cached tokens share the longest prefix with its prompt when that prefix
// covers at least half of the prompt; otherwise to the free slot used least recently, so a
// conversation's cache is not evicted for another's few shared tokens (a chat template's
// header) while an idle slot is free.
func (s *scheduler) assign() {
	for len(s.queue) > 0 {
		r := s.queue[0]
		var best, lru *slot
		bestN := -1
		for _, sl := range s.slots {
			if sl.r != nil {
				continue
			}
			if n := commonPrefix(sl.cached, r.prompt); n > bestN {
				best, bestN = sl, n
			}
			if lru == nil || sl.released.Before(lru.released) {
				lru = sl
			}
		}
		if best == nil {
			return
		}
		if 2*bestN < len(r.prompt) && lru != best {
			best, bestN = lru, commonPrefix(lru.cached, r.prompt)
		}
		s.queue = s.queue[1:]
		s.start(best, r, bestN)
	}
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// start binds r to sl, keeping the first n cached tokens (at least the last prompt token is
// decoded again so its logits exist).
func (s *scheduler) start(sl *slot, r *request, n int) {
	n = min(n, len(r.prompt)-1)
	if !s.ctx.MemorySeqRm(sl.id, n, -1) {
		n = 0
		s.ctx.MemorySeqRm(sl.id, -1, -1)
	}
	sl.cached = sl.cached[:n]
	sl.r = r
	sl.pending = r.prompt[n:]
	sl.cacheN = n
	sl.hasNext = false
	sl.generated = nil
	sl.sampled = 0
	sl.text = textStream{stops: r.req.Stop}
	sl.tStart = time.Now()
}

// release finishes the slot's request; the slot keeps its cache for prefix reuse.
func (s *scheduler) release(sl *slot, reason string, err error) {
	r := sl.r
	now := time.Now()
	res := inference.Result{
		Text: sl.text.emitted.String(), Tokens: sl.generated, StopReason: reason,
		StoppedBy: sl.text.stopped, PromptTokens: len(r.prompt),
	}
	t := &res.Timings
	t.CacheN = sl.cacheN
	t.PromptN = len(r.prompt) - sl.cacheN
	if !sl.tPromptDone.IsZero() {
		t.PromptMS = elapsedMS(sl.tPromptDone.Sub(sl.tStart))
		t.PredictedN = sl.sampled
		t.PredictedMS = elapsedMS(sl.tLast.Sub(sl.tPromptDone))
	} else {
		t.PromptMS = elapsedMS(now.Sub(sl.tStart))
	}
	if t.PromptMS > 0 {
		t.PromptPerSecond = float64(t.PromptN) / t.PromptMS * 1000
	}
	if t.PredictedMS > 0 {
		t.PredictedPerSecond = float64(t.PredictedN) / t.PredictedMS * 1000
	}
	sl.r = nil
	sl.pending = nil
	sl.hasNext = false
	sl.tPromptDone = time.Time{}
	sl.released = now
	r.finish(res, err)
}

// step decodes one batch and samples every slot that produced logits.
func (s *scheduler) step() {
	b := s.batch
	b.Clear()
	nb := b.Cap()
	for _, sl := range s.slots {
		sl.outIdx, sl.inBatch = -1, 0
		if sl.r != nil && sl.hasNext && b.Len() < nb {
			sl.outIdx = b.Add(sl.next, len(sl.cached), sl.id, true)
			sl.inBatch = 1
		}
	}
	for _, sl := range s.slots {
		if sl.r == nil || len(sl.pending) == 0 {
			continue
		}
		room := nb - b.Len()
		if room <= 0 {
			break
		}
		if sl.tStart.IsZero() {
			sl.tStart = time.Now()
		}
		k := min(room, len(sl.pending))
		for i := range k {
			last := i == len(sl.pending)-1
			idx := b.Add(sl.pending[i], len(sl.cached)+i, sl.id, last)
			if last {
				sl.outIdx = idx
			}
		}
		sl.inBatch = k
	}
	seqs := 0
	for _, sl := range s.slots {
		if sl.inBatch > 0 {
			seqs++
		}
	}
	s.maxSeqsInBatch = max(s.maxSeqsInBatch, seqs)
	// Threads: llama.cpp runs single-token batches on the generation pool, larger ones on
	// the batch pool; each kind has its controller.
	tokens := b.Len()
	ctl := s.e.genCtl
	if tokens > 1 {
		ctl = s.e.batchCtl
	}
	plan := ctl.Plan(tokens)
	if s.e.stepLimit != nil {
		plan.Limit = s.e.stepLimit(plan)
	}
	if err := s.ctx.SetThreads(s.e.genCtl.Threads(), s.e.batchCtl.Threads()); err != nil {
		s.e.log.Warn("engine: thread pools unchanged", "err", err)
	}
	s.ctx.ClearAbort()
	s.decoding.Store(1)
	// A cancellation between dropCancelled and here set the flag too late to be seen by
	// wake; check once more so a cancelled slot does not hold up the step.
	for _, sl := range s.slots {
		if sl.r != nil && sl.inBatch > 0 && sl.r.cancel.Load() {
			s.ctx.Abort()
		}
	}
	t0 := time.Now()
	err := s.ctx.DecodeWithin(b, plan.Limit)
	took := time.Since(t0)
	s.decoding.Store(0)
	if err == nil || errors.Is(err, llama.ErrDeadline) {
		// A step stopped at its limit (a stall) runs again below; the controller counts the
		// stop and lowers the thread count after a second one.
		stopped := err != nil
		ctl.Observe(plan, tokens, took, stopped)
		if n := ctl.Threads(); n != plan.Threads {
			s.e.log.Debug("engine: threads", "tokens", tokens, "from", plan.Threads, "to", n,
				"step_ms", elapsedMS(took), "limit_ms", elapsedMS(plan.Limit), "stopped", stopped)
		}
	} else if errors.Is(err, llama.ErrAborted) {
		ctl.Cut(plan, tokens, took) // a cancelled request's step counts if it had overrun
	}
	if err != nil {
		// Undo whatever part of the batch reached the cache; slot state did not advance.
		for _, sl := range s.slots {
			if sl.inBatch > 0 {
				s.ctx.MemorySeqRm(sl.id, len(sl.cached), -1)
			}
		}
		if errors.Is(err, llama.ErrAborted) || errors.Is(err, llama.ErrDeadline) {
			return // cancelled slots are dropped next iteration; the rest retry
		}
		s.e.log.Error("engine: decode failed", "err", err)
		for _, sl := range s.slots {
			if sl.inBatch > 0 {
				s.release(sl, inference.StopCancelled, fmt.Errorf("engine: decode: %w", err))
			}
		}
		return
	}
	now := time.Now()
	for _, sl := range s.slots {
		if sl.inBatch == 0 {
			continue
		}
		if sl.hasNext {
			sl.cached = append(sl.cached, sl.next)
			sl.hasNext = false
		} else {
			sl.cached = append(sl.cached, sl.pending[:sl.inBatch]...)
			sl.pending = sl.pending[sl.inBatch:]
		}
		if sl.outIdx < 0 {
			continue
		}
		if sl.tPromptDone.IsZero() {
			sl.tPromptDone = now
		}
		s.sample(sl)
	}
}

// sample draws the slot's next token, streams its text and decides whether to go on.
func (s *scheduler) sample(sl *slot) {
	r := sl.r
	tok, err := r.sampler.Sample(s.ctx, sl.outIdx)
	if err != nil {
		if errors.Is(err, llama.ErrInvalidGrammar) {
			// The grammar turned out too ambiguous to match here (see llama.NewSampler).
			s.release(sl, inference.StopCancelled, grammarError(err))
			return
		}
		s.release(sl, inference.StopCancelled, fmt.Errorf("engine: sample: %w", err))
		return
	}
	sl.sampled++
	sl.tLast = time.Now()
	m := s.e.model
	if m.IsEOG(tok) {
		// The end-of-generation token has no text; it carries whatever was held back.
		if tail := sl.text.flush(); tail != "" {
			r.push(inference.Token{ID: tok, Text: tail})
		}
		s.release(sl, inference.StopEOG, nil)
		return
	}
	sl.generated = append(sl.generated, tok)
	piece, err := m.TokenToPiece(nil, tok, false)
	if err != nil {
		s.release(sl, inference.StopCancelled, fmt.Errorf("engine: %w", err))
		return
	}
	text, stopped := sl.text.push(piece)
	reason := ""
	switch {
	case stopped:
		reason = inference.StopString
	case r.req.MaxTokens > 0 && len(sl.generated) >= r.req.MaxTokens:
		reason = inference.StopLength
	case len(sl.cached)+1 >= s.perSlot:
		reason = inference.StopLength // the slot's context is full
	}
	if reason == inference.StopLength {
		text += sl.text.flush()
	}
	r.push(inference.Token{ID: tok, Text: text})
	if reason != "" {
		s.release(sl, reason, nil)
		return
	}
	sl.next, sl.hasNext = tok, true
}

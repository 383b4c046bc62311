package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/llama"
)

// request is one Generate call as the scheduler sees it. The scheduler publishes tokens into
// an unbounded queue (so a slow consumer never stalls other slots) and the final result; the
// caller's goroutine drains the queue and runs the callback.
type request struct {
	req     inference.Request
	prompt  []int32
	sampler *llama.Sampler

	cancel atomic.Bool // set by the caller: stop as soon as possible

	mu     sync.Mutex
	events []inference.Token
	notify chan struct{} // capacity 1: "events or result changed"
	result *inference.Result
	err    error
	// released is closed when the scheduler no longer touches the request (sampler included).
	released chan struct{}
}

func newRequest(req inference.Request, prompt []int32, s *llama.Sampler) *request {
	return &request{req: req, prompt: prompt, sampler: s, notify: make(chan struct{}, 1), released: make(chan struct{})}
}

func (r *request) signal() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// push queues a streamed token (scheduler side).
func (r *request) push(t inference.Token) {
	r.mu.Lock()
	r.events = append(r.events, t)
	r.mu.Unlock()
	r.signal()
}

// finish publishes the result and releases the request (scheduler side). Call once.
func (r *request) finish(res inference.Result, err error) {
	r.mu.Lock()
	r.result, r.err = &res, err
	r.mu.Unlock()
	close(r.released)
	r.signal()
}

// wait delivers tokens to onToken until the scheduler finishes the request, ctx is cancelled
// or onToken fails (caller side).
func (r *request) wait(ctx context.Context, e *Engine, onToken func(inference.Token) error) (inference.Result, error) {
	var batch []inference.Token
	for {
		r.mu.Lock()
		batch, r.events = r.events, batch[:0]
		res, rerr := r.result, r.err
		r.mu.Unlock()
		for _, t := range batch {
			if ctx.Err() != nil {
				return r.stop(e, inference.StopCancelled, ctx.Err())
			}
			if onToken != nil {
				if err := onToken(t); err != nil {
					return r.stop(e, inference.StopCancelled, err)
				}
			}
		}
		if res != nil {
			return *res, rerr
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			return r.stop(e, inference.StopCancelled, ctx.Err())
		}
	}
}

// stop cancels the request, waits until the scheduler has let go of it and returns its
// partial result with err.
func (r *request) stop(e *Engine, reason string, err error) (inference.Result, error) {
	r.cancel.Store(true)
	e.sched.wake()
	<-r.released
	r.mu.Lock()
	res := *r.result
	r.mu.Unlock()
	res.StopReason = reason
	return res, err
}

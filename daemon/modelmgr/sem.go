package modelmgr

import (
	"container/list"
	"context"
	"sync"
)

// fifoSem is a counting semaphore that grants waiters in arrival order, so a request queued
// first gets the next free slot.
type fifoSem struct {
	mu      sync.Mutex
	n, cap  int
	waiters list.List // of chan struct{}
}

func newFIFOSem(n int) *fifoSem { return &fifoSem{cap: n} }

// acquire waits for a slot or ctx's end.
func (s *fifoSem) acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.n < s.cap && s.waiters.Len() == 0 {
		s.n++
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	el := s.waiters.PushBack(ch)
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-ch:
			// Granted while we gave up: pass the slot on.
			s.mu.Unlock()
			s.release()
		default:
			s.waiters.Remove(el)
			s.mu.Unlock()
		}
		return ctx.Err()
	}
}

// release frees a slot, handing it to the oldest waiter if any.
func (s *fifoSem) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.waiters.Front(); f != nil {
		s.waiters.Remove(f)
		close(f.Value.(chan struct{}))
		return
	}
	s.n--
}

// counts returns slots in use and waiters.
func (s *fifoSem) counts() (running, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.waiters.Len()
}

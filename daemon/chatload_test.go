package daemon_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
)

// chatLoad is a bounded load of short chat requests to the default model, for the swap tests:
// clients goroutines post until stopped, counting the answers by the model that gave them and
// the failures (a non-200 status or a body that is not a chat response).
type chatLoad struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	mu         sync.Mutex
	byModel    map[string]int
	stop       chan struct{}
	wg         sync.WaitGroup
}

// startChatLoad starts clients goroutines, each sending at most perClient requests to h.
func startChatLoad(h *harness, clients, perClient int) *chatLoad {
	l := &chatLoad{byModel: map[string]int{}, stop: make(chan struct{})}
	body := []byte(`{"model":"default","messages":[{"role":"user","content":"swap?"}],"max_tokens":4,"temperature":0}`)
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for range perClient {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := h.hc.Post(h.url("/v1/chat/completions"), "application/json", bytes.NewReader(body))
				if err != nil {
					l.fail(err.Error())
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var r api.ChatResponse
				if resp.StatusCode != 200 {
					l.fail(fmt.Sprintf("%d %s", resp.StatusCode, b))
					continue
				}
				if err := json.Unmarshal(b, &r); err != nil {
					l.fail(fmt.Sprintf("%v in %s", err, b))
					continue
				}
				l.mu.Lock()
				l.byModel[r.Model]++
				l.mu.Unlock()
				l.ok.Add(1)
			}
		}()
	}
	return l
}

func (l *chatLoad) fail(msg string) {
	l.failed.Add(1)
	l.firstErr.CompareAndSwap(nil, msg)
}

// servedSince waits, at most limit, until 8 more requests than from have completed (so each
// model serves some of the load before the next edit), or a request failed.
func (l *chatLoad) servedSince(t *testing.T, what string, from int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for l.ok.Load() < from+8 && l.failed.Load() == 0 {
		if time.Now().After(deadline) {
			t.Errorf("%s: only %d requests completed in %v", what, l.ok.Load()-from, limit)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finish stops the load, waits for the clients and fails t if any request failed; it returns
// the completed requests by answering model.
func (l *chatLoad) finish(t *testing.T) map[string]int {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if n := l.failed.Load(); n != 0 {
		t.Fatalf("%d of %d requests failed across swaps; first: %v", n, n+l.ok.Load(), l.firstErr.Load())
	}
	return l.byModel
}

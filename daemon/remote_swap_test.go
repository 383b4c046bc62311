package daemon_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
)

// remoteSwapModels is a models.toml with a local model (near) and a remote one (far, served
// by the nashd on sock), def being the default.
func remoteSwapModels(def, sock string) string {
	return fmt.Sprintf(`default = %q
[models.near]
path = %q
[models.far]
url = "unix://%s"
served_name = "tiny"
dialect = "nashd"
max_concurrency = 2
`, def, tinyA, sock)
}

// TestRemoteSwapUnderLoad swaps the default model local → remote → local (models.toml
// edits) while a few clients send short chat requests: no request may fail, each swap must
// show in /v1/status, and the front serves requests on both sides of each swap.
func TestRemoteSwapUnderLoad(t *testing.T) {
	backend := startDaemon(t, map[string]string{})
	h := startDaemon(t, map[string]string{"models.toml": remoteSwapModels("near", backend.sock)})
	const clients, perClient = 4, 2000 // bounded in count; stop bounds it in time
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var mu sync.Mutex
	byModel := map[string]int{} // completed requests by the model that answered
	stop := make(chan struct{})
	var wg sync.WaitGroup
	body := []byte(`{"model":"default","messages":[{"role":"user","content":"swap?"}],"max_tokens":4,"temperature":0}`)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < perClient; n++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := h.hc.Post(h.url("/v1/chat/completions"), "application/json", bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, b))
					continue
				}
				var r api.ChatResponse
				if err := json.Unmarshal(b, &r); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%v in %s", err, b))
					continue
				}
				mu.Lock()
				byModel[r.Model]++
				mu.Unlock()
				ok.Add(1)
			}
		}()
	}
	// servedSince waits (bounded) until 8 more requests than from have completed, so each
	// model serves some of the load before the next edit.
	servedSince := func(what string, from int64) {
		deadline := time.Now().Add(reloadDeadline)
		for ok.Load() < from+8 && failed.Load() == 0 {
			if time.Now().After(deadline) {
				t.Errorf("%s: only %d requests completed in %v", what, ok.Load()-from, reloadDeadline)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	models := filepath.Join(h.dir, "models.toml")
	var swapTimes []time.Duration
	servedSince("local model before the swaps", 0)
	for i, def := range []string{"far", "near"} {
		t0 := time.Now()
		writeFile(t, models, remoteSwapModels(def, backend.sock))
		h.waitFor(fmt.Sprintf("swap %d (to %s)", i+1, def), reloadDeadline, func(s api.StatusResponse) bool {
			sv := s.Model.Serving
			return sv != nil && sv.Name == def && (sv.Remote != nil) == (def == "far") && s.Model.Swaps == uint64(i+1)
		})
		swapTimes = append(swapTimes, time.Since(t0))
		servedSince("after swap to "+def, ok.Load())
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed across swaps; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	if byModel["near"] == 0 || byModel["far"] == 0 {
		t.Errorf("requests by answering model %v: want both near and far", byModel)
	}
	st := h.status()
	if len(st.Model.Draining) != 0 {
		t.Errorf("old model still draining after the load stopped: %v", st.Model.Draining)
	}
	t.Logf("%d requests (by model %v), 0 failed; models.toml edit → new default serving: %v", ok.Load(), byModel, swapTimes)
}

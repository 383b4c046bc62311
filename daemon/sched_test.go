package daemon_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/inference"
)

// TestQueueFull: with one slot and no queue, a second request while one generates gets 503
// with Retry-After; the first completes.
func TestQueueFull(t *testing.T) {
	h := startDaemon(t, map[string]string{"nashd.toml": strings.NewReplacer("slots = 2", "slots = 1", "queue_size = 32", "queue_size = 0", "context_size = 256", "context_size = 2048").Replace(testNashd)})
	resp, err := h.hc.Post(h.url("/v1/chat/completions"), "application/json", strings.NewReader(
		`{"messages":[{"role":"user","content":"go"}],"stream":true,"max_tokens":1900,"grammar":"root ::= [a-z]{1900,}"}`)) // no early end of generation
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "data: {") {
		t.Fatalf("first event %q %v", l, err)
	}
	code, hdr, b := h.do("POST", "/v1/chat/completions", h.chatBody(""))
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(string(b), "queue_full") {
		t.Fatalf("second request: %d %q %s", code, hdr.Get("Retry-After"), b)
	}
	var last string
	for {
		l, err := br.ReadString('\n')
		if strings.HasPrefix(l, "data: ") {
			last = strings.TrimSpace(l)
		}
		if err != nil {
			break
		}
	}
	if last != "data: [DONE]" {
		t.Fatalf("first request ended with %q", last)
	}
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Fatalf("after the burst: %d %s", code, b)
	}
}

func TestRequestTimeout(t *testing.T) {
	h := startDaemon(t, map[string]string{"nashd.toml": strings.Replace(testNashd, `request_timeout = "60s"`, `request_timeout = "1ms"`, 1)})
	code, _, b := h.do("POST", "/v1/chat/completions", []byte(`{"messages":[{"role":"user","content":"go"}],"max_tokens":200}`))
	if code != http.StatusGatewayTimeout || !strings.Contains(string(b), "timed out") {
		t.Fatalf("%d %s", code, b)
	}
	h.waitFor("slot freed", 10*time.Second, func(s api.StatusResponse) bool { return s.Model.InFlight == 0 })
}

// TestLoading: while the first model loads, /health and chat answer 503 with Retry-After
// and /v1/status shows the load; then everything serves. The loader is the real engine
// behind a gate.
func TestLoading(t *testing.T) {
	gate := make(chan struct{})
	h := startDaemonNoWait(t, map[string]string{}, func(o *daemon.RunOptions) {
		o.Load = func(s config.Spec, p func(float32)) (inference.Generator, error) {
			<-gate
			return modelload.Load(s, p)
		}
	})
	h.waitFor("loading state", 10*time.Second, func(s api.StatusResponse) bool { return s.Model.State == "loading" && s.Model.Loading != nil })
	code, hdr, b := h.do("GET", "/health", nil)
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(string(b), "loading") {
		t.Errorf("/health while loading: %d %s", code, b)
	}
	code, hdr, b = h.do("POST", "/v1/chat/completions", h.chatBody(""))
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(string(b), "model_loading") {
		t.Errorf("chat while loading: %d %s", code, b)
	}
	close(gate)
	h.waitReady()
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Fatalf("after loading: %d %s", code, b)
	}
}

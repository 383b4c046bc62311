package daemon_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference/engine"
)

// TestThreadsStatus: /v1/status and /metrics show the serving model's thread counts; a
// reload that changes threads and poll loads an engine with the new settings.
func TestThreadsStatus(t *testing.T) {
	h := startDaemon(t, map[string]string{}) // threads = 1
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Fatalf("chat: %d %s", code, b)
	}
	th := h.status().Model.Serving.Threads
	if th == nil {
		t.Fatal("/v1/status: serving model without threads")
	}
	for kind, c := range map[string]api.ThreadCount{"generation": th.Generation, "batch": th.Batch} {
		if c.Threads != 1 || c.Min != 1 || c.Max != 1 || c.Adaptive {
			t.Errorf("threads = 1: %s %+v, want exactly 1 thread", kind, c)
		}
	}
	if th.Generation.Steps == 0 || th.Batch.Steps == 0 || th.Poll != 0 {
		t.Errorf("after a request: %+v, want steps of both kinds, poll 0", *th)
	}
	_, _, m := h.do("GET", "/metrics", nil)
	for _, want := range []string{
		`nashd_threads{kind="generation"} 1`, `nashd_threads{kind="batch"} 1`,
		`nashd_thread_stalls_total{kind="generation"}`, `nashd_thread_steps_stopped_total{kind="batch"}`,
		`nashd_thread_changes_total{direction="down",kind="batch"} 0`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grep(string(m), "thread"))
		}
	}

	// Reload with the adaptive default and another polling level.
	writeFile(t, filepath.Join(h.dir, "nashd.toml"), strings.Replace(testNashd, "threads = 1", "threads = \"auto\"\npoll = 20", 1))
	h.waitFor("engine with adaptive threads", 30*time.Second, func(s api.StatusResponse) bool {
		m := s.Model.Serving
		return m != nil && m.Threads != nil && m.Threads.Poll == 20 && len(s.Model.Draining) == 0
	})
	th = h.status().Model.Serving.Threads
	cores := engine.PhysicalCores()
	if b := th.Batch; b.Min != 1 || b.Max != cores || b.Adaptive != (cores > 1) {
		t.Errorf("threads = \"auto\": batch %+v, want 1 to %d threads", b, cores)
	}
	if g := th.Generation; g.Max != 1 { // the tiny model is small: one thread generates
		t.Errorf("threads = \"auto\": generation %+v, want 1 thread (small model)", g)
	}
}

package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/gamesolver"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/models"
)

// Generated once per test binary: two tiny random-weight models (different seeds) so a
// swap really changes the weights.
var tinyA, tinyB string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nashd-daemon-test")
	if err != nil {
		panic(err)
	}
	// A daemon whose nashd.toml sets no reasoning.state_dir keeps its learned lengths here,
	// not in the user's ~/.local/state.
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	tinyA = filepath.Join(dir, "tiny-a.gguf")
	tinyB = filepath.Join(dir, "tiny-b.gguf")
	for i, p := range []string{tinyA, tinyB} {
		spec, err := models.ShapeSpec("tiny")
		if err != nil {
			panic(err)
		}
		spec.Seed = uint64(i + 1)
		if err := models.Generate(p, spec); err != nil {
			panic(err)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testNashd = `
[server]
request_timeout = "60s"
shutdown_timeout = "20s"
max_body_bytes = 65536
[inference]
threads = 1
context_size = 256
slots = 2
queue_size = 32
[log]
level = "warn"
`

func modelsTOML(path string) string {
	return fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n", path)
}

// harness is a daemon running in-process (daemon.Run, as cmd/nashd does) on a Unix socket.
type harness struct {
	t      *testing.T
	dir    string
	sock   string
	cancel context.CancelFunc
	done   chan error
	hc     *http.Client
	logs   *syncWriter
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shortTemp returns a short directory for sockets (sun_path is limited to 107 bytes).
func shortTemp(t *testing.T) string {
	d, err := os.MkdirTemp("", "nd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func startDaemon(t *testing.T, files map[string]string, mutate ...func(*daemon.RunOptions)) *harness {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["nashd.toml"]; !ok {
		files["nashd.toml"] = testNashd
	}
	if _, ok := files["models.toml"]; !ok {
		files["models.toml"] = modelsTOML(tinyA)
	}
	for name, c := range files {
		writeFile(t, filepath.Join(dir, name), c)
	}
	return startDaemonIn(t, dir, mutate...)
}

// startDaemonIn runs the daemon on an existing config directory and waits for its model.
func startDaemonIn(t *testing.T, dir string, mutate ...func(*daemon.RunOptions)) *harness {
	t.Helper()
	h := startIn(t, dir, mutate...)
	h.waitReady()
	return h
}

// startDaemonNoWait is startDaemon without waiting for the model.
func startDaemonNoWait(t *testing.T, files map[string]string, mutate ...func(*daemon.RunOptions)) *harness {
	t.Helper()
	dir := t.TempDir()
	files["nashd.toml"] = testNashd
	files["models.toml"] = modelsTOML(tinyA)
	for name, c := range files {
		writeFile(t, filepath.Join(dir, name), c)
	}
	return startIn(t, dir, mutate...)
}

func startIn(t *testing.T, dir string, mutate ...func(*daemon.RunOptions)) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, sock: filepath.Join(shortTemp(t), "s.sock"), done: make(chan error, 1), logs: &syncWriter{w: &bytes.Buffer{}}}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	ready := make(chan string, 1)
	// The model wiring is cmd/nashd's.
	opts := daemon.RunOptions{ConfigDir: dir, Socket: h.sock, LogOutput: h.logs,
		Load: modelload.Load, Estimate: modelload.Estimate, Fallback: modelload.FallbackModel, Inspect: modelload.Inspect,
		Games: gamesolver.Backend{}, Version: "test", Ready: func(s string) { ready <- s }}
	for _, f := range mutate {
		f(&opts)
	}
	go func() { h.done <- daemon.Run(ctx, opts) }()
	select {
	case <-ready:
	case err := <-h.done:
		t.Fatalf("daemon.Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not start")
	}
	h.hc = unixClient(h.sock)
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("daemon.Run returned %v", err)
		}
	case <-time.After(60 * time.Second):
		h.t.Error("daemon did not stop")
	}
	h.done <- nil // make stop idempotent
}

// syncWriter is a goroutine-safe log buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func unixClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 32,
	}}
}

// with returns a copy of h that reports to t (for subtests).
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

func (h *harness) url(p string) string { return "http://nashd" + p }

// do sends a request and returns status, headers and body.
func (h *harness) do(method, path string, body []byte) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url(path), bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (h *harness) status() api.StatusResponse {
	h.t.Helper()
	code, _, b := h.do("GET", "/v1/status", nil)
	if code != 200 {
		h.t.Fatalf("/v1/status: %d %s", code, b)
	}
	var st api.StatusResponse
	if err := json.Unmarshal(b, &st); err != nil {
		h.t.Fatalf("/v1/status: %v", err)
	}
	return st
}

// waitFor polls cond every 10 ms up to limit and returns how long it took.
func (h *harness) waitFor(what string, limit time.Duration, cond func(api.StatusResponse) bool) time.Duration {
	h.t.Helper()
	t0 := time.Now()
	for {
		if cond(h.status()) {
			return time.Since(t0)
		}
		if time.Since(t0) > limit {
			h.t.Fatalf("%s: not seen within %v; status: %+v", what, limit, h.status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) waitReady() {
	h.t.Helper()
	h.waitFor("model ready", 60*time.Second, func(s api.StatusResponse) bool { return s.Model.State == "ready" || s.Model.State == "none" })
}

func (h *harness) chatBody(extra string) []byte {
	return []byte(`{"model":"tiny","messages":[{"role":"user","content":"Prisoner's dilemma: cooperate or defect?"}],"max_tokens":8,"temperature":0` + extra + `}`)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

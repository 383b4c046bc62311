package client

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/reasoning/pricing"
)

// TestDependencies keeps the client a light library: it must not link the server, its model
// manager, config or metrics, nor llama.cpp.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/nashd/nashd/daemon",
		"github.com/nashd/nashd/daemon/modelmgr",
		"github.com/nashd/nashd/daemon/config",
		"github.com/nashd/nashd/inference/llama",
		"github.com/nashd/nashd/inference/engine",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed %d packages: %s", len(deps), out)
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f {
				t.Errorf("package client depends on %s", d)
			}
		}
		if strings.Contains(d, "prometheus") {
			t.Errorf("package client depends on %s", d)
		}
	}
}

// serve runs h on a Unix socket and returns a client for it.
func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "nc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return New(sock)
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		want       Error
		text       string
	}{
		{"OpenAI error", 404, "", `{"error":{"message":"unknown game \"x\"","type":"invalid_request_error","param":"game","code":"game_not_found"}}`,
			Error{Status: 404, API: api.APIError{Status: 404, Message: `unknown game "x"`, Type: "invalid_request_error", Param: "game", Code: "game_not_found"}},
			`unknown game "x" (HTTP 404, game)`},
		{"param in the message", 400, "", `{"error":{"message":"top_p: 2 outside [0, 1]","type":"invalid_request_error","param":"top_p"}}`,
			Error{Status: 400, API: api.APIError{Status: 400, Message: "top_p: 2 outside [0, 1]", Type: "invalid_request_error", Param: "top_p"}},
			"top_p: 2 outside [0, 1] (HTTP 400)"},
		{"retry after", 503, "2", `{"error":{"message":"busy","type":"unavailable","code":"queue_full"}}`,
			Error{Status: 503, RetryAfter: 2 * time.Second, API: api.APIError{Status: 503, Message: "busy", Type: "unavailable", Code: "queue_full", RetryAfter: 2}},
			"busy (HTTP 503)"},
		{"not JSON", 502, "", "bad gateway\n", Error{Status: 502, API: api.APIError{Status: 502, Message: "bad gateway"}}, "bad gateway (HTTP 502)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			_, err := c.Status(context.Background())
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Status() error %v, want an *Error", err)
			}
			got := *ce
			if got.Body != tt.body {
				t.Errorf("error body %q, want %q", got.Body, tt.body)
			}
			got.Body = ""
			if got != tt.want {
				t.Errorf("error = %+v, want %+v", got, tt.want)
			}
			if ce.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", ce.Error(), tt.text)
			}
		})
	}
	_, err := New(filepath.Join(t.TempDir(), "none.sock")).Status(context.Background())
	if !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), "NASHD_SOCKET") {
		t.Errorf("no daemon: %v", err)
	}
}

func TestRetryBusy(t *testing.T) {
	var calls, statusCalls atomic.Int32
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/status" {
			n := statusCalls.Add(1)
			state := `"loading","loading":{"name":"m","path":"p","progress":0.5}`
			if n > 1 {
				state = `"ready"`
			}
			w.Write([]byte(`{"model":{"state":` + state + `}}`))
			return
		}
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"message":"loading","type":"unavailable","code":"model_loading"}}`))
		case 2:
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"message":"full","type":"unavailable","code":"queue_full"}}`))
		case 3:
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"message":"shutting down","type":"unavailable","code":"shutting_down"}}`))
		}
	})
	var progress bytes.Buffer
	err := c.RetryBusy(context.Background(), &progress, func() error {
		_, err := c.Models(context.Background())
		return err
	})
	var ce *Error
	if !errors.As(err, &ce) || ce.API.Code != "shutting_down" || calls.Load() != 3 {
		t.Errorf("RetryBusy = %v after %d calls, want the shutting_down error after 3", err, calls.Load())
	}
	if !strings.Contains(progress.String(), "loading m [###############---------------]  50%") {
		t.Errorf("progress %q", progress.String())
	}
}

func TestWriteStatus(t *testing.T) {
	st := &api.StatusResponse{Version: "v1", PID: 42, Uptime: 61,
		Model: api.ModelStatus{State: "ready", Serving: &api.ServingModel{Name: "tiny", TestModel: true, Warning: "random weights",
			Threads: &api.ThreadsStatus{Generation: api.ThreadCount{Threads: 1, Min: 1, Max: 4, Adaptive: true, Stalls: 3, StepsDown: 2, StepsUp: 1},
				Batch: api.ThreadCount{Threads: 2, Min: 2, Max: 2}, Poll: 5}},
			Loading: &api.LoadingModel{Name: "big", Progress: 0.25}, Slots: 2, QueueSize: 8, Running: 1},
		Config: api.ConfigStatus{Dir: "/c", Generation: 3, Files: map[string]api.FileVersion{"nashd.toml": {Version: "abc"}, "games/pd.toml": {Version: "def"}},
			Errors: map[string]string{"models.toml": "models.toml:1: bad"}},
		Pricing: "p1", Games: []string{"pd"},
		Reasoning: &api.ReasoningStatus{Mode: "none", Rule: "welfare", Policy: "override", AnalyzeBy: "model", Game: "gtalign.toml@g1",
			Strategies: []string{"DA", "CQ"}, Learned: map[string]pricing.LengthStat{"DA": {Mean: 12.25, N: 4}}, LengthsFile: "/st/l.json"}}
	var b bytes.Buffer
	if err := WriteStatus(&b, st, "/s.sock"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nashd v1 (pid 42, up 1m1s) on /s.sock\n", "WARNING: random weights", "loading: big [#####---------------]  25%",
		"queue:   1 running, 0 queued (slots 2, queue 8)", "         games/pd.toml def\n         nashd.toml    abc\n",
		"reload error (old config kept): models.toml:1: bad", "games:   [pd]",
		"reasoning: chat mode none; rule welfare, policy override, analyze_by model; game gtalign.toml@g1\n",
		"learned lengths: DA 12.2 tokens (n 4), CQ no data  [/st/l.json]\n",
		"threads: generation 1 (auto 1-4, 3 stalls, 2 down, 1 up), prompt 2 (0 stalls), poll 5\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := WriteModels(&b, []api.ModelEntry{{ID: "a", Default: true, State: "serving", Path: "/m/a.gguf", TestModel: true}, {ID: "b", State: "failed", Error: "truncated"}}); err != nil {
		t.Fatal(err)
	}
	want := "NAME  DEFAULT  STATE    PATH       NOTE\na     *        serving  /m/a.gguf  built-in test model (random weights)\nb              failed              truncated\n"
	if b.String() != want {
		t.Errorf("WriteModels =\n%s\nwant\n%s", b.String(), want)
	}
}

// TestWaitReadyStartingDaemon: `nashd &` then `nash status --wait` — the socket appears a
// moment after the client starts waiting, and WaitReady waits for it instead of failing; a
// socket that never appears still fails with ErrNoDaemon once the grace period is over.
func TestWaitReadyStartingDaemon(t *testing.T) {
	dir, err := os.MkdirTemp("", "nc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	listening := make(chan *http.Server, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		l, err := net.Listen("unix", sock)
		if err != nil {
			listening <- nil
			return
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"model": {"state": "ready"}}`))
		})}
		go srv.Serve(l)
		listening <- srv
	}()
	st, err := New(sock).WaitReady(context.Background(), nil)
	if srv := <-listening; srv != nil {
		defer srv.Close()
	}
	if err != nil || st.Model.State != "ready" {
		t.Fatalf("WaitReady on a starting daemon = %+v, %v", st, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := New(filepath.Join(dir, "none.sock")).WaitReady(ctx, nil); err == nil {
		t.Fatal("WaitReady on no daemon returned no error")
	}
}

package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
)

var update = flag.Bool("update", false, "rewrite the golden request bodies in testdata/")

// fakeServer is an OpenAI-compatible test server in one dialect: it records request
// bodies and answers completions with a scripted stream.
type fakeServer struct {
	t       *testing.T
	dialect string
	key     string
	mu      sync.Mutex
	bodies  map[string][]byte // path → last body
	auths   []string
	// status, when set, answers every completions request with it (Retry-After: 0) for the
	// first failN requests.
	status int
	failN  atomic.Int32
	// cut ends the stream after the first token, without the final event.
	cut bool
}

func (f *fakeServer) handler() http.Handler {
	mux := http.NewServeMux()
	record := func(r *http.Request) []byte {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies[r.URL.Path] = b
		f.auths = append(f.auths, r.Header.Get("Authorization"))
		f.mu.Unlock()
		return b
	}
	authOK := func(w http.ResponseWriter, r *http.Request) bool {
		if f.key != "" && r.Header.Get("Authorization") != "Bearer "+f.key {
			w.WriteHeader(http.StatusUnauthorized)
			// A careless server echoes the header it refused.
			fmt.Fprintf(w, `{"error":{"message":"invalid key %q","type":"authentication_error"}}`, r.Header.Get("Authorization"))
			return false
		}
		return true
	}
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if !authOK(w, r) {
			return
		}
		fmt.Fprint(w, `{"object":"list","data":[{"id":"big","max_model_len":4096,"meta":{"n_vocab":32000}}]}`)
	})
	mux.HandleFunc("GET /props", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		fmt.Fprint(w, `{"chat_template":"{{ messages }}","default_generation_settings":{"n_ctx":2048},"total_slots":4}`)
	})
	mux.HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		fmt.Fprint(w, `{"tokens":[5,6,7]}`)
	})
	mux.HandleFunc("POST /apply-template", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		fmt.Fprint(w, `{"prompt":"<user>hi<assistant>"}`)
	})
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if !authOK(w, r) {
			return
		}
		if f.status != 0 && f.failN.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(f.status)
			fmt.Fprint(w, `{"error":{"message":"busy","type":"unavailable"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		ids := f.dialect == LlamaServer || f.dialect == Nashd
		for i, piece := range []string{"yes", "."} {
			c := map[string]any{"object": "text_completion", "choices": []any{map[string]any{"text": piece, "index": 0, "finish_reason": nil}}}
			if ids {
				c["tokens"] = []int{100 + i}
			}
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
			if f.cut {
				return
			}
		}
		fmt.Fprint(w, `data: {"choices":[{"text":"","index":0,"finish_reason":"stop"}],"timings":{"cache_n":3,"prompt_n":2,"predicted_n":2}}`+"\n\n")
		fmt.Fprint(w, `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`+"\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	return mux
}

func newFake(t *testing.T, dialect string) (*fakeServer, *httptest.Server) {
	f := &fakeServer{t: t, dialect: dialect, bodies: map[string][]byte{}}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	return f, srv
}

func open(t *testing.T, srv *httptest.Server, opts Options) *Generator {
	t.Helper()
	opts.URL = srv.URL + "/v1"
	if opts.Model == "" {
		opts.Model = "big"
	}
	g, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// goldenRequest is the request each dialect's golden body encodes: a token-id prompt
// continuing an earlier generation, a grammar, sampling and stop strings.
var goldenRequest = inference.Request{Prompt: "Pick one:", Tokens: []int32{1, 15, 27, 99}, MaxTokens: 32, Stop: []string{"\n\n"},
	Grammar: `root ::= "yes" | "no"`, Sampling: inference.Sampling{Temperature: 0.7, TopK: 40, TopP: 0.9, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: 64, Seed: 42}}

// TestDialectGolden: each dialect's request body is the golden one, and its streamed answer
// is read into the result. (No real llama-server or vLLM was run: the bodies follow their
// documented APIs — llama-server's grammar/cache_prompt, vLLM ≥ 0.10.2's structured_outputs.)
func TestDialectGolden(t *testing.T) {
	for _, d := range []string{LlamaServer, VLLM, Nashd, OpenAI} {
		t.Run(d, func(t *testing.T) {
			f, srv := newFake(t, d)
			g := open(t, srv, Options{Dialect: d, ChatTemplate: "chatml"})
			req := goldenRequest
			if d == OpenAI {
				req.Tokens = nil // text only
			}
			var streamed []inference.Token
			res, err := g.Generate(context.Background(), req, func(tk inference.Token) error { streamed = append(streamed, tk); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != "yes." || res.StopReason != inference.StopEOG || res.PromptTokens != 5 || len(streamed) != 2 {
				t.Errorf("result %+v, %d events: want text \"yes.\", stop, 5 prompt tokens, 2 events", res, len(streamed))
			}
			if ids := d == LlamaServer || d == Nashd; ids != (len(res.Tokens) == 2 && res.Tokens[0] == 100) {
				t.Errorf("tokens %v (dialect streams ids: %v)", res.Tokens, ids)
			}
			if d != OpenAI && res.Timings.CacheN != 3 {
				t.Errorf("timings %+v: want the server's cache_n 3", res.Timings)
			}
			if g.Info().NoGrammar != (d == OpenAI) {
				t.Errorf("Info().NoGrammar = %v: only the openai dialect sends no grammar", g.Info().NoGrammar)
			}
			checkGolden(t, filepath.Join("testdata", d+".json"), f.bodies["/v1/completions"])
		})
	}
}

func checkGolden(t *testing.T, path string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("request body %q: %v", body, err)
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("request body differs from %s:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestFaults: each server fault gives its sentinel, and the key appears in no error or log
// line, even when the server echoes it.
func TestFaults(t *testing.T) {
	const key = "sk-test-9f8e7d6c5b4a"
	t.Setenv("NASHD_REMOTE_TEST_KEY", key)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	req := inference.Request{Prompt: "x", MaxTokens: 4}
	var errs []error

	// 401: the server wants another key.
	f, srv := newFake(t, Nashd)
	f.key = "other"
	_, err := Open(context.Background(), Options{URL: srv.URL + "/v1", Model: "big", Dialect: Nashd, APIKeyEnv: "NASHD_REMOTE_TEST_KEY", Logger: log})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong key: err = %v, want ErrUnauthorized", err)
	}
	errs = append(errs, err)

	// The right key is sent as a bearer token.
	f, srv = newFake(t, Nashd)
	f.key = key
	var retries atomic.Int32
	g := open(t, srv, Options{Dialect: Nashd, APIKeyEnv: "NASHD_REMOTE_TEST_KEY", Logger: log, MaxRetries: 2, OnRetry: func(int) { retries.Add(1) }})
	if _, err := g.Generate(context.Background(), req, nil); err != nil {
		t.Fatalf("with the key: %v", err)
	}

	// 429 twice, then served: a bounded retry succeeds.
	f.status = http.StatusTooManyRequests
	f.failN.Store(2)
	if _, err := g.Generate(context.Background(), req, nil); err != nil || retries.Load() != 2 {
		t.Errorf("429 twice: err %v after %d retries, want success after 2", err, retries.Load())
	}
	// 503 more times than the retries allow: ErrBusy.
	f.status = http.StatusServiceUnavailable
	f.failN.Store(10)
	_, err = g.Generate(context.Background(), req, nil)
	if !errors.Is(err, ErrBusy) {
		t.Errorf("503 forever: err = %v, want ErrBusy", err)
	}
	errs = append(errs, err)
	f.status = 0

	// A stream cut after the first token.
	f.cut = true
	res, err := g.Generate(context.Background(), req, nil)
	if !errors.Is(err, ErrStreamCut) || res.Text != "yes" {
		t.Errorf("cut stream: %q, err = %v; want the first token and ErrStreamCut", res.Text, err)
	}
	errs = append(errs, err)
	// Counted for /metrics: 2 retried 429s + 2 retried 503s; faults: busy past the retries
	// and the cut stream.
	if st := g.Status(); !st.Reachable || !strings.Contains(st.LastError, "stream cut") || st.Retries != 4 || st.Faults != 2 {
		t.Errorf("Status after a cut stream = %+v (want 4 retries, 2 faults)", st)
	}
	f.cut = false

	// Unreachable: the server is gone.
	srv.Close()
	_, err = g.Generate(context.Background(), req, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("server gone: err = %v, want ErrUnreachable", err)
	}
	errs = append(errs, err)
	if st := g.Status(); st.Reachable {
		t.Errorf("Status after the server left = %+v, want unreachable", st)
	}

	for _, e := range errs {
		if e != nil && strings.Contains(e.Error(), key) {
			t.Errorf("error shows the key: %v", e)
		}
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("log shows the key:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry was logged:\n%s", logs.String())
	}
}

// TestOpenErrors: a missing key variable, an unknown model, a non-built-in template.
func TestOpenErrors(t *testing.T) {
	_, srv := newFake(t, VLLM)
	for name, tt := range map[string]struct {
		opts Options
		want string
	}{
		"key unset":        {Options{Model: "big", APIKeyEnv: "NASHD_REMOTE_TEST_UNSET"}, "NASHD_REMOTE_TEST_UNSET is not set"},
		"unknown model":    {Options{Model: "small", Dialect: VLLM}, `does not serve model "small"`},
		"jinja template":   {Options{Model: "big", ChatTemplate: "{{ x }}"}, "built-in format"},
		"unknown dialect":  {Options{Model: "big", Dialect: "tgi"}, "dialect"},
		"unreachable unix": {Options{URL: "unix:///nonexistent/x.sock", Model: "big"}, "unreachable"},
	} {
		opts := tt.opts
		if opts.URL == "" {
			opts.URL = srv.URL + "/v1"
		}
		opts.Timeout = 2 * time.Second
		if _, err := Open(context.Background(), opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tt.want)
		}
	}
}

// TestChatAndTokenize: the server's template and tokenizer where the dialect has them, the
// built-in formats and the openai estimate elsewhere.
func TestChatAndTokenize(t *testing.T) {
	msgs := []inference.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "hi"}}
	f, srv := newFake(t, LlamaServer)
	g := open(t, srv, Options{Dialect: LlamaServer})
	if p, err := g.ChatPrompt(msgs); err != nil || p != "<user>hi<assistant>" {
		t.Errorf("llama-server ChatPrompt = %q, %v", p, err)
	}
	if toks, err := g.Tokenize("abc", true); err != nil || len(toks) != 3 || !strings.Contains(string(f.bodies["/tokenize"]), `"add_special":true`) {
		t.Errorf("llama-server Tokenize = %v, %v (body %s)", toks, err, f.bodies["/tokenize"])
	}
	if g.Info().ChatTemplate != "{{ messages }}" || g.Info().ContextSize != 2048 || g.Info().VocabSize != 32000 {
		t.Errorf("Info() = %+v: want the server's template, n_ctx and n_vocab", g.Info())
	}
	// A text prompt without BOS goes to llama-server as ids.
	if _, err := g.Generate(context.Background(), inference.Request{Prompt: "abc", MaxTokens: 2}, nil); err != nil || !strings.Contains(string(f.bodies["/v1/completions"]), `"prompt":[5,6,7]`) {
		t.Errorf("llama-server prompt without BOS: %v, body %s", err, f.bodies["/v1/completions"])
	}

	_, srv = newFake(t, OpenAI)
	g = open(t, srv, Options{Dialect: OpenAI})
	if _, err := g.ChatPrompt(msgs); !errors.Is(err, inference.ErrInvalidRequest) || !strings.Contains(err.Error(), "chatml") {
		t.Errorf("openai ChatPrompt without a template: err = %v", err)
	}
	if toks, err := g.Tokenize("123456789", false); err != nil || len(toks) != 3 {
		t.Errorf("openai Tokenize estimate = %v, %v; want 3 pseudo-tokens", toks, err)
	}
	g = open(t, srv, Options{Dialect: OpenAI, ChatTemplate: "chatml"})
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
	if p, err := g.ChatPrompt(msgs); err != nil || p != want {
		t.Errorf("chatml ChatPrompt = %q, %v; want %q", p, err, want)
	}
	g.Close()
	if _, err := g.Generate(context.Background(), inference.Request{Prompt: "x"}, nil); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("Generate after Close: %v", err)
	}
}

// TestMaxConcurrency: no more than MaxConcurrency requests reach the server at once.
func TestMaxConcurrency(t *testing.T) {
	var cur, peak atomic.Int32
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[{"id":"big"}]}`)
	})
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		cur.Add(-1)
		fmt.Fprint(w, "data: {\"choices\":[{\"text\":\"a\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	g := open(t, srv, Options{Dialect: OpenAI, MaxConcurrency: 2})
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := g.Generate(context.Background(), inference.Request{Prompt: "x"}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if peak.Load() != 2 {
		t.Errorf("peak concurrency %d, want 2", peak.Load())
	}
}

// TestTimeout: a call the server does not finish within Options.Timeout fails with
// ErrTimeout (a server error, counted as a fault); the caller's own cancellation is not the
// server's fault and returns the context's error.
func TestTimeout(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[{"id":"big"}]}`)
	})
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"text\":\"a\",\"finish_reason\":null}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // hangs mid-stream until the client gives up
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	g := open(t, srv, Options{Dialect: OpenAI, Timeout: 200 * time.Millisecond})
	req := inference.Request{Prompt: "x", MaxTokens: 4}
	res, err := g.Generate(context.Background(), req, nil)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrServer) || res.Text != "a" || !strings.Contains(err.Error(), "200ms") {
		t.Errorf("hung server: %q, err = %v; want the first token and ErrTimeout naming 200ms", res.Text, err)
	}
	if st := g.Status(); st.Faults != 1 || !strings.Contains(st.LastError, "timeout") {
		t.Errorf("Status after the timeout = %+v: want 1 fault", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.Generate(ctx, req, nil); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrServer) {
		t.Errorf("caller's deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if st := g.Status(); st.Faults != 1 {
		t.Errorf("Status after the caller's deadline = %+v: want still 1 fault", st)
	}
}

// TestRetryAfter: Retry-After in seconds or as an HTTP date, capped; anything else waits the
// default.
func TestRetryAfter(t *testing.T) {
	limit := 10 * time.Second
	for _, tt := range []struct {
		h        string
		min, max time.Duration
	}{
		{"", defaultRetryWait, defaultRetryWait},
		{"soon", defaultRetryWait, defaultRetryWait},
		{"-3", defaultRetryWait, defaultRetryWait},
		{"0", 0, 0},
		{" 2 ", 2 * time.Second, 2 * time.Second},
		{"3600", limit, limit},
		{time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat), 3 * time.Second, 5 * time.Second},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, 0},
		{time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), limit, limit},
	} {
		if d := retryAfter(tt.h, limit); d < tt.min || d > tt.max {
			t.Errorf("Retry-After %q: wait %v, want %v to %v", tt.h, d, tt.min, tt.max)
		}
	}
}

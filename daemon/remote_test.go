package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/inferencetest"
	"github.com/nashd/nashd/inference/remote"
)

// TestRemoteConformance: a generator backed by another nashd (real HTTP over its Unix
// socket, real engine, tiny model) passes the conformance suite unchanged.
func TestRemoteConformance(t *testing.T) {
	backend := startDaemon(t, map[string]string{})
	inferencetest.Run(t, func(t *testing.T) inference.Generator {
		g, err := remote.Open(context.Background(), remote.Options{URL: "unix://" + backend.sock, Model: "tiny", Dialect: remote.Nashd, MaxConcurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		return g
	})
}

// cutProxy forwards a Unix socket to another; armed, it cuts every connection after
// forwarding a few streamed events of a response.
type cutProxy struct {
	l     net.Listener
	armed atomic.Bool
	cuts  atomic.Int32
}

func newCutProxy(t *testing.T, target string) (*cutProxy, string) {
	sock := filepath.Join(shortTemp(t), "p.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p, sock
}

func (p *cutProxy) serve(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("unix", target)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(up, c)
	buf := make([]byte, 256) // small reads, so a cut lands mid-stream
	events := 0
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if p.armed.Load() {
				events += strings.Count(string(buf[:n]), "data: ")
				if events >= 3 {
					p.cuts.Add(1)
					return // both connections close: the stream is cut
				}
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestRemoteDaemon: a nashd whose model lives on another nashd (through a proxy that can cut
// streams) serves chat, /v1/completions with the remote's prefix reuse and GTAlign; shows
// the remote in /v1/models and /v1/status; survives the remote cutting a stream; and never
// shows the API key.
func TestRemoteDaemon(t *testing.T) {
	const key = "sk-nashd-remote-test-5e4d3c2b1a"
	t.Setenv("NASHD_TEST_REMOTE_KEY", key)
	backend := startDaemon(t, map[string]string{"nashd.toml": engineNashd})
	proxy, psock := newCutProxy(t, backend.sock)
	front := startDaemon(t, map[string]string{"gtalign.toml": smallLimitsGame(t), "models.toml": fmt.Sprintf(`default = "far"
[models.far]
url = "unix://%s"
served_name = "tiny"
dialect = "nashd"
api_key_env = "NASHD_TEST_REMOTE_KEY"
max_concurrency = 2
[models.near]
path = %q
`, psock, tinyA)})
	var texts []string // every body and error the test saw, checked for the key at the end

	t.Run("Chat", func(t *testing.T) {
		h := front.with(t)
		code, _, b := h.do("POST", "/v1/chat/completions", []byte(strings.Replace(string(h.chatBody("")), `"tiny"`, `"far"`, 1)))
		texts = append(texts, string(b))
		if code != 200 {
			t.Fatalf("chat through the remote: %d %s", code, b)
		}
		var resp api.ChatResponse
		if err := json.Unmarshal(b, &resp); err != nil || resp.Model != "far" || resp.Usage.CompletionTokens == 0 {
			t.Errorf("chat response %s (%v)", b, err)
		}
	})

	t.Run("PrefixReuse", func(t *testing.T) {
		h := front.with(t)
		prefix := strings.Repeat("The row player compares payoffs. ", 4)
		var cacheN []int
		for _, p := range []string{prefix + "First", prefix + "Second"} {
			body, _ := json.Marshal(map[string]any{"model": "far", "prompt": p, "max_tokens": 4, "temperature": 0})
			code, _, b := h.do("POST", "/v1/completions", body)
			texts = append(texts, string(b))
			var resp api.CompletionResponse
			if code != 200 || json.Unmarshal(b, &resp) != nil || resp.Timings == nil {
				t.Fatalf("completion: %d %s", code, b)
			}
			cacheN = append(cacheN, resp.Timings.CacheN)
		}
		if cacheN[1] < 10 {
			t.Errorf("cache_n of the second request = %d (first %d): want the shared prefix reused on the remote", cacheN[1], cacheN[0])
		}
	})

	t.Run("Reason", func(t *testing.T) {
		h := front.with(t)
		code, _, b := h.do("POST", "/v1/reason", []byte(`{"model":"far","messages":[{"role":"user","content":"What is the capital of France?"}],"temperature":1,"seed":1}`))
		texts = append(texts, string(b))
		if code != 200 {
			t.Fatalf("/v1/reason through the remote: %d %s", code, b)
		}
		if !strings.Contains(string(b), `"frontier"`) || !strings.Contains(string(b), `"cache_n"`) {
			t.Errorf("/v1/reason answer has no GTAlign result: %s", b)
		}
	})

	t.Run("ModelsAndStatus", func(t *testing.T) {
		h := front.with(t)
		_, _, b := h.do("GET", "/v1/models", nil)
		texts = append(texts, string(b))
		var list api.List[api.ModelEntry]
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range list.Data {
			if e.ID == "far" {
				found = true
				if e.Remote == nil || !e.Remote.Reachable || e.Remote.Dialect != "nashd" || e.Remote.URL != "unix://"+psock || e.State != "serving" {
					t.Errorf("/v1/models entry far = %+v (remote %+v)", e, e.Remote)
				}
			}
		}
		if !found {
			t.Errorf("/v1/models lacks far: %s", b)
		}
		st := h.status()
		if st.Model.Serving == nil || st.Model.Serving.Remote == nil || !st.Model.Serving.Remote.Reachable {
			t.Errorf("/v1/status serving = %+v: want the remote, reachable", st.Model.Serving)
		}
		_, _, sb := h.do("GET", "/v1/status", nil)
		texts = append(texts, string(sb))
	})

	t.Run("StreamCut", func(t *testing.T) {
		h := front.with(t)
		proxy.armed.Store(true)
		body, _ := json.Marshal(map[string]any{"model": "far", "prompt": "In a game", "max_tokens": 100, "stream": true,
			"grammar": inferencetest.LongGrammar, "temperature": 1, "seed": 3})
		req, _ := http.NewRequest("POST", h.url("/v1/completions"), bytes.NewReader(body))
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		resp.Body.Close()
		proxy.armed.Store(false)
		all := strings.Join(lines, "\n")
		texts = append(texts, all)
		if proxy.cuts.Load() == 0 || !strings.Contains(all, "stream cut") {
			t.Errorf("cut stream (%d cuts): the client got no clear error:\n%s", proxy.cuts.Load(), all)
		}
		// The daemon keeps serving: healthy, and the remote answers the next request.
		if code, _, b := h.do("GET", "/health", nil); code != 200 {
			t.Errorf("/health after the cut: %d %s", code, b)
		}
		body, _ = json.Marshal(map[string]any{"model": "far", "prompt": "After the cut", "max_tokens": 2})
		if code, _, b := h.do("POST", "/v1/completions", body); code != 200 {
			t.Errorf("far after the cut: %d %s", code, b)
		}
	})

	logs := front.logs.String()
	texts = append(texts, logs)
	for _, s := range texts {
		if strings.Contains(s, key) {
			t.Fatalf("the API key appears in a response or log line:\n%s", s)
		}
	}
}

// TestCompletionsAPI: /v1/completions takes text and token prompts, validates its fields,
// and /tokenize, /apply-template and /props answer in llama-server's shapes.
func TestCompletionsAPI(t *testing.T) {
	h := startDaemon(t, map[string]string{})
	code, _, b := h.do("POST", "/tokenize", []byte(`{"content":"hello world","add_special":true}`))
	var tok api.TokenizeResponse
	if code != 200 || json.Unmarshal(b, &tok) != nil || len(tok.Tokens) < 2 {
		t.Fatalf("/tokenize: %d %s", code, b)
	}
	ids, _ := json.Marshal(tok.Tokens)
	var texts [2]string
	for i, prompt := range []string{`"hello world"`, string(ids)} {
		code, _, b := h.do("POST", "/v1/completions", []byte(`{"prompt":`+prompt+`,"max_tokens":6,"temperature":0,"return_tokens":true}`))
		var resp api.CompletionResponse
		if code != 200 || json.Unmarshal(b, &resp) != nil || len(resp.Choices) != 1 || resp.Object != "text_completion" {
			t.Fatalf("prompt %s: %d %s", prompt, code, b)
		}
		if resp.Usage.PromptTokens != len(tok.Tokens) || len(resp.Tokens) != resp.Usage.CompletionTokens {
			t.Errorf("prompt %s: usage %+v, %d tokens; want %d prompt tokens", prompt, resp.Usage, len(resp.Tokens), len(tok.Tokens))
		}
		texts[i] = resp.Choices[0].Text
	}
	if texts[0] != texts[1] {
		t.Errorf("text prompt gave %q, the same as token ids %q", texts[0], texts[1])
	}
	for _, tt := range []struct{ body, param string }{
		{`{"max_tokens":2}`, "prompt"},
		{`{"prompt":""}`, "prompt"},
		{`{"prompt":["a","b"]}`, "prompt"},
		{`{"prompt":"x","temperature":-1}`, "temperature"},
		{`{"prompt":"x","stop":[""]}`, "stop"},
		{`{"prompt":"x","echo":true}`, "echo"},
	} {
		code, _, b := h.do("POST", "/v1/completions", []byte(tt.body))
		if code != 400 || !strings.Contains(string(b), tt.param) {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.body, code, b, tt.param)
		}
	}
	code, _, b = h.do("POST", "/v1/completions", []byte(`{"prompt":"x","grammar":"root ::= nope"}`))
	if code != 400 || !strings.Contains(string(b), "invalid_grammar") {
		t.Errorf("bad grammar: %d %s", code, b)
	}
	code, _, b = h.do("POST", "/apply-template", []byte(`{"messages":[{"role":"user","content":"Cooperate?"}]}`))
	if code != 200 || !strings.Contains(string(b), "Cooperate?") {
		t.Errorf("/apply-template: %d %s", code, b)
	}
	code, _, b = h.do("GET", "/props", nil)
	var props api.PropsResponse
	if code != 200 || json.Unmarshal(b, &props) != nil || props.DefaultSettings.NCtx != 256 || props.TotalSlots != 2 || props.NVocab == 0 {
		t.Errorf("/props: %d %s", code, b)
	}
	// Streaming: one chunk per token with its id, a final chunk with timings, usage on request.
	code, _, b = h.do("POST", "/v1/completions", []byte(`{"prompt":"hello","max_tokens":5,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`))
	s := string(b)
	if code != 200 || strings.Count(s, `"tokens":[`) != 5 || !strings.Contains(s, `"cache_n"`) || !strings.Contains(s, `"completion_tokens":5`) || !strings.HasSuffix(strings.TrimSpace(s), "data: [DONE]") {
		t.Errorf("stream: %d\n%s", code, s)
	}
}

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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/inferencetest"
	"github.com/nashd/nashd/inference/remote"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/dond"
	"github.com/nashd/nashd/reasoning/gtalign"
)

// TestRemoteConformance: a generator backed by another nashd (real HTTP over loopback TCP,
// real engine, tiny model) passes the conformance suite unchanged.
func TestRemoteConformance(t *testing.T) {
	_, addr := startTCPDaemon(t, map[string]string{})
	inferencetest.Run(t, func(t *testing.T) inference.Generator {
		g, err := remote.Open(context.Background(), remote.Options{URL: "http://" + addr + "/v1", Model: "tiny", Dialect: remote.Nashd, MaxConcurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		return g
	})
}

// tcpConfig adds a loopback TCP listener on a port the kernel picks to a nashd.toml, and
// logs at info so that the "listening on loopback TCP" line names the port.
func tcpConfig(cfg string) string {
	cfg = strings.Replace(cfg, "[server]\n", "[server]\ntcp = \"127.0.0.1:0\"\n", 1)
	return strings.Replace(cfg, `level = "warn"`, `level = "info"`, 1)
}

// tcpLine matches the listener's log line in the text and the JSON format.
var tcpLine = regexp.MustCompile(`listening on loopback TCP",? ?"?addr"?[=:]"?(127\.0\.0\.1:[0-9]+)`)

// tcpAddr returns the loopback TCP address a nashd logged.
func tcpAddr(t *testing.T, logs string) string {
	t.Helper()
	m := tcpLine.FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no loopback TCP listener in the log:\n%s", logs)
	}
	return m[1]
}

// startTCPDaemon is startDaemon with a loopback TCP listener too (files' nashd.toml, or
// testNashd, through tcpConfig); it returns the harness and the TCP address.
func startTCPDaemon(t *testing.T, files map[string]string) (*harness, string) {
	t.Helper()
	cfg, ok := files["nashd.toml"]
	if !ok {
		cfg = testNashd
	}
	files["nashd.toml"] = tcpConfig(cfg)
	h := startDaemon(t, files)
	return h, tcpAddr(t, h.logs.String())
}

// remoteModels is a models.toml whose default, far, is served by the nashd at url (an
// OpenAI base URL), next to a local model, near.
func remoteModels(url string) string {
	return fmt.Sprintf(`default = "far"
[models.far]
url = %q
served_name = "tiny"
dialect = "nashd"
max_concurrency = 2
[models.near]
path = %q
`, url, tinyA)
}

// cutProxy forwards loopback TCP connections to another address; armed, it cuts every
// connection after forwarding a few streamed events of a response.
type cutProxy struct {
	l     net.Listener
	armed atomic.Bool
	cuts  atomic.Int32
}

// newCutProxy forwards to target (host:port) and returns the proxy and its OpenAI base URL.
func newCutProxy(t *testing.T, target string) (*cutProxy, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
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
	return p, "http://" + l.Addr().String() + "/v1"
}

func (p *cutProxy) serve(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
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

// TestRemoteDaemon: a nashd whose model lives on another nashd (over loopback TCP, through
// a proxy that can cut streams) serves chat, /v1/completions with the remote's prefix reuse,
// GTAlign and a Deal or No Deal game; shows the remote in /v1/models, /v1/status and /props
// (with the remote's chat template); survives the remote cutting a stream; and never shows
// the API key.
func TestRemoteDaemon(t *testing.T) {
	const key = "sk-nashd-remote-test-5e4d3c2b1a"
	t.Setenv("NASHD_TEST_REMOTE_KEY", key)
	backend, addr := startTCPDaemon(t, map[string]string{"nashd.toml": engineNashd})
	proxy, purl := newCutProxy(t, addr)
	front := startDaemon(t, map[string]string{"gtalign.toml": smallLimitsGame(t),
		"models.toml": strings.Replace(remoteModels(purl), "max_concurrency", "api_key_env = \"NASHD_TEST_REMOTE_KEY\"\nmax_concurrency", 1)})
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

	t.Run("Dond", func(t *testing.T) {
		h := front.with(t)
		served := func() (float64, float64) {
			return metricValue(t, backend, `nashd_http_requests_total{code="200",endpoint="POST /v1/completions"}`),
				metricValue(t, backend, `nashd_tokens_total{kind="completion"}`)
		}
		requests0, tokens0 := served()
		code, _, b := h.do("POST", "/v1/games/play", []byte(`{"model":"far","game":"dond","line":3,"alice":"workflow","rounds":2,"message_chars":8,"seed":4}`))
		texts = append(texts, string(b))
		var res api.PlayResult
		if code != 200 || json.Unmarshal(b, &res) != nil || res.Dond == nil {
			t.Fatalf("dond through the remote: %d %s", code, b)
		}
		r := res.Dond
		setup, err := dond.SampleLine(3)
		if err != nil {
			t.Fatal(err)
		}
		jsonEqual(t, "setup values", r.Setup.Values, setup.Values)
		jsonEqual(t, "verdict", r.Verdict, dond.Judge(setup, replayDeal(t, setup, r.Transcript)))
		// Every generation of the game ran on the remote: its completions and tokens grew by
		// the game's own counts (its counters move when each answer is written: wait a little).
		var requests, tokens float64
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			requests, tokens = served()
			if requests-requests0 >= float64(r.Stats.Generations) || time.Now().After(deadline) {
				break
			}
		}
		if r.Stats.Generations == 0 || requests-requests0 != float64(r.Stats.Generations) || tokens-tokens0 != float64(r.Stats.GeneratedTokens) {
			t.Errorf("the remote served %v completions and %v tokens; the game counts %d generations and %d tokens",
				requests-requests0, tokens-tokens0, r.Stats.Generations, r.Stats.GeneratedTokens)
		}
		t.Logf("dond through the remote: %d turns, %d generations, %d tokens, cache_n %d, agreement %v",
			r.Turns, r.Stats.Generations, r.Stats.GeneratedTokens, r.Stats.CacheN, r.Verdict.Agreement)
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
				if e.Remote == nil || !e.Remote.Reachable || e.Remote.Dialect != "nashd" || e.Remote.URL != purl || e.State != "serving" {
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
		// The chat template is the remote's, read from its /props.
		var props [2]api.PropsResponse
		for i, d := range []*harness{backend.with(t), h} {
			code, _, b := d.do("GET", "/props", nil)
			if code != 200 || json.Unmarshal(b, &props[i]) != nil {
				t.Fatalf("/props: %d %s", code, b)
			}
		}
		if props[0].ChatTemplate == "" || props[1].ChatTemplate != props[0].ChatTemplate || props[1].DefaultSettings.NCtx != props[0].DefaultSettings.NCtx {
			t.Errorf("front /props: template %q, n_ctx %d; the remote's: %q, %d", props[1].ChatTemplate, props[1].DefaultSettings.NCtx,
				props[0].ChatTemplate, props[0].DefaultSettings.NCtx)
		}
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
	// llama-server's extensions: a grammar, a stop string (cut from the text and named), a
	// seed that repeats a sampled completion, cache_prompt.
	for _, tt := range []struct{ body, text, stop, finish string }{
		{`{"prompt":"Agree?","max_tokens":8,"grammar":"root ::= \"yes\" | \"no\"","cache_prompt":true}`, "yes|no", "", "stop"},
		{`{"prompt":"Agree?","max_tokens":8,"grammar":"root ::= \"ab\" \"cd\" \"ef\"","stop":["cd"]}`, "ab", "cd", "stop"},
		{`{"prompt":"Agree?","max_tokens":2,"grammar":"root ::= \"ab\" \"cd\" \"ef\""}`, "", "", "length"},
	} {
		code, _, b := h.do("POST", "/v1/completions", []byte(tt.body))
		var resp api.CompletionResponse
		if code != 200 || json.Unmarshal(b, &resp) != nil || len(resp.Choices) != 1 || resp.Choices[0].FinishReason == nil {
			t.Fatalf("%s: %d %s", tt.body, code, b)
		}
		text := resp.Choices[0].Text
		if (tt.text != "" && !slices.Contains(strings.Split(tt.text, "|"), text)) || resp.StoppingWord != tt.stop || *resp.Choices[0].FinishReason != tt.finish {
			t.Errorf("%s: text %q, stopping_word %q, finish %q; want %q, %q, %q", tt.body, text, resp.StoppingWord, *resp.Choices[0].FinishReason, tt.text, tt.stop, tt.finish)
		}
	}
	var sampled [2]string
	for i := range sampled {
		code, _, b := h.do("POST", "/v1/completions", []byte(`{"prompt":"Agree?","max_tokens":12,"temperature":1,"seed":7}`))
		var resp api.CompletionResponse
		if code != 200 || json.Unmarshal(b, &resp) != nil || len(resp.Choices) != 1 {
			t.Fatalf("seeded completion: %d %s", code, b)
		}
		sampled[i] = resp.Choices[0].Text
	}
	if sampled[0] != sampled[1] || sampled[0] == "" {
		t.Errorf("seed 7 at temperature 1 gave %q, then %q", sampled[0], sampled[1])
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

// metricValue reads one sample (name with its labels, as /metrics writes it) from a nashd's
// /metrics; 0 when absent.
func metricValue(t *testing.T, h *harness, sample string) float64 {
	t.Helper()
	code, _, b := h.with(t).do("GET", "/metrics", nil)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics line %q: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// replayDeal replays a Deal or No Deal transcript's proposals by the game's rules and
// returns Alice's share in the deal they reached (nil: no deal): a proposal that hands the
// opponent exactly its standing proposal, or <accept>, closes the deal.
func replayDeal(t *testing.T, s *dond.Setup, tr []agents.Event) dond.Split {
	t.Helper()
	var standing [2]dond.Split // each player's latest proposal: its own share
	for _, e := range tr {
		if e.Phase != agents.PhaseProposal {
			continue
		}
		i := slices.Index(dond.Players[:], e.Agent)
		if i < 0 {
			t.Fatalf("proposal by %q", e.Agent)
		}
		var mine dond.Split
		if e.Action == dond.AcceptTag {
			if standing[1-i] == nil {
				t.Fatalf("turn %d: %s accepts before any proposal", e.Turn, e.Agent)
			}
			mine = standing[1-i].Rest(s.Counts)
		} else {
			var err error
			if mine, err = dond.ParseDeal(e.Action, s.Items, s.Counts); err != nil {
				t.Fatalf("turn %d: %v", e.Turn, err)
			}
			if standing[1-i] == nil || !slices.Equal(mine, standing[1-i].Rest(s.Counts)) {
				standing[i] = mine
				continue
			}
		}
		if i == 0 {
			return mine
		}
		return mine.Rest(s.Counts)
	}
	return nil
}

// TestRemoteIgnoresGrammar: a server that takes no grammar (the "openai" dialect, here
// another nashd spoken to in plain OpenAI) lets the tiny model write what it likes. GTAlign
// reads its payoff block tolerantly and retries it a bounded number of times; the random
// model's output never parses, so the call ends in a 502 naming the model's output, counted
// in /metrics by its code, with the retries in nashd_reason_retries_total and every attempt
// served by the remote. A Deal or No Deal agent retries its turn a bounded number of times,
// then forfeits: no deal, judged as such, and every try ran on the remote.
func TestRemoteIgnoresGrammar(t *testing.T) {
	backend, addr := startTCPDaemon(t, map[string]string{"nashd.toml": engineNashd})
	models := strings.Replace(remoteModels("http://"+addr+"/v1"), `dialect = "nashd"`, "dialect = \"openai\"\nchat_template = \"chatml\"", 1)
	front := startDaemon(t, map[string]string{"gtalign.toml": smallLimitsGame(t), "models.toml": models})

	completions := `nashd_http_requests_total{code="200",endpoint="POST /v1/completions"}`
	// servedSince waits for the remote to count want completions since from (its metrics
	// are updated after each answer has gone out) and returns how many it counted.
	servedSince := func(from float64, want int) float64 {
		var n float64
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if n = metricValue(t, backend, completions) - from; n >= float64(want) || time.Now().After(deadline) {
				return n
			}
		}
	}
	served0 := metricValue(t, backend, completions)
	code, _, b := front.do("POST", "/v1/reason", []byte(`{"model":"far","messages":[{"role":"user","content":"What is the capital of France?"}],"temperature":1,"seed":1}`))
	if code != http.StatusBadGateway || !strings.Contains(string(b), `"`+api.CodeModelOutput+`"`) || !strings.Contains(string(b), "did not parse") {
		t.Errorf("/v1/reason without the grammar: %d %s; want a 502 model_output error", code, b)
	}
	var eb api.ReasonErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Result == nil || eb.Result.Result == nil {
		t.Fatalf("/v1/reason error body without the result so far: %v: %s", err, b)
	}
	attempts := gtalign.DefaultRetries + 1
	if r := eb.Result.Result; r.Retries != gtalign.DefaultRetries || len(r.Passes) != attempts || r.Passes[attempts-1].Error == "" {
		t.Errorf("result so far: %d retries, passes %+v; want %d payoff attempts, each with its parse error", r.Retries, r.Passes, attempts)
	}
	if !strings.Contains(eb.Error.Message, fmt.Sprintf("%d attempts did not parse", attempts)) {
		t.Errorf("error message %q does not count the attempts", eb.Error.Message)
	}
	if n := servedSince(served0, attempts); n != float64(attempts) {
		t.Errorf("the remote served %v completions for /v1/reason; want the %d payoff attempts", n, attempts)
	}
	if n := metricValue(t, front, `nashd_http_requests_total{code="502",endpoint="POST /v1/reason"}`); n != 1 {
		t.Errorf("502s of /v1/reason in /metrics: %v, want 1", n)
	}
	if n := metricValue(t, front, "nashd_reason_retries_total"); n != float64(gtalign.DefaultRetries) {
		t.Errorf("nashd_reason_retries_total = %v, want %d", n, gtalign.DefaultRetries)
	}

	served0 = metricValue(t, backend, completions)
	code, _, b = front.do("POST", "/v1/games/play", []byte(`{"model":"far","game":"dond","line":3,"rounds":2,"message_chars":8,"seed":4}`))
	var res api.PlayResult
	if code != 200 || json.Unmarshal(b, &res) != nil || res.Dond == nil {
		t.Fatalf("dond without the grammar: %d %s", code, b)
	}
	r := res.Dond
	retries := 0
	for _, e := range r.Transcript {
		if e.Phase == agents.PhaseRetry {
			retries++
		}
	}
	if r.Forfeit == nil || r.Forfeit.Turn != 1 || retries != agents.DefaultRetries || r.Stats.Generations != agents.DefaultRetries+1 {
		t.Fatalf("dond: forfeit %+v after %d retries, %d generations; want Alice to forfeit turn 1 after %d retries",
			r.Forfeit, retries, r.Stats.Generations, agents.DefaultRetries)
	}
	setup, err := dond.SampleLine(3)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "verdict", r.Verdict, dond.Judge(setup, nil))
	if served := servedSince(served0, r.Stats.Generations); served != float64(r.Stats.Generations) {
		t.Errorf("the remote served %v completions; the game counts %d generations", served, r.Stats.Generations)
	}
}

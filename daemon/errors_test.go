package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference/remote"
)

func TestBadInputs(t *testing.T) {
	h := startDaemon(t, map[string]string{})
	long := strings.Repeat("x", 400) // byte vocabulary: ~1 token per byte, context is 256
	huge := `{"messages":[{"role":"user","content":"` + strings.Repeat("y", 70000) + `"}]}`
	tests := []struct {
		name, method, path, body string
		code                     int
		param, msg               string
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", `{"messages": [`, 400, "", "malformed JSON"},
		{"not JSON", "POST", "/v1/chat/completions", `hello`, 400, "", "malformed JSON"},
		{"empty body", "POST", "/v1/chat/completions", ``, 400, "", "empty request body"},
		{"trailing data", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}]} {}`, 400, "", "unexpected data"},
		{"messages wrong type", "POST", "/v1/chat/completions", `{"messages":"hi"}`, 400, "messages", "expected an array"},
		{"max_tokens wrong type", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_tokens":"5"}`, 400, "max_tokens", "expected an integer"},
		{"content wrong type", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":5}]}`, 400, "messages[0].content", "expected a string"},
		{"no messages", "POST", "/v1/chat/completions", `{"messages":[]}`, 400, "messages", "non-empty"},
		{"bad role", "POST", "/v1/chat/completions", `{"messages":[{"role":"robot","content":"a"}]}`, 400, "messages[0].role", "robot"},
		{"tool role", "POST", "/v1/chat/completions", `{"messages":[{"role":"tool","content":"a"}]}`, 400, "messages[0].role", "not supported"},
		{"temperature range", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"temperature":7}`, 400, "temperature", "outside"},
		{"top_p range", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"top_p":-1}`, 400, "top_p", "outside"},
		{"max_tokens zero", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_tokens":0}`, 400, "max_tokens", "< 1"},
		{"n=2", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"n":2}`, 400, "n", "n = 1"},
		{"stop wrong type", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"stop":5}`, 400, "stop", "string"},
		{"empty stop", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"stop":[""]}`, 400, "stop", "empty"},
		{"bad response_format", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"response_format":{"type":"yaml"}}`, 400, "response_format.type", "yaml"},
		{"schema with $ref", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"$ref":"#/a"}}}}`, 400, "response_format.json_schema.schema", "$ref"},
		{"bad grammar", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"grammar":"root ::= (("}`, 400, "grammar", "grammar"},
		{"grammar error position", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"grammar":"root ::= \"a\"\nx ::= [b-"}`, 400, "grammar", "line 2 column 7: unterminated character set"},
		// Grammars that crash or stall llama.cpp's own parser and matcher (inference/gbnf).
		{"deeply nested grammar", "POST", "/v1/chat/completions", grammarBody("root ::= " + strings.Repeat("(", 20000) + `"a"` + strings.Repeat(")", 20000)), 400, "grammar", "nested more than 256"},
		{"empty-rule left recursion", "POST", "/v1/chat/completions", grammarBody("root ::= a root | \"x\"\na ::= b\nb ::= \"\""), 400, "grammar", "left recursion"},
		{"exponential grammar", "POST", "/v1/chat/completions", grammarBody(ambiguousChain(24)), 400, "grammar", "too ambiguous"},
		{"ambiguous while generating", "POST", "/v1/chat/completions", grammarBody("root ::= \"a\" s\ns ::= \"a\" s x | \"a\" s y | \"a\" \"a\"{40} \"c\"\nx ::= \"b\"\ny ::= \"b\"\n"), 400, "grammar", "too ambiguous"},
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"a"}]}`, 404, "model", "nope"},
		{"unknown reasoning", "POST", "/v1/chat/completions", `{"reasoning":"magic","messages":[{"role":"user","content":"a"}]}`, 400, "reasoning", "magic"},
		{"gtalign prompt too long", "POST", "/v1/chat/completions", `{"reasoning":"gtalign","messages":[{"role":"user","content":"a"}]}`, 422, "messages", "context"},
		{"gtalign alias prompt too long", "POST", "/v1/chat/completions", `{"model":"tiny@gtalign","messages":[{"role":"user","content":"a"}]}`, 422, "messages", "context"},
		{"unknown alias", "POST", "/v1/chat/completions", `{"model":"tiny@magic","messages":[{"role":"user","content":"a"}]}`, 404, "model", "@magic"},
		{"alias conflicts", "POST", "/v1/chat/completions", `{"model":"tiny@gtalign","reasoning":"none","messages":[{"role":"user","content":"a"}]}`, 400, "reasoning", "conflicts"},
		{"rule without gtalign", "POST", "/v1/chat/completions", `{"rule":"welfare","messages":[{"role":"user","content":"a"}]}`, 400, "rule", "gtalign"},
		{"prompt too long", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + long + `"}]}`, 422, "messages", "context"},
		{"huge body", "POST", "/v1/chat/completions", huge, 413, "", "larger than"},
		{"unknown route", "GET", "/v2/nothing", ``, 404, "", "no route"},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405, "", "allow: POST"},
		{"solve unknown game", "POST", "/v1/games/solve", `{"game":"no_such_game"}`, 404, "game", "no_such_game"},
		{"solve no game", "POST", "/v1/games/solve", `{}`, 400, "game", "missing"},
		{"solve wrong type", "POST", "/v1/games/solve", `{"game":5}`, 400, "game", "expected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, b := h.do(tc.method, tc.path, []byte(tc.body))
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, b)
			}
			var e struct {
				Error struct{ Message, Type, Param, Code string }
			}
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("not an OpenAI error body: %s", b)
			}
			if e.Error.Param != tc.param {
				t.Errorf("param %q, want %q (%s)", e.Error.Param, tc.param, e.Error.Message)
			}
			if !strings.Contains(e.Error.Message, tc.msg) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tc.msg)
			}
		})
	}
	// The daemon still serves.
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Fatalf("after bad inputs: %d %s", code, b)
	}
	if code, _, _ := h.do("GET", "/health", nil); code != 200 {
		t.Fatalf("health %d", code)
	}
}

// grammarBody is a chat request constrained by grammar g.
func grammarBody(g string) string {
	q, _ := json.Marshal(g)
	return `{"messages":[{"role":"user","content":"a"}],"max_tokens":100,"grammar":` + string(q) + `}`
}

// ambiguousChain is root ::= r0, rI ::= rI+1 | rI+1 "y": 2^n parse paths at the start.
func ambiguousChain(n int) string {
	var b strings.Builder
	b.WriteString("root ::= r0\n")
	for i := range n {
		fmt.Fprintf(&b, "r%d ::= r%d | r%d \"y\"\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "r%d ::= \"x\"", n)
	return b.String()
}

func TestDisconnectMidStream(t *testing.T) {
	// A long generation (1900 tokens, ~0.3 s even on the tiny model) so the client is
	// surely gone before it ends.
	h := startDaemon(t, map[string]string{"nashd.toml": strings.Replace(testNashd, "context_size = 256", "context_size = 2048", 1)})
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", h.url("/v1/chat/completions"), strings.NewReader(
			`{"messages":[{"role":"user","content":"go"}],"stream":true,"max_tokens":1900,"grammar":"root ::= [a-z]{1900,}"}`))
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "data: {") {
			t.Fatalf("first event %q %v", line, err)
		}
		cancel() // client goes away mid-stream
		resp.Body.Close()
	}
	// Every cancelled generation frees its slot: nothing left in flight.
	h.waitFor("slots freed", 10*time.Second, func(s api.StatusResponse) bool { return s.Model.InFlight == 0 && s.Model.Running == 0 })
	_, _, m := h.do("GET", "/metrics", nil)
	if !strings.Contains(string(m), "nashd_generations_cancelled_total 3") {
		t.Errorf("metrics do not count 3 cancelled generations:\n%s", grep(string(m), "cancelled"))
	}
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Fatalf("after disconnects: %d %s", code, b)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsAndHealth(t *testing.T) {
	h := startDaemon(t, map[string]string{})
	h.do("POST", "/v1/chat/completions", h.chatBody(""))
	h.do("POST", "/v1/chat/completions", []byte(`{`))
	code, hdr, m := h.do("GET", "/metrics", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		`nashd_http_requests_total{code="200",endpoint="POST /v1/chat/completions"} 1`,
		`nashd_http_requests_total{code="400",endpoint="POST /v1/chat/completions"} 1`,
		`nashd_tokens_total{kind="completion"} 8`,
		`nashd_queue_depth 0`, `nashd_slots 2`, `nashd_model_ready 1`, `nashd_model_swaps_total 0`, `nashd_remote_retries_total 0`, `nashd_remote_faults_total 0`,
		`nashd_config_reloads_total{result="ok"} 0`, `nashd_last_tokens_per_second`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	code, _, b := h.do("GET", "/health", nil)
	if code != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Errorf("/health %d %s", code, b)
	}
}

// A remote model's faults map to gateway statuses: a server that does not answer within its
// timeout is a 504, its other failures 502, a busy one 503 with Retry-After; the caller's
// own deadline stays the daemon's 504 "timeout".
func TestRemoteErrorStatus(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"timeout", &remote.Error{Msg: "http://far/v1 did not finish the call within 1s", Err: remote.ErrTimeout}, http.StatusGatewayTimeout, "remote_timeout"},
		{"timeout wrapped", fmt.Errorf("gtalign: payoff pass: %w", &remote.Error{Msg: "x", Err: remote.ErrTimeout}), http.StatusGatewayTimeout, "remote_timeout"},
		{"server error", &remote.Error{Msg: "answered 500", Err: remote.ErrServer}, http.StatusBadGateway, "remote_error"},
		{"stream cut", &remote.Error{Msg: "cut", Err: remote.ErrStreamCut}, http.StatusBadGateway, "remote_error"},
		{"unreachable", &remote.Error{Msg: "refused", Err: remote.ErrUnreachable}, http.StatusBadGateway, "remote_error"},
		{"busy", &remote.Error{Msg: "429", Err: remote.ErrBusy}, http.StatusServiceUnavailable, "remote_busy"},
		{"own deadline", fmt.Errorf("generate: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, "timeout"},
	}
	for _, tc := range tests {
		ae := daemon.AsAPIError(tc.err)
		if ae.Status != tc.status || ae.Code != tc.code {
			t.Errorf("%s: %d %s (%s), want %d %s", tc.name, ae.Status, ae.Code, ae.Message, tc.status, tc.code)
		}
		if (ae.Status == http.StatusGatewayTimeout) != (ae.Type == api.TypeTimeout) || !strings.Contains(ae.Message, tc.err.Error()) && tc.code != "timeout" {
			t.Errorf("%s: type %s, message %q", tc.name, ae.Type, ae.Message)
		}
	}
}

package daemon_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/openai/openai-go/v3"
)

// The tests of this file run GTAlign reasoning on the real engine with the tiny random-weight
// model. Its system prompt is about 2,300 tokens of the byte-level vocabulary, so the
// context is 4096; one slot keeps every pass on the same KV cache; the block bounds are
// small so a request takes a fraction of a second. Nothing is tuned to the model: whatever
// it writes, the grammar makes it parse.
const engineNashd = `
[server]
request_timeout = "120s"
shutdown_timeout = "20s"
[inference]
threads = 1
context_size = 4096
slots = 1
[log]
level = "warn"
[reasoning]
state_dir = "state"
`

// smallLimitsGame is configs/gtalign.toml with short blocks.
func smallLimitsGame(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "configs", "gtalign.toml"))
	if err != nil {
		t.Fatal(err)
	}
	limits := "[limits]\nthinking_chars = 12\nresponse_chars = 12\nquestion_chars = 12\n"
	out := regexp.MustCompile(`(?s)\[limits\].*?\n\n`).ReplaceAllString(string(b), limits+"\n")
	if !strings.Contains(out, limits) {
		t.Fatal("configs/gtalign.toml has no [limits] table to replace")
	}
	return out
}

func startEngineDaemon(t *testing.T) *harness {
	return startDaemon(t, map[string]string{"nashd.toml": engineNashd, "gtalign.toml": smallLimitsGame(t)})
}

// TestReasonEngineCache: on the real engine every later pass evaluates no earlier token
// again: its cache_n is the whole context before it (the previous pass's prompt and
// output), where the analysis that stands is the model's or the solver's own; after an
// override, everything up to the analysis the model wrote.
func TestReasonEngineCache(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	h := startEngineDaemon(t)
	for _, tc := range []struct {
		name, extra string
		passes      int
	}{
		{"model analysis kept (annotate)", `,"policy":"annotate","seed":1`, 3},
		{"solver writes the analysis", `,"analyze_by":"solver","seed":2`, 2},
		{"override", `,"seed":3`, 3},
		{"nash product, greedy", `,"rule":"nash_product","temperature":0`, 3},
		{"reject", `,"policy":"reject","seed":3`, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			body := `{"model":"tiny","messages":[{"role":"user","content":"What is the capital of France?"}],"temperature":1` + tc.extra + `}`
			code, res, e := h.postReason(body)
			if strings.Contains(tc.extra, "reject") {
				// Rejected exactly when the model's choice is not the solver's, with the
				// matrix and both choices; otherwise answered.
				switch {
				case code == 422 && (e.Code != api.CodeAnalysisRejected || res == nil || len(res.Matrix) != 6 || res.Agree || res.Response != ""):
					t.Fatalf("rejection %+v: %+v", e, res)
				case code == 422:
					t.Logf("rejected: model %q, solver %q", res.ModelChoice, res.SolverChoice)
					return
				case code != 200 || !res.Agree:
					t.Fatalf("status %d under reject: %+v %+v", code, e, res)
				}
			}
			if code != 200 {
				t.Fatalf("status %d: %+v", code, e)
			}
			if len(res.Passes) != tc.passes || len(res.Matrix) != 6 || !hasString(res.Frontier, res.SolverChoice) {
				t.Fatalf("%d passes, matrix %v, frontier %v, choice %s", len(res.Passes), res.Matrix, res.Frontier, res.SolverChoice)
			}
			kept := res.AnalyzeBy == "solver" || res.Analyze == res.ModelAnalyze
			for k := 1; k < len(res.Passes); k++ {
				prev, cur := res.Passes[k-1], res.Passes[k]
				if prev.StopReason != "stop" {
					t.Errorf("pass %d stopped by %q", k-1, prev.StopReason)
				}
				held := prev.PromptTokens + prev.GeneratedTokens
				switch {
				case kept || prev.Name != "analyze":
					if cur.CacheN != held {
						t.Errorf("pass %d (%s): cache_n %d, want the %d tokens before it", k, cur.Name, cur.CacheN, held)
					}
				case cur.CacheN < prev.PromptTokens:
					t.Errorf("pass %d after an override: cache_n %d < the analyze prompt's %d", k, cur.CacheN, prev.PromptTokens)
				}
				if cur.PromptTokens <= cur.CacheN {
					t.Errorf("pass %d: prompt %d tokens, cache_n %d", k, cur.PromptTokens, cur.CacheN)
				}
			}
			t.Logf("%s: %d passes in %.0f ms; model %q solver %q applied %q; cache_n %v",
				tc.name, len(res.Passes), res.MS, res.ModelChoice, res.SolverChoice, res.Applied, cacheNs(res))
		})
	}
}

func cacheNs(res *api.ReasonResponse) []int {
	var out []int
	for _, p := range res.Passes {
		out = append(out, p.CacheN)
	}
	return out
}

// TestReasonEngineOpenAISDK: the official OpenAI Go SDK, pointed at the socket, reaches GTAlign
// reasoning through the model alias: streamed, every reasoning_content delta comes before
// the first content delta, they add up to the result's blocks, and the result rides in the
// last chunk's nashd extension; not streamed, the message carries both.
func TestReasonEngineOpenAISDK(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	h := startEngineDaemon(t)
	c := h.openai()
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:       "tiny@gtalign",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the capital of France?")},
		Temperature: openai.Float(0),
	}
	type ext struct {
		Nashd struct {
			Reasoning string `json:"reasoning"`
			Result    struct {
				Response   string `json:"response"`
				Transcript string `json:"transcript"`
				Applied    string `json:"applied"`
			} `json:"result"`
		} `json:"nashd"`
	}

	stream := c.Chat.Completions.NewStreaming(ctx, params)
	var reasoning, content strings.Builder
	var kinds []string
	var last ext
	for stream.Next() {
		ch := stream.Current()
		if len(ch.Choices) == 0 {
			continue
		}
		d := ch.Choices[0].Delta
		kind := ""
		if f, ok := d.JSON.ExtraFields["reasoning_content"]; ok && f.Raw() != "" && f.Raw() != "null" {
			var s string
			if err := json.Unmarshal([]byte(f.Raw()), &s); err != nil {
				t.Fatalf("reasoning_content %s: %v", f.Raw(), err)
			}
			reasoning.WriteString(s)
			kind = "reasoning"
		}
		if d.Content != "" {
			content.WriteString(d.Content)
			kind = "content"
		}
		if kind != "" && (len(kinds) == 0 || kinds[len(kinds)-1] != kind) {
			kinds = append(kinds, kind)
		}
		if ch.Choices[0].FinishReason != "" {
			if err := json.Unmarshal([]byte(ch.RawJSON()), &last); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	r := last.Nashd.Result
	if strings.Join(kinds, ",") != "reasoning,content" {
		t.Errorf("delta kinds in order: %v", kinds)
	}
	if last.Nashd.Reasoning != "gtalign" || r.Applied == "" || content.String() != r.Response ||
		r.Transcript != reasoning.String()+"\n<response>\n"+r.Response+"\n</response>" {
		t.Errorf("streamed reasoning %q, content %q; result %+v", reasoning.String(), content.String(), last.Nashd)
	}

	resp, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	var whole ext
	json.Unmarshal([]byte(resp.RawJSON()), &whole)
	m := resp.Choices[0].Message
	rc := m.JSON.ExtraFields["reasoning_content"].Raw()
	if m.Content != whole.Nashd.Result.Response || !strings.HasPrefix(rc, `"\u003cthinking\u003e`) && !strings.HasPrefix(rc, `"<thinking>`) {
		t.Errorf("message content %q (response %q), reasoning_content %s", m.Content, whole.Nashd.Result.Response, rc)
	}
	// Greedy decoding: the same answer as the stream's.
	if m.Content != content.String() {
		t.Errorf("non-streamed content %q, streamed %q", m.Content, content.String())
	}
}

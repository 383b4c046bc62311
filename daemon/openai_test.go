package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

func (h *harness) openai() openai.Client {
	return openai.NewClient(option.WithBaseURL("http://nashd/v1/"), option.WithHTTPClient(h.hc),
		option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

func TestOpenAISDK(t *testing.T) {
	h := startDaemon(t, map[string]string{})
	c := h.openai()
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:       "tiny",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You play games."), openai.UserMessage("Cooperate or defect?")},
		MaxTokens:   openai.Int(12),
		Temperature: openai.Float(0),
	}

	t.Run("completion", func(t *testing.T) {
		resp, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != "tiny" || len(resp.Choices) != 1 || resp.Object != "chat.completion" {
			t.Fatalf("response shape: %+v", resp)
		}
		ch := resp.Choices[0]
		if ch.Message.Role != "assistant" {
			t.Errorf("role %q", ch.Message.Role)
		}
		if resp.Usage.CompletionTokens < 1 || resp.Usage.CompletionTokens > 12 || resp.Usage.PromptTokens < 10 {
			t.Errorf("usage %+v", resp.Usage)
		}
		if resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
			t.Errorf("total_tokens %d != %d + %d", resp.Usage.TotalTokens, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
		}
		if ch.FinishReason != "length" && ch.FinishReason != "stop" {
			t.Errorf("finish_reason %q", ch.FinishReason)
		}
		var ext struct {
			Timings struct {
				PredictedN int `json:"predicted_n"`
				PromptN    int `json:"prompt_n"`
			} `json:"timings"`
			Nashd struct {
				Pricing string `json:"pricing_version"`
			} `json:"nashd"`
		}
		if err := json.Unmarshal([]byte(resp.RawJSON()), &ext); err != nil {
			t.Fatal(err)
		}
		if ext.Timings.PredictedN != int(resp.Usage.CompletionTokens) || !strings.HasPrefix(ext.Nashd.Pricing, "pricing.toml@") {
			t.Errorf("timings/nashd extension: %+v", ext)
		}
	})

	t.Run("stream equals non-stream (greedy)", func(t *testing.T) {
		want, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		sp := params
		sp.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := c.Chat.Completions.NewStreaming(ctx, sp)
		var acc openai.ChatCompletionAccumulator
		chunks := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			chunks++
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(acc.Choices) != 1 {
			t.Fatalf("accumulated %d choices", len(acc.Choices))
		}
		got := acc.Choices[0].Message.Content
		if got != want.Choices[0].Message.Content {
			t.Errorf("streamed %q, non-streamed %q", got, want.Choices[0].Message.Content)
		}
		if chunks < 3 {
			t.Errorf("only %d chunks", chunks)
		}
		if acc.Usage.CompletionTokens != want.Usage.CompletionTokens {
			t.Errorf("stream usage %+v, want %+v", acc.Usage, want.Usage)
		}
		if acc.Choices[0].FinishReason != want.Choices[0].FinishReason {
			t.Errorf("finish %q vs %q", acc.Choices[0].FinishReason, want.Choices[0].FinishReason)
		}
	})

	t.Run("stop string", func(t *testing.T) {
		p := params
		p.MaxTokens = openai.Int(24)
		full, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		text := full.Choices[0].Message.Content
		// A stop string of two printable ASCII characters from the middle of the greedy
		// output (a random-weight model also emits invalid UTF-8, which the JSON encoding
		// of the answer does not round-trip).
		stop := ""
		for i := 2; i+2 <= len(text); i++ {
			if printable(text[i]) && printable(text[i+1]) {
				stop = text[i : i+2]
				break
			}
		}
		if stop == "" {
			t.Skipf("no ASCII pair in the greedy output %q to use as a stop string", text)
		}
		want := text[:strings.Index(text, stop)]
		p.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{stop, "never-occurs"}}
		got, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Choices[0].Message.Content != want || got.Choices[0].FinishReason != "stop" {
			t.Errorf("stop %q: got %q (%s), want %q", stop, got.Choices[0].Message.Content, got.Choices[0].FinishReason, want)
		}
		stream := c.Chat.Completions.NewStreaming(ctx, p)
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if acc.Choices[0].Message.Content != want {
			t.Errorf("streamed with stop %q: %q, want %q", stop, acc.Choices[0].Message.Content, want)
		}
	})

	t.Run("json_schema", func(t *testing.T) {
		schema := map[string]any{
			"type": "object",
			"properties": map[string]any{
				"action":     map[string]any{"type": "string", "enum": []string{"cooperate", "defect"}},
				"confidence": map[string]any{"type": "number"},
				"rounds":     map[string]any{"type": "integer"},
				"ok":         map[string]any{"type": "boolean"},
				"reason":     map[string]any{"type": "string", "maxLength": 12},
				"tags":       map[string]any{"type": "array", "items": map[string]any{"type": "string", "maxLength": 5}, "maxItems": 2},
				"note":       map[string]any{"type": []string{"string", "null"}, "maxLength": 4},
			},
			"required":             []string{"action", "confidence", "rounds", "ok", "reason", "tags", "note"},
			"additionalProperties": false,
		}
		for seed := int64(1); seed <= 3; seed++ {
			p := params
			p.MaxTokens = openai.Int(200)
			p.Temperature = openai.Float(1)
			p.Seed = openai.Int(seed)
			p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "move", Schema: schema, Strict: openai.Bool(true)}}}
			resp, err := c.Chat.Completions.New(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			out := resp.Choices[0].Message.Content
			if resp.Choices[0].FinishReason != "stop" {
				t.Fatalf("seed %d: finish %q (grammar did not complete in 200 tokens): %q", seed, resp.Choices[0].FinishReason, out)
			}
			if err := checkMove(out); err != nil {
				t.Errorf("seed %d: %v in %q", seed, err, out)
			}
		}
	})

	t.Run("json_object", func(t *testing.T) {
		p := params
		p.MaxTokens = openai.Int(60)
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
		resp, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSpace(resp.Choices[0].Message.Content)
		// Cut at max_tokens the object may be unfinished; it must still be a JSON object prefix.
		if !strings.HasPrefix(out, "{") {
			t.Errorf("json_object output %q does not start an object", out)
		}
		if resp.Choices[0].FinishReason == "stop" {
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Errorf("finished json_object output %q: %v", out, err)
			}
		}
	})

	t.Run("models", func(t *testing.T) {
		page, err := c.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 2 || page.Data[0].ID != "tiny" || page.Data[1].ID != "tiny@gtalign" {
			t.Fatalf("models: %+v", page.Data)
		}
		if alias := page.Data[1].RawJSON(); !strings.Contains(alias, `"reasoning":"gtalign"`) || !strings.Contains(alias, `"parent":"tiny"`) {
			t.Errorf("alias entry: %s", alias)
		}
		if !strings.Contains(page.Data[0].RawJSON(), `"state":"serving"`) {
			t.Errorf("model entry: %s", page.Data[0].RawJSON())
		}
	})

	t.Run("unknown model is 404", func(t *testing.T) {
		p := params
		p.Model = "gpt-4o"
		_, err := c.Chat.Completions.New(ctx, p)
		var ae *openai.Error
		if !errors.As(err, &ae) || ae.StatusCode != 404 {
			t.Fatalf("err = %v, want a 404 API error", err)
		}
		if !strings.Contains(ae.Message, "gpt-4o") {
			t.Errorf("message %q", ae.Message)
		}
	})
}

// checkMove validates the json_schema test's output independently of the grammar.
func checkMove(s string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return err
	}
	want := []string{"action", "confidence", "rounds", "ok", "reason", "tags", "note"}
	if len(m) != len(want) {
		return errors.New("wrong number of keys")
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			return errors.New("missing " + k)
		}
	}
	var action string
	if json.Unmarshal(m["action"], &action) != nil || (action != "cooperate" && action != "defect") {
		return errors.New("action not in enum")
	}
	var f float64
	if json.Unmarshal(m["confidence"], &f) != nil {
		return errors.New("confidence not a number")
	}
	var n int64
	if json.Unmarshal(m["rounds"], &n) != nil {
		return errors.New("rounds not an integer")
	}
	var b bool
	if json.Unmarshal(m["ok"], &b) != nil {
		return errors.New("ok not a boolean")
	}
	var r string
	if json.Unmarshal(m["reason"], &r) != nil || chars(r) > 12 {
		return errors.New("reason not a string of at most 12 characters")
	}
	var tags []string
	if json.Unmarshal(m["tags"], &tags) != nil || len(tags) > 2 {
		return errors.New("tags not an array of at most 2 strings")
	}
	for _, tg := range tags {
		if chars(tg) > 5 {
			return errors.New("tag longer than 5")
		}
	}
	if string(m["note"]) != "null" {
		var note string
		if json.Unmarshal(m["note"], &note) != nil || chars(note) > 4 {
			return errors.New("note not null or a string of at most 4")
		}
	}
	return nil
}

// chars counts characters as llama.cpp's grammar does. A random-weight byte-vocabulary model
// can emit byte sequences that llama.cpp decodes as one code point but Go does not accept
// (UTF-16 surrogates): the daemon's JSON encoder turns each such byte into U+FFFD, so a run
// of U+FFFD counts as one character here.
func chars(s string) int {
	n := 0
	prevBad := false
	for _, r := range s {
		bad := r == '\uFFFD'
		if !(bad && prevBad) {
			n++
		}
		prevBad = bad
	}
	return n
}

func printable(c byte) bool { return c > ' ' && c < 0x7f }

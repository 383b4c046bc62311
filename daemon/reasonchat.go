package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/gtalign"
)

// chatMode resolves a chat request's reasoning mode and model: the "reasoning" field, else
// the model alias "NAME@MODE", else nashd.toml's reasoning.mode. The two must not disagree.
func chatMode(req *api.ChatRequest, defMode string) (mode, model string, err error) {
	model, alias, err := splitModel(req.Model)
	if err != nil {
		return "", "", err
	}
	mode = req.Reasoning
	switch {
	case mode != "" && !isKnownReasoning(mode):
		return "", "", api.BadRequest("reasoning", "%q is not one of %v", mode, KnownReasoning)
	case mode != "" && alias != "" && mode != alias:
		return "", "", api.BadRequest("reasoning", "%q conflicts with the model alias %q", mode, req.Model)
	case mode == "":
		mode = alias
	}
	if mode == "" {
		mode = defMode
	}
	if mode != api.ReasoningGTAlign {
		for _, f := range []struct{ name, v string }{{"rule", req.Rule}, {"policy", req.Policy}, {"analyze_by", req.AnalyzeBy}} {
			if f.v != "" {
				return "", "", api.BadRequest(f.name, "only applies with reasoning %q", api.ReasoningGTAlign)
			}
		}
	}
	return mode, model, nil
}

func isKnownReasoning(m string) bool {
	for _, k := range KnownReasoning {
		if m == k {
			return true
		}
	}
	return false
}

// chatReasonError is the body of a GTAlign chat completion's error that comes with the
// result so far (in the nashd extension, like a successful answer's).
type chatReasonError struct {
	Error *api.APIError  `json:"error"`
	Nashd map[string]any `json:"nashd,omitempty"`
}

// chatGTAlign serves a chat completion in GTAlign reasoning mode: the message's content is
// the response block; the thinking, payoff and analysis blocks go to reasoning_content
// (streamed first, as reasoning_content deltas); the result object rides in the nashd
// extension (of the last chunk when streaming).
func (s *Server) chatGTAlign(w http.ResponseWriter, r *http.Request, env *Env, req *api.ChatRequest, model string) {
	call, err := parseReason(req, model, env.Config)
	if err != nil {
		WriteError(w, err)
		return
	}
	id := newID("chatcmpl-")
	created := time.Now().Unix()
	fingerprint := "nashd-" + s.opts.Version
	ext := func(resp *api.ReasonResponse) map[string]any {
		return map[string]any{"config_generation": resp.Nashd.ConfigGeneration, "pricing_version": resp.Nashd.PricingVersion,
			"game_version": resp.Nashd.GameVersion, "reasoning": api.ReasoningGTAlign, "result": resp.Result}
	}
	writeErr := func(resp *api.ReasonResponse, err error) {
		ae, with := reasonError(err)
		if !with || resp == nil {
			WriteError(w, ae)
			return
		}
		writeJSON(w, ae.Status, chatReasonError{Error: ae, Nashd: ext(resp)})
	}
	usage := func(res *gtalign.Result) *api.Usage {
		u := res.Usage
		return &api.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	finish := func(res *gtalign.Result) string {
		if res.Truncated {
			return "length"
		}
		return "stop"
	}

	if !req.Stream {
		var reasoning strings.Builder
		resp, err := s.runReason(r.Context(), env, call, func(kind, text string) error {
			if kind == gtalign.KindReasoning {
				reasoning.WriteString(text)
			}
			return nil
		})
		if err != nil {
			writeErr(resp, err)
			return
		}
		res := resp.Result
		content, rc, fr := res.Response, reasoning.String(), finish(res)
		writeJSON(w, http.StatusOK, api.ChatResponse{
			ID: id, Object: "chat.completion", Created: created, Model: resp.Model, SystemFingerprint: fingerprint,
			Choices: []api.ChatChoice{{Index: 0, Message: &api.OutMessage{Role: "assistant", Content: &content, ReasoningContent: &rc},
				FinishReason: &fr, Logprobs: json.RawMessage("null")}},
			Usage: usage(res), Timings: passTimings(res), Nashd: ext(resp),
		})
		return
	}

	// Streaming: headers go out with the first delta, so errors before it keep their status.
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	modelName := model
	if modelName == "" || modelName == "default" {
		modelName = env.Config.Models.Default
	}
	chunk := func(delta *api.OutMessage, finish *string) api.ChatResponse {
		return api.ChatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: modelName, SystemFingerprint: fingerprint,
			Choices: []api.ChatChoice{{Index: 0, Delta: delta, FinishReason: finish, Logprobs: json.RawMessage("null")}}}
	}
	start := func() error {
		if sse.started {
			return nil
		}
		sse.start()
		empty := ""
		return sse.send(chunk(&api.OutMessage{Role: "assistant", Content: &empty}, nil))
	}
	resp, err := s.runReason(r.Context(), env, call, func(kind, text string) error {
		if err := start(); err != nil {
			return err
		}
		d := &api.OutMessage{}
		if kind == gtalign.KindReasoning {
			d.ReasoningContent = &text
		} else {
			d.Content = &text
		}
		return sse.send(chunk(d, nil))
	})
	if resp != nil {
		modelName = resp.Model
	}
	if err != nil {
		if !sse.started {
			writeErr(resp, err)
			return
		}
		if errors.Is(err, context.Canceled) || sse.failed {
			return // the client is gone
		}
		ae, with := reasonError(err)
		body := chatReasonError{Error: ae}
		if with && resp != nil {
			body.Nashd = ext(resp)
		}
		sse.send(body)
		sse.done()
		return
	}
	if err := start(); err != nil {
		return
	}
	res := resp.Result
	fr := finish(res)
	last := chunk(&api.OutMessage{}, &fr)
	last.Timings = passTimings(res)
	last.Nashd = ext(resp)
	sse.send(last)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := chunk(nil, nil)
		u.Choices = []api.ChatChoice{}
		u.Usage = usage(res)
		sse.send(u)
	}
	sse.done()
}

// passTimings sums a GTAlign call's passes in llama-server's timings form: prompt_n counts
// the prompt tokens evaluated (cache_n of them were reused), predicted_n the generated ones.
func passTimings(res *gtalign.Result) *inference.Timings {
	var t inference.Timings
	for _, p := range res.Passes {
		t.CacheN += p.CacheN
		t.PromptN += p.PromptTokens - p.CacheN
		t.PromptMS += p.PromptMS
		t.PredictedN += p.GeneratedTokens
		t.PredictedMS += p.GenerateMS
	}
	if t.PromptMS > 0 {
		t.PromptPerSecond = float64(t.PromptN) / (t.PromptMS / 1000)
	}
	if t.PredictedMS > 0 {
		t.PredictedPerSecond = float64(t.PredictedN) / (t.PredictedMS / 1000)
	}
	return &t
}

package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference"
)

func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// chat serves POST /v1/chat/completions.
func (s *Server) chat(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.ChatRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	mode, name, err := chatMode(&req, env.Config.Daemon.Reasoning.Mode)
	if err != nil {
		WriteError(w, err)
		return
	}
	if mode == api.ReasoningGTAlign {
		s.chatGTAlign(w, r, env, &req, name)
		return
	}
	req.Model = name
	msgs, err := chatMessages(&req)
	if err != nil {
		WriteError(w, err)
		return
	}
	gen, err := chatGeneration(&req)
	if err != nil {
		WriteError(w, err)
		return
	}
	if err := gen.Validate(); err != nil {
		WriteError(w, err)
		return
	}
	lease, err := env.Acquire(req.Model)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer lease.Release()
	prompt, err := lease.Model().ChatPrompt(msgs)
	if err != nil {
		WriteError(w, api.BadRequest("messages", "chat template: %v", err))
		return
	}
	gen.Prompt = prompt
	ctx, cancel := context.WithTimeout(r.Context(), env.Config.Daemon.Server.RequestTimeout.D())
	defer cancel()

	id := newID("chatcmpl-")
	created := time.Now().Unix()
	model := lease.Name()
	ext := map[string]any{"config_generation": env.Config.Generation, "pricing_version": env.Config.PricingVersion()}
	fingerprint := "nashd-" + s.opts.Version

	if !req.Stream {
		res, err := lease.Generate(ctx, gen, nil)
		s.finishGeneration(env, res, err)
		if err != nil {
			WriteError(w, err)
			return
		}
		text := res.Text
		fr := finishReason(res.StopReason)
		writeJSON(w, http.StatusOK, api.ChatResponse{
			ID: id, Object: "chat.completion", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []api.ChatChoice{{Index: 0, Message: &api.OutMessage{Role: "assistant", Content: &text}, FinishReason: &fr, Logprobs: json.RawMessage("null")}},
			Usage:   &api.Usage{PromptTokens: res.PromptTokens, CompletionTokens: len(res.Tokens), TotalTokens: res.PromptTokens + len(res.Tokens)},
			Timings: &res.Timings, Nashd: ext,
		})
		return
	}

	// Streaming: headers go out with the first token, so errors before it (prompt too
	// long, bad grammar) still get their status.
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	chunk := func(delta *api.OutMessage, finish *string) api.ChatResponse {
		return api.ChatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []api.ChatChoice{{Index: 0, Delta: delta, FinishReason: finish, Logprobs: json.RawMessage("null")}}}
	}
	start := func() error {
		if sse.started {
			return nil
		}
		sse.start()
		role := ""
		return sse.send(chunk(&api.OutMessage{Role: "assistant", Content: &role}, nil))
	}
	res, err := lease.Generate(ctx, gen, func(t inference.Token) error {
		if err := start(); err != nil {
			return err
		}
		if t.Text == "" {
			return nil
		}
		text := t.Text
		return sse.send(chunk(&api.OutMessage{Content: &text}, nil))
	})
	s.finishGeneration(env, res, err)
	if err != nil {
		if !sse.started {
			WriteError(w, err)
			return
		}
		if errors.Is(err, context.Canceled) || sse.failed {
			return // the client is gone
		}
		ae := AsAPIError(err)
		sse.send(api.ErrorBody{Error: ae})
		sse.done()
		return
	}
	if err := start(); err != nil {
		return
	}
	fr := finishReason(res.StopReason)
	last := chunk(&api.OutMessage{}, &fr)
	last.Timings = &res.Timings
	last.Nashd = ext
	sse.send(last)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := api.ChatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []api.ChatChoice{}, Usage: &api.Usage{PromptTokens: res.PromptTokens, CompletionTokens: len(res.Tokens), TotalTokens: res.PromptTokens + len(res.Tokens)}}
		sse.send(u)
	}
	sse.done()
}

func (s *Server) finishGeneration(env *Env, res inference.Result, err error) {
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		s.metrics.cancelled.Inc()
	}
	env.RecordTokens(res.PromptTokens, len(res.Tokens), res.Timings.PredictedMS)
}

func finishReason(stop string) string {
	switch stop {
	case inference.StopLength:
		return "length"
	default:
		return "stop"
	}
}

// sseWriter writes Server-Sent Events, flushing each one.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	failed  bool
}

func (s *sseWriter) start() {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	s.started = true
}

func (s *sseWriter) send(v any) error {
	if s.failed {
		return errClientGone
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	buf = append(buf, "\n\n"...)
	if _, err := s.w.Write(buf); err != nil {
		s.failed = true
		return errClientGone
	}
	if err := s.rc.Flush(); err != nil {
		s.failed = true
		return errClientGone
	}
	return nil
}

func (s *sseWriter) done() {
	if s.failed {
		return
	}
	s.w.Write([]byte("data: [DONE]\n\n"))
	s.rc.Flush()
}

var errClientGone = fmt.Errorf("client disconnected: %w", context.Canceled)

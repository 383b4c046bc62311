package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/remote"
)

// completionRoutes registers OpenAI's completions API and llama-server's helper endpoints,
// so llama-server clients work against nashd and one nashd can be another's remote backend
// (package inference/remote, dialect "nashd").
func (s *Server) completionRoutes() {
	s.Handle("POST /v1/completions", s.completions)
	s.Handle("POST /tokenize", s.tokenize)
	s.Handle("POST /apply-template", s.applyTemplate)
	s.Handle("GET /props", s.props)
}

// completionPrompt parses the prompt field: a string, an array of token ids, or an array of
// one string.
func completionPrompt(raw json.RawMessage) (text string, ids []int32, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil, api.BadRequest("prompt", "missing")
	}
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", nil, api.BadRequest("prompt", "invalid string")
		}
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return "", nil, api.BadRequest("prompt", "expected a string, an array of token ids or an array of one string")
		}
		if len(list) == 1 && bytes.HasPrefix(bytes.TrimSpace(list[0]), []byte(`"`)) {
			return completionPrompt(list[0])
		}
		if err := json.Unmarshal(raw, &ids); err != nil {
			return "", nil, api.BadRequest("prompt", "expected token ids (integers) or one string; batched prompts are not supported")
		}
		if len(ids) == 0 {
			return "", nil, api.BadRequest("prompt", "no tokens")
		}
		return "", ids, nil
	default:
		return "", nil, api.BadRequest("prompt", "expected a string or an array of token ids")
	}
	if text == "" {
		return "", nil, api.BadRequest("prompt", "empty")
	}
	return text, nil, nil
}

// completionGeneration builds the inference request of a completions body.
func completionGeneration(c *api.CompletionRequest) (inference.Request, error) {
	if c.Echo {
		return inference.Request{}, api.BadRequest("echo", "not supported")
	}
	max := c.MaxTokens
	if max == nil && c.NPredict != nil && *c.NPredict >= 0 {
		max = c.NPredict
	}
	// The sampling fields are chat's: validate them the same way.
	req, err := chatGeneration(&api.ChatRequest{MaxTokens: max, Temperature: c.Temperature, TopP: c.TopP, TopK: c.TopK,
		MinP: c.MinP, RepeatPenalty: c.RepeatPenalty, Seed: c.Seed, Stop: c.Stop, N: c.N, Grammar: c.Grammar})
	if err != nil {
		return req, err
	}
	if c.RepeatLastN != nil {
		if *c.RepeatLastN < 0 {
			return req, api.BadRequest("repeat_last_n", "%d < 0", *c.RepeatLastN)
		}
		req.Sampling.RepeatLastN = *c.RepeatLastN
	}
	if req.Prompt, req.Tokens, err = completionPrompt(c.Prompt); err != nil {
		return req, err
	}
	req.AddSpecial = c.AddSpecial == nil || *c.AddSpecial
	return req, req.Validate()
}

// completions serves POST /v1/completions.
func (s *Server) completions(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.CompletionRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	gen, err := completionGeneration(&req)
	if err != nil {
		WriteError(w, err)
		return
	}
	lease, err := env.Acquire(modelName(req.Model))
	if err != nil {
		WriteError(w, err)
		return
	}
	defer lease.Release()
	ctx, cancel := context.WithTimeout(r.Context(), env.Config.Daemon.Server.RequestTimeout.D())
	defer cancel()
	id, created, model, fp := newID("cmpl-"), time.Now().Unix(), lease.Name(), "nashd-"+s.opts.Version
	resp := func(choices []api.CompletionChoice) api.CompletionResponse {
		return api.CompletionResponse{ID: id, Object: "text_completion", Created: created, Model: model, SystemFingerprint: fp, Choices: choices}
	}
	choice := func(text string, finish *string) []api.CompletionChoice {
		return []api.CompletionChoice{{Text: text, Logprobs: json.RawMessage("null"), FinishReason: finish}}
	}
	use := func(res inference.Result) *api.Usage {
		return &api.Usage{PromptTokens: res.PromptTokens, CompletionTokens: len(res.Tokens), TotalTokens: res.PromptTokens + len(res.Tokens)}
	}
	if !req.Stream {
		res, err := lease.Generate(ctx, gen, nil)
		s.finishGeneration(env, res, err)
		if err != nil {
			WriteError(w, err)
			return
		}
		fr := finishReason(res.StopReason)
		out := resp(choice(res.Text, &fr))
		out.Usage, out.Timings, out.StoppingWord = use(res), &res.Timings, res.StoppedBy
		if req.ReturnTokens {
			out.Tokens = res.Tokens
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	// Streaming: one chunk per token event, carrying its id (text may be empty while a
	// character is incomplete or a stop string undecided), so a remote nashd rebuilds the
	// token sequence exactly. Errors before the first token keep their status.
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	res, err := lease.Generate(ctx, gen, func(t inference.Token) error {
		if !sse.started {
			sse.start()
		}
		c := resp(choice(t.Text, nil))
		c.Tokens = []int32{t.ID}
		return sse.send(c)
	})
	s.finishGeneration(env, res, err)
	if err != nil {
		if !sse.started {
			WriteError(w, err)
			return
		}
		if errors.Is(err, context.Canceled) || sse.failed {
			return
		}
		sse.send(api.ErrorBody{Error: AsAPIError(err)})
		sse.done()
		return
	}
	if !sse.started {
		sse.start()
	}
	fr := finishReason(res.StopReason)
	last := resp(choice("", &fr))
	last.Timings, last.StoppingWord = &res.Timings, res.StoppedBy
	sse.send(last)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := resp([]api.CompletionChoice{})
		u.Usage = use(res)
		sse.send(u)
	}
	sse.done()
}

// modelName maps llama-server clients' placeholder names to the serving default.
func modelName(m string) string {
	if m == "default" {
		return ""
	}
	return m
}

// tokenize serves POST /tokenize (llama-server's shape).
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.TokenizeRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	lease, err := env.Acquire(modelName(req.Model))
	if err != nil {
		WriteError(w, err)
		return
	}
	defer lease.Release()
	toks, err := lease.Model().Tokenize(req.Content, req.AddSpecial)
	if err != nil {
		WriteError(w, err)
		return
	}
	if toks == nil {
		toks = []int32{}
	}
	writeJSON(w, http.StatusOK, api.TokenizeResponse{Tokens: toks})
}

// applyTemplate serves POST /apply-template (llama-server's): the chat template applied to
// messages, the assistant's turn opened.
func (s *Server) applyTemplate(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.ApplyTemplateRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	msgs, err := chatMessages(&api.ChatRequest{Messages: req.Messages})
	if err != nil {
		WriteError(w, err)
		return
	}
	lease, err := env.Acquire(modelName(req.Model))
	if err != nil {
		WriteError(w, err)
		return
	}
	defer lease.Release()
	p, err := lease.Model().ChatPrompt(msgs)
	if err != nil {
		WriteError(w, api.BadRequest("messages", "chat template: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, api.ApplyTemplateResponse{Prompt: p})
}

// props serves GET /props (?model=NAME; default the serving model): the chat template,
// context size per slot, slots and vocabulary.
func (s *Server) props(w http.ResponseWriter, r *http.Request, env *Env) {
	lease, err := env.Acquire(modelName(r.URL.Query().Get("model")))
	if err != nil {
		WriteError(w, err)
		return
	}
	defer lease.Release()
	info := lease.Info()
	writeJSON(w, http.StatusOK, api.PropsResponse{ChatTemplate: info.ChatTemplate, DefaultSettings: api.GenerationProps{NCtx: info.ContextSize},
		TotalSlots: info.Slots, ModelPath: info.Path, NVocab: info.VocabSize, BuildInfo: "nashd-" + s.opts.Version})
}

// remoteProbeTimeout bounds the reachability probe of a remote model that is not loaded.
const remoteProbeTimeout = 2 * time.Second

// remoteModel converts a remote generator's status to its wire form.
func remoteModel(r remote.Status) *api.RemoteModel {
	return &api.RemoteModel{URL: r.URL, Dialect: r.Dialect, ServedName: r.Model, Reachable: r.Reachable, LastError: r.LastError,
		Retries: r.Retries, Faults: r.Faults}
}

// remoteEntry describes a remote model for GET /v1/models: the serving one as its generator
// last found the server, any other by probing the server now.
func remoteEntry(ctx context.Context, spec *config.Spec, st modelmgr.Status) *api.RemoteModel {
	if m := st.Serving; m != nil && m.Name == spec.Name && m.Remote != nil {
		return remoteModel(*m.Remote)
	}
	opts := modelloadRemoteOptions(spec)
	opts.Timeout = remoteProbeTimeout
	ctx, cancel := context.WithTimeout(ctx, remoteProbeTimeout)
	defer cancel()
	g, err := remote.Open(ctx, opts)
	if err != nil {
		shown := spec.Remote.URL // config validation rejects credentials in the URL
		return &api.RemoteModel{URL: shown, Dialect: spec.Remote.Dialect, ServedName: spec.Remote.ServedName, LastError: err.Error()}
	}
	defer g.Close()
	return remoteModel(g.Status())
}

// modelloadRemoteOptions maps a remote spec to the generator's options (as
// daemon/modelload.RemoteOptions does; the daemon does not import the loader).
func modelloadRemoteOptions(spec *config.Spec) remote.Options {
	r := spec.Remote
	return remote.Options{URL: r.URL, Model: r.ServedName, Dialect: r.Dialect, APIKeyEnv: r.APIKeyEnv,
		MaxConcurrency: 1, ChatTemplate: r.ChatTemplate}
}

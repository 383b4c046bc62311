package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/gtalign"
	"github.com/nashd/nashd/reasoning/pricing"
)

// KnownReasoning lists the reasoning modes the API accepts; "none" is plain chat.
var KnownReasoning = []string{api.ReasoningNone, api.ReasoningGTAlign}

// splitModel splits a model alias "NAME@MODE" into the model's name and the reasoning mode
// it selects ("" without an alias). An unknown mode is a 404 for the model.
func splitModel(model string) (name, mode string, err error) {
	name, mode, ok := strings.Cut(model, "@")
	if !ok {
		return model, "", nil
	}
	switch mode {
	case api.ReasoningNone, api.ReasoningGTAlign:
		return name, mode, nil
	}
	return "", "", &api.APIError{Status: http.StatusNotFound, Message: fmt.Sprintf("model %q: unknown reasoning alias @%s (want NAME@%s or NAME@%s)", model, mode, api.ReasoningGTAlign, api.ReasoningNone),
		Type: api.TypeInvalidRequest, Param: "model", Code: "model_not_found"}
}

// reasonCall is a validated GTAlign request.
type reasonCall struct {
	model string // the configured model's name ("" = the serving default)
	msgs  []inference.Message
	opts  gtalign.Options // rule, policy, analyze_by, sampling, response cap
}

// parseReason validates a chat-completions body for GTAlign reasoning on model (the alias
// stripped): the messages, the sampling fields, and rule, policy and analyze_by, which
// default to nashd.toml's [reasoning]. Fields GTAlign cannot honour are 400s naming them.
func parseReason(req *api.ChatRequest, model string, snap *config.Snapshot) (*reasonCall, error) {
	def := snap.Daemon.Reasoning
	pick := func(v, d string) string {
		if v != "" {
			return v
		}
		return d
	}
	call := &reasonCall{model: model}
	var err error
	if call.opts.Rule, err = gtalign.ParseRule(pick(req.Rule, def.SelectionRule)); err != nil {
		return nil, api.BadRequest("rule", "%q is not %q or %q", req.Rule, gtalign.RuleWelfare, gtalign.RuleNashProduct)
	}
	if call.opts.Policy, err = gtalign.ParsePolicy(pick(req.Policy, def.MismatchPolicy)); err != nil {
		return nil, api.BadRequest("policy", "%q is not %q, %q or %q", req.Policy, gtalign.PolicyOverride, gtalign.PolicyAnnotate, gtalign.PolicyReject)
	}
	if call.opts.AnalyzeBy, err = gtalign.ParseAnalyzeBy(pick(req.AnalyzeBy, def.AnalyzeBy)); err != nil {
		return nil, api.BadRequest("analyze_by", "%q is not %q or %q", req.AnalyzeBy, gtalign.AnalyzeByModel, gtalign.AnalyzeBySolver)
	}
	if call.msgs, err = chatMessages(req); err != nil {
		return nil, err
	}
	gen, err := chatGeneration(req)
	if err != nil {
		return nil, err
	}
	switch {
	case len(gen.Stop) > 0:
		return nil, api.BadRequest("stop", "not supported with GTAlign reasoning (the game's grammar ends every block)")
	case req.ResponseFormat != nil && req.ResponseFormat.Type != "" && req.ResponseFormat.Type != "text":
		return nil, api.BadRequest("response_format", "not supported with GTAlign reasoning (the game's grammar shapes the answer; use reasoning \"none\")")
	case gen.Grammar != "":
		return nil, api.BadRequest("grammar", "not supported with GTAlign reasoning (the game's grammar shapes the answer; use reasoning \"none\")")
	}
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	call.opts.Sampling = gen.Sampling
	call.opts.MaxResponseTokens = gen.MaxTokens
	return call, nil
}

// leaseGen lets the reasoning pipeline generate on a leased model: Generate runs on the
// lease's slots (FIFO, like every request), the other calls go to the model, and Close does
// nothing (the model manager owns the model).
type leaseGen struct{ l *modelmgr.Lease }

func (g leaseGen) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	return g.l.Generate(ctx, req, onToken)
}
func (g leaseGen) ChatPrompt(msgs []inference.Message) (string, error) {
	return g.l.Model().ChatPrompt(msgs)
}
func (g leaseGen) Tokenize(text string, addSpecial bool) ([]int32, error) {
	return g.l.Model().Tokenize(text, addSpecial)
}
func (g leaseGen) Info() inference.ModelInfo { return g.l.Info() }
func (g leaseGen) Close() error              { return nil }

// pricingPlan resolves the snapshot's pricing for one request, with the learned lengths, and
// checks that it prices every strategy of the game.
func pricingPlan(snap *config.Snapshot, l *pricing.Lengths) (*pricing.Plan, error) {
	plan, err := pricing.NewPlan(snap.Pricing, snap.PricingVersion(), l.Means())
	if err != nil {
		return nil, fmt.Errorf("pricing plan: %w", err) // the snapshot's pricing was validated: a bug
	}
	if err := plan.Covers(snap.GTAlign.Game().StrategyIDs()); err != nil {
		return plan, &api.APIError{Status: http.StatusServiceUnavailable, Type: api.TypeReasoning, Code: api.CodePricingIncomplete,
			Message: fmt.Sprintf("%s: %v: every strategy of %s needs an expected length (fix the file; it reloads)", config.PricingFile, err, snap.GTAlignFile)}
	}
	return plan, nil
}

// runReason runs GTAlign's passes for call on a leased model, with the pricing plan of the
// request's config and the learned lengths. onDelta (nil for none) receives the transcript
// as it is written. After a complete response it records the applied strategy's response
// length. The response is nil only when the pipeline did not start; on a rejection or an
// unparseable payoff block it carries the result so far beside the error.
func (s *Server) runReason(ctx context.Context, env *Env, call *reasonCall, onDelta func(kind, text string) error) (*api.ReasonResponse, error) {
	snap := env.Config
	lengths := s.lengths.get(snap)
	plan, err := pricingPlan(snap, lengths)
	if err != nil {
		return nil, err
	}
	lease, err := env.Acquire(call.model)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	ctx, cancel := context.WithTimeout(ctx, snap.Daemon.Server.RequestTimeout.D())
	defer cancel()
	opts := call.opts
	opts.Pricing = plan
	opts.OnDelta = onDelta
	res, err := snap.GTAlign.Reason(ctx, leaseGen{lease}, call.msgs, &opts)
	if res == nil {
		return nil, err
	}
	var genMS float64
	for _, p := range res.Passes {
		genMS += p.GenerateMS
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.metrics.cancelled.Inc()
	}
	env.RecordTokens(res.Usage.PromptTokens, res.Usage.CompletionTokens, genMS)
	s.metrics.reasonRetries.Add(float64(res.Retries))
	resp := &api.ReasonResponse{ID: newID("reason-"), Object: api.ReasonObject, Created: time.Now().Unix(), Model: lease.Name(), Result: res,
		Nashd: api.ReasonProvenance{Reasoning: api.ReasoningGTAlign, ConfigGeneration: snap.Generation, PricingVersion: snap.PricingVersion(), GameVersion: snap.GameVersion()}}
	lease.Release()
	if err != nil {
		return resp, err
	}
	if strategy, n, ok := res.ObservedLength(); ok {
		s.lengths.observe(lengths, strategy, n)
	}
	return resp, nil
}

// reasonError maps a reasoning error to its API error, and says whether the answer carries
// the result so far (a rejected analysis, a payoff block that did not parse).
func reasonError(err error) (ae *api.APIError, withResult bool) {
	var rej *gtalign.RejectedError
	switch {
	case errors.As(err, &rej):
		return &api.APIError{Status: http.StatusUnprocessableEntity, Message: err.Error(), Type: api.TypeReasoning, Param: "policy", Code: api.CodeAnalysisRejected}, true
	case errors.Is(err, gtalign.ErrParse):
		return &api.APIError{Status: http.StatusBadGateway, Message: "the model's output did not parse: " + err.Error(), Type: api.TypeReasoning, Code: api.CodeModelOutput}, true
	}
	return AsAPIError(err), false
}

// reason serves POST /v1/reason.
func (s *Server) reason(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.ReasonRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	name, mode, err := splitModel(req.Model)
	if err != nil {
		WriteError(w, err)
		return
	}
	switch {
	case req.Reasoning != "" && req.Reasoning != api.ReasoningGTAlign:
		WriteError(w, api.BadRequest("reasoning", "%q: /v1/reason runs GTAlign reasoning (use /v1/chat/completions for other modes)", req.Reasoning))
		return
	case mode == api.ReasoningNone:
		WriteError(w, api.BadRequest("model", "%q: /v1/reason runs GTAlign reasoning", req.Model))
		return
	}
	call, err := parseReason(&req, name, env.Config)
	if err != nil {
		WriteError(w, err)
		return
	}
	if !req.Stream {
		resp, err := s.runReason(r.Context(), env, call, nil)
		if err != nil {
			writeReasonError(w, resp, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	// Streaming: headers go out with the first delta, so errors before it keep their status.
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	resp, err := s.runReason(r.Context(), env, call, func(kind, text string) error {
		if !sse.started {
			sse.start()
		}
		return sse.send(api.ReasonEvent{Kind: kind, Text: text})
	})
	if err != nil {
		if !sse.started {
			writeReasonError(w, resp, err)
			return
		}
		if errors.Is(err, context.Canceled) || sse.failed {
			return // the client is gone
		}
		ae, with := reasonError(err)
		ev := api.ReasonEvent{Error: ae}
		if with {
			ev.Result = resp
		}
		sse.send(ev)
		sse.done()
		return
	}
	if !sse.started {
		sse.start()
	}
	sse.send(api.ReasonEvent{Kind: api.EventResult, Result: resp})
	sse.done()
}

// writeReasonError writes a reasoning error, with the result so far where it has one.
func writeReasonError(w http.ResponseWriter, resp *api.ReasonResponse, err error) {
	ae, with := reasonError(err)
	if !with || resp == nil {
		WriteError(w, ae)
		return
	}
	writeJSON(w, ae.Status, api.ReasonErrorBody{Error: ae, Result: resp})
}

package gtalign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/reasoning/pricing"
)

var question = []inference.Message{{Role: "user", Content: "What is the capital of France?"}}

// The model's pass-1 output used by most cases: DQ_DA is the solver's choice under welfare
// (8.5), VQ_AQ the runner-up on the frontier (6.5 … see the payoffs).
var script1 = pass1("The question is clear, so a direct answer serves both sides.", validPayoff)

// recorder collects streamed deltas by kind, checking kinds arrive reasoning first.
type recorder struct {
	reasoning, content strings.Builder
	order              []string
}

func (r *recorder) onDelta(kind, text string) error {
	if len(r.order) == 0 || r.order[len(r.order)-1] != kind {
		r.order = append(r.order, kind)
	}
	switch kind {
	case KindReasoning:
		r.reasoning.WriteString(text)
	case KindContent:
		r.content.WriteString(text)
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	return nil
}

func newReasoner(t *testing.T, g *Game) *Reasoner {
	t.Helper()
	r, err := New(g)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func runes(s string) []int32 {
	var out []int32
	for _, r := range s {
		out = append(out, r)
	}
	return out
}

// checkRequests verifies that every request's tokens are its prompt's (fakegen tokens are
// code points) and that each prompt extends what the generator holds from the previous
// request by exactly the text nashd injected, with CacheN reusing all of it.
func checkRequests(t *testing.T, gen *fakegen.Generator, res *Result, replies []string) {
	t.Helper()
	reqs := gen.Requests()
	if len(reqs) != len(res.Passes) {
		t.Fatalf("%d requests, %d passes", len(reqs), len(res.Passes))
	}
	for i, req := range reqs {
		if !slices.Equal(req.Tokens, runes(req.Prompt)) {
			t.Errorf("request %d: tokens are not the prompt's", i)
		}
		if i == 0 {
			continue
		}
		held := reqs[i-1].Prompt + replies[i-1]
		want := 0
		for want < len(held) && want < len(req.Prompt) && held[want] == req.Prompt[want] {
			want++
		}
		want = len([]rune(req.Prompt[:want]))
		if got := res.Passes[i].CacheN; got != want {
			t.Errorf("pass %d (%s): cache_n %d, want %d (the common prefix with the held tokens)", i, res.Passes[i].Name, got, want)
		}
	}
}

func TestReasonAgree(t *testing.T) {
	replies := []string{script1, "frontier: DQ_DA\nchoice: DQ_DA\n</analyze>", "Paris is the capital of France.\n</response>"}
	gen := fakegen.New(fakegen.Replies(replies...), nil)
	r := newReasoner(t, Default())
	var rec recorder
	sampling := inference.DefaultSampling(3)
	res, err := r.Reason(context.Background(), gen, question, &Options{OnDelta: rec.onDelta, Sampling: sampling})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ParsePayoff(Default(), validPayoff)
	switch {
	case !slices.Equal(res.Matrix.Keys(), want.Keys()) || res.Matrix[0] != want[0]:
		t.Errorf("Matrix = %+v", res.Matrix)
	case strings.Join(res.Frontier, " ") != "DQ_DA":
		t.Errorf("Frontier = %v", res.Frontier)
	case res.ModelChoice != "DQ_DA" || res.SolverChoice != "DQ_DA" || !res.Agree || !res.FrontierAgree:
		t.Errorf("choices: %+v", res)
	case res.Applied != "DQ_DA" || res.AppliedStrategy != "DA" || res.Policy != PolicyOverride || res.Rule != RuleWelfare || res.AnalyzeBy != AnalyzeByModel:
		t.Errorf("applied: %+v", res)
	case res.Thinking != "The question is clear, so a direct answer serves both sides." || res.Analyze != "frontier: DQ_DA\nchoice: DQ_DA":
		t.Errorf("blocks: %q %q", res.Thinking, res.Analyze)
	case res.Response != "Paris is the capital of France." || res.Truncated || !res.ResponseCheck.OK:
		t.Errorf("response: %+v", res)
	case res.Pricing != nil:
		t.Errorf("Pricing = %+v without a plan", res.Pricing)
	}
	wantTranscript := script1 + analyzeOpen + replies[1] + responseOpen + replies[2]
	if res.Transcript != wantTranscript {
		t.Errorf("Transcript =\n%s\nwant\n%s", res.Transcript, wantTranscript)
	}
	if _, err := ParseTranscript(res.Transcript); err != nil {
		t.Errorf("the transcript does not parse: %v", err)
	}
	// Passes: names, lengths, cache reuse of everything before.
	if len(res.Passes) != 3 || res.Passes[0].Name != "payoff" || res.Passes[1].Name != "analyze" || res.Passes[2].Name != "response" {
		t.Fatalf("Passes = %+v", res.Passes)
	}
	for i := 1; i < 3; i++ {
		prev := res.Passes[i-1]
		if got := res.Passes[i].CacheN; got != prev.PromptTokens+prev.GeneratedTokens {
			t.Errorf("pass %d: cache_n %d, want %d", i, got, prev.PromptTokens+prev.GeneratedTokens)
		}
	}
	checkRequests(t, gen, res, replies)
	reqs := gen.Requests()
	gr := r.Grammars()
	if reqs[0].Grammar != gr.Payoff || reqs[1].Grammar != gr.Analyze || reqs[2].Grammar != gr.Response["DA"] {
		t.Error("a pass used the wrong grammar")
	}
	for _, req := range reqs {
		if req.Sampling != sampling || req.MaxTokens <= 0 {
			t.Errorf("request sampling %+v, max tokens %d", req.Sampling, req.MaxTokens)
		}
	}
	if !strings.Contains(reqs[0].Prompt, SystemPrompt(Default(), RuleWelfare)) || !strings.Contains(reqs[0].Prompt, question[0].Content) {
		t.Error("pass 1's prompt lacks the system prompt or the question")
	}
	u := res.Usage
	if u.PromptTokens != res.Passes[0].PromptTokens || u.CompletionTokens != len(runes(strings.Join(replies, ""))) ||
		u.TotalTokens != u.PromptTokens+u.CompletionTokens || u.CacheN != res.Passes[1].CacheN+res.Passes[2].CacheN ||
		u.ContextTokens != len(runes(reqs[0].Prompt+res.Transcript)) {
		t.Errorf("Usage = %+v", u)
	}
	// Streaming: reasoning (the transcript up to </analyze>), then content (the response).
	if !slices.Equal(rec.order, []string{KindReasoning, KindContent}) {
		t.Errorf("delta kinds in order %v", rec.order)
	}
	if rec.reasoning.String() != script1+analyzeOpen+replies[1] || rec.content.String() != res.Response {
		t.Errorf("streamed reasoning %q\ncontent %q", rec.reasoning.String(), rec.content.String())
	}
	if s, n, ok := res.ObservedLength(); !ok || s != "DA" || n != len(runes(replies[2])) {
		t.Errorf("ObservedLength = %s, %d, %v", s, n, ok)
	}
	// The result object's JSON has the field names.
	b, _ := json.Marshal(res)
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(b, &obj)
	for _, k := range []string{"matrix", "transformed", "frontier", "model_choice", "solver_choice", "agree", "applied", "policy",
		"rule", "pricing", "thinking", "analyze", "response", "usage", "passes"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("result JSON lacks %q", k)
		}
	}
	if !strings.Contains(string(obj["passes"]), `"cache_n":`) || !strings.Contains(string(obj["matrix"]), `"DQ_DA":{"LLM":4.2,"user":4.3}`) {
		t.Errorf("result JSON: %s", b)
	}
}

// The model picks VQ_AQ, the solver DQ_DA.
var wrongAnalysis = "frontier: DQ_DA, VQ_AQ\nchoice: VQ_AQ\n</analyze>"

func TestReasonOverride(t *testing.T) {
	replies := []string{script1, wrongAnalysis, "Paris.\n</response>"}
	gen := fakegen.New(fakegen.Replies(replies...), nil)
	r := newReasoner(t, Default())
	var rec recorder
	res, err := r.Reason(context.Background(), gen, question, &Options{OnDelta: rec.onDelta})
	if err != nil {
		t.Fatal(err)
	}
	if res.Agree || res.FrontierAgree || res.ModelChoice != "VQ_AQ" || res.SolverChoice != "DQ_DA" || res.Applied != "DQ_DA" ||
		strings.Join(res.ModelFrontier, " ") != "DQ_DA VQ_AQ" {
		t.Errorf("override: %+v", res)
	}
	solver := "frontier: DQ_DA\nchoice: DQ_DA"
	if res.Analyze != solver || res.ModelAnalyze != strings.TrimSuffix(wrongAnalysis, analyzeClose) {
		t.Errorf("Analyze %q, ModelAnalyze %q", res.Analyze, res.ModelAnalyze)
	}
	// The response pass continues from </payoff> with the solver's analysis: the model's
	// analysis is not in its context, and the response follows the solver's choice.
	reqs := gen.Requests()
	want := reqs[0].Prompt + script1 + analyzeOpen + solver + analyzeClose + responseOpen
	if reqs[2].Prompt != want || strings.Contains(reqs[2].Prompt, "VQ_AQ\n</analyze>") {
		t.Errorf("response prompt:\n%s", reqs[2].Prompt[len(reqs[0].Prompt):])
	}
	if reqs[2].Grammar != r.Grammars().Response["DA"] {
		t.Error("the response grammar is not the solver's strategy's")
	}
	if res.Transcript != script1+analyzeOpen+solver+analyzeClose+responseOpen+replies[2] {
		t.Errorf("Transcript:\n%s", res.Transcript)
	}
	checkRequests(t, gen, res, replies)
	// Everything up to the analysis the model wrote is reused.
	if res.Passes[2].CacheN < res.Passes[1].PromptTokens {
		t.Errorf("response pass reused %d tokens, the analyze prompt has %d", res.Passes[2].CacheN, res.Passes[1].PromptTokens)
	}
	// The stream shows the analysis that stands, not the model's.
	if rec.reasoning.String() != script1+analyzeOpen+solver+analyzeClose {
		t.Errorf("streamed reasoning ends %q", rec.reasoning.String()[len(script1):])
	}
}

func TestReasonAnnotate(t *testing.T) {
	replies := []string{script1, wrongAnalysis, "Paris. Do you need its population too?\n</response>"}
	gen := fakegen.New(fakegen.Replies(replies...), nil)
	r := newReasoner(t, Default())
	res, err := r.Reason(context.Background(), gen, question, &Options{Policy: PolicyAnnotate})
	if err != nil {
		t.Fatal(err)
	}
	if res.Agree || res.Applied != "VQ_AQ" || res.AppliedStrategy != "AQ" || res.SolverChoice != "DQ_DA" || res.Policy != PolicyAnnotate {
		t.Errorf("annotate: %+v", res)
	}
	if res.Analyze != res.ModelAnalyze || !strings.Contains(res.Transcript, wrongAnalysis) {
		t.Errorf("the model's analysis was not kept: %q", res.Analyze)
	}
	if gen.Requests()[2].Grammar != r.Grammars().Response["AQ"] || !res.ResponseCheck.OK {
		t.Errorf("response: %+v", res.ResponseCheck)
	}
	for i := 1; i < 3; i++ {
		prev := res.Passes[i-1]
		if res.Passes[i].CacheN != prev.PromptTokens+prev.GeneratedTokens {
			t.Errorf("pass %d: cache_n %d, want %d", i, res.Passes[i].CacheN, prev.PromptTokens+prev.GeneratedTokens)
		}
	}
	checkRequests(t, gen, res, replies)
}

func TestReasonReject(t *testing.T) {
	gen := fakegen.New(fakegen.Replies(script1, wrongAnalysis), nil)
	r := newReasoner(t, Default())
	res, err := r.Reason(context.Background(), gen, question, &Options{Policy: PolicyReject})
	var rej *RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, ErrRejected) || rej.Result != res {
		t.Fatalf("Reason = %v, want a *RejectedError carrying the result", err)
	}
	if len(res.Matrix) != 6 || res.ModelChoice != "VQ_AQ" || res.SolverChoice != "DQ_DA" || res.Response != "" || len(res.Passes) != 2 {
		t.Errorf("rejected result: %+v", res)
	}
	if !strings.Contains(err.Error(), "the model chose VQ_AQ, the solver DQ_DA") {
		t.Errorf("error: %v", err)
	}
	// Agreement is not rejected.
	gen = fakegen.New(fakegen.Replies(script1, "frontier: DQ_DA\nchoice: DQ_DA\n</analyze>", "Paris.\n</response>"), nil)
	if _, err := r.Reason(context.Background(), gen, question, &Options{Policy: PolicyReject}); err != nil {
		t.Errorf("agreeing analysis rejected: %v", err)
	}
}

func TestReasonAnalyzeBySolver(t *testing.T) {
	replies := []string{script1, "Paris.\n</response>"}
	gen := fakegen.New(fakegen.Replies(replies...), nil)
	r := newReasoner(t, Default())
	var rec recorder
	res, err := r.Reason(context.Background(), gen, question, &Options{AnalyzeBy: AnalyzeBySolver, OnDelta: rec.onDelta})
	if err != nil {
		t.Fatal(err)
	}
	solver := "frontier: DQ_DA\nchoice: DQ_DA"
	if len(res.Passes) != 2 || res.Passes[1].Name != "response" || res.ModelChoice != "" || !res.Agree || res.Analyze != solver {
		t.Errorf("solver analysis: %+v", res)
	}
	if res.Passes[1].CacheN != res.Passes[0].PromptTokens+res.Passes[0].GeneratedTokens {
		t.Errorf("cache_n %d, want %d", res.Passes[1].CacheN, res.Passes[0].PromptTokens+res.Passes[0].GeneratedTokens)
	}
	if res.Transcript != script1+analyzeOpen+solver+analyzeClose+responseOpen+replies[1] {
		t.Errorf("Transcript:\n%s", res.Transcript)
	}
	if rec.reasoning.String() != script1+analyzeOpen+solver+analyzeClose || rec.content.String() != "Paris." {
		t.Errorf("stream: %q / %q", rec.reasoning.String(), rec.content.String())
	}
	checkRequests(t, gen, res, replies)
}

// An analysis the model wrote badly (possible only without a grammar) is a mismatch.
func TestReasonUnreadableAnalysis(t *testing.T) {
	bad := "frontier: DQ_XX\nchoice: DQ_DA\n</analyze>"
	for _, tt := range []struct {
		policy  Policy
		applied string
		err     error
	}{{PolicyOverride, "DQ_DA", nil}, {PolicyAnnotate, "DQ_DA", nil}, {PolicyReject, "", ErrRejected}} {
		gen := fakegen.New(fakegen.Replies(script1, bad, "Paris.\n</response>"), nil)
		res, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, &Options{Policy: tt.policy})
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Fatalf("%s: Reason = %v, want %v", tt.policy, err, tt.err)
		}
		if res.Agree || res.ModelChoice != "" || !strings.Contains(res.ModelAnalyzeError, "DQ_XX") || res.Applied != tt.applied {
			t.Errorf("%s: %+v", tt.policy, res)
		}
	}
	// Not closed by </analyze> (the generator stopped early).
	gen := fakegen.New(fakegen.Replies(script1, "frontier: DQ_DA\nchoice: DQ_DA", "Paris.\n</response>"), nil)
	res, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, nil)
	if err != nil || res.Agree || !strings.Contains(res.ModelAnalyzeError, "not closed") || res.Applied != "DQ_DA" {
		t.Errorf("unclosed analysis: %v, %+v", err, res)
	}
}

func TestReasonPass1Errors(t *testing.T) {
	tests := []struct {
		name, reply, block, field string
	}{
		{"out of range", pass1("x", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": 7,`, 1)), "payoff", "DQ_CQ.LLM"},
		{"missing key", pass1("x", strings.Replace(validPayoff, `"VQ_AQ"`, `"VQ_ZZ"`, 1)), "payoff", "VQ_ZZ"},
		{"no payoff block", "<thinking>\nhmm", "transcript", "thinking"},
		{"no thinking", "<payoff>{}</payoff>", "transcript", "thinking"},
		{"unclosed payoff", "<thinking>\nx\n</thinking>\n<payoff>\n{", "payoff", ""},
	}
	for _, tt := range tests {
		gen := fakegen.New(fakegen.Replies(tt.reply), nil)
		res, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, nil)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Block != tt.block || pe.Field != tt.field || !errors.Is(err, ErrParse) {
			t.Errorf("%s: Reason = %v, want a ParseError on %s %s", tt.name, err, tt.block, tt.field)
			continue
		}
		if res == nil || len(res.Passes) != 1 || res.Transcript != tt.reply || len(gen.Requests()) != 1 {
			t.Errorf("%s: result %+v", tt.name, res)
		}
	}
}

// With pricing, the solver decides on the transformed matrix, the result names the plan, and
// a model that chose on the raw payoffs is overridden.
func TestReasonPricing(t *testing.T) {
	// Welfare on the raw matrix: DQ_DA (8.5); make DA dear for the user so DQ_AQ (7.0) wins.
	plan := pricingPlan(t, map[string]int{"DA": 300, "CQ": 10, "AQ": 20}, pricing.PayerUser) // DA −3, AQ −0.2
	gen := fakegen.New(fakegen.Replies(script1, "frontier: DQ_DA\nchoice: DQ_DA\n</analyze>", "Paris. Anything else?\n</response>"), nil)
	res, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, &Options{Pricing: plan})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pricing != plan || res.Pricing.Version != "test" || res.Transformed[0].User != 1.3 || res.Matrix[0].User != 4.3 {
		t.Errorf("pricing: %+v / %+v", res.Pricing, res.Transformed[0])
	}
	if res.SolverChoice != "DQ_AQ" || res.Agree || res.Applied != "DQ_AQ" || res.AppliedStrategy != "AQ" {
		t.Errorf("choices: solver %s, model %s, applied %s", res.SolverChoice, res.ModelChoice, res.Applied)
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"pricing":{"version":"test"`) || !strings.Contains(string(b), `"costs":{`) {
		t.Errorf("result JSON pricing: %s", b)
	}
	// A plan without a length for one of the game's strategies is refused before any pass.
	partial := pricingPlan(t, map[string]int{"DA": 300}, pricing.PayerUser)
	gen = fakegen.New(fakegen.Replies(), nil)
	if _, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, &Options{Pricing: partial}); !errors.Is(err, ErrOptions) || len(gen.Requests()) != 0 {
		t.Errorf("partial plan: %v", err)
	}
}

func TestReasonResponse(t *testing.T) {
	// Form checks on what the generator returned (the fake does not enforce grammars).
	for _, tt := range []struct {
		analysis, reply string
		ok              bool
		problem         string
	}{
		{"frontier: DQ_CQ\nchoice: DQ_CQ\n</analyze>", "Which country?\n</response>", true, ""},
		{"frontier: DQ_CQ\nchoice: DQ_CQ\n</analyze>", "Which? Or what?\n</response>", false, "2 questions"},
		{"frontier: DQ_AQ\nchoice: DQ_AQ\n</analyze>", "Which country?\n</response>", false, "no answer before"},
	} {
		m := strings.Replace(validPayoff, `"DQ_CQ": {"LLM": 2, "user": 1.5}`, `"DQ_CQ": {"LLM": 5, "user": 5}`, 1)
		if strings.Contains(tt.analysis, "DQ_AQ") {
			m = strings.Replace(validPayoff, `"DQ_AQ": {"LLM": 3.1, "user": 3.9}`, `"DQ_AQ": {"LLM": 5, "user": 5}`, 1)
		}
		gen := fakegen.New(fakegen.Replies(pass1("x", m), tt.analysis, tt.reply), nil)
		res, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Agree || res.ResponseCheck.OK != tt.ok || !strings.Contains(res.ResponseCheck.Problem, tt.problem) {
			t.Errorf("%q: %+v (agree %v)", tt.reply, res.ResponseCheck, res.Agree)
		}
	}
	// A response cut by MaxResponseTokens: truncated, streamed in full, no observed length.
	gen := fakegen.New(fakegen.Replies(script1, "frontier: DQ_DA\nchoice: DQ_DA\n</analyze>", "Paris is the capital.\n</response>"), nil)
	var rec recorder
	res, err := newReasoner(t, Default()).Reason(context.Background(), gen, question, &Options{MaxResponseTokens: 21, OnDelta: rec.onDelta})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Response != "Paris is the capital." || rec.content.String() != "Paris is the capital." || gen.Requests()[2].MaxTokens != 21 {
		t.Errorf("truncated: %+v, streamed %q", res, rec.content.String())
	}
	if _, _, ok := res.ObservedLength(); ok {
		t.Error("ObservedLength of a truncated response")
	}
	// The closing tag split across tokens is never streamed; "<" inside the text is.
	var h holdBack
	h.end = responseClose
	var out strings.Builder
	for _, piece := range []string{"a <", "b\n", "<", "/resp", "onse>"} {
		out.WriteString(h.push(piece))
	}
	if out.String() != "a <b" {
		t.Errorf("holdBack streamed %q", out.String())
	}
}

// Per-call block limits generate the call's own grammars; the reasoner's stay.
func TestReasonLimits(t *testing.T) {
	r := newReasoner(t, Default())
	gen := fakegen.New(fakegen.Replies(script1, "Paris.\n</response>"), nil)
	if _, err := r.Reason(context.Background(), gen, question, &Options{AnalyzeBy: AnalyzeBySolver, Limits: &Limits{ThinkingChars: 77}}); err != nil {
		t.Fatal(err)
	}
	reqs := gen.Requests()
	if !strings.Contains(reqs[0].Grammar, "[^<0-9]{1,77}") || reqs[1].Grammar != r.Grammars().Response["DA"] {
		t.Errorf("grammars with Limits:\n%s", reqs[0].Grammar)
	}
	if !strings.Contains(r.Grammars().Payoff, "{1,800}") {
		t.Error("the reasoner's grammar changed")
	}
	if _, err := r.Reason(context.Background(), gen, question, &Options{Limits: &Limits{ResponseChars: 5000}}); !errors.Is(err, ErrOptions) {
		t.Errorf("Limits beyond the bound: %v", err)
	}
}

func TestReasonErrors(t *testing.T) {
	r := newReasoner(t, Default())
	for _, o := range []*Options{{Rule: "sum"}, {Policy: "ignore"}, {AnalyzeBy: "judge"}, {MaxResponseTokens: -1}, {Limits: &Limits{QuestionChars: -2}}} {
		gen := fakegen.New(fakegen.Replies(), nil)
		if _, err := r.Reason(context.Background(), gen, question, o); !errors.Is(err, ErrOptions) || len(gen.Requests()) != 0 {
			t.Errorf("Reason(%+v) = %v, want ErrOptions before any pass", o, err)
		}
	}
	// The generator's errors are wrapped; the stream callback's error stops the call.
	gen := fakegen.New(fakegen.Replies(), nil)
	if _, err := r.Reason(context.Background(), gen, question, nil); !errors.Is(err, fakegen.ErrExhausted) || !strings.Contains(err.Error(), "payoff pass") {
		t.Errorf("script error: %v", err)
	}
	stop := errors.New("client gone")
	gen = fakegen.New(fakegen.Replies(script1), nil)
	if _, err := r.Reason(context.Background(), gen, question, &Options{OnDelta: func(string, string) error { return stop }}); !errors.Is(err, stop) {
		t.Errorf("OnDelta error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gen = fakegen.New(fakegen.Replies(script1), nil)
	if _, err := r.Reason(ctx, gen, question, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	gen.Close()
	if _, err := r.Reason(context.Background(), gen, question, nil); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("closed generator: %v", err)
	}
	bad := Default()
	bad.UserTypes = nil
	if _, err := New(bad); !errors.Is(err, ErrInvalidGame) {
		t.Errorf("New(invalid) = %v", err)
	}
}

// The rule and a caller's system message reach the prompt; a 3×4 game runs end to end.
func TestReasonGameAndRule(t *testing.T) {
	g := game3x4()
	var keys []string
	for i, k := range g.Keys() {
		keys = append(keys, fmt.Sprintf(`"%s": {"LLM": %d, "user": %d}`, k, i%10, (i*7)%10))
	}
	payoff := "{" + strings.Join(keys, ", ") + "}"
	m, _ := ParsePayoff(g, payoff)
	d, _ := Decide(m, RuleNashProduct, 0)
	analysis := Analysis{Frontier: d.Frontier, Choice: d.Choice}.String() + analyzeClose
	gen := fakegen.New(fakegen.Replies(pass1("x", payoff), analysis, "Read the manual.\n</response>"), nil)
	conv := []inference.Message{{Role: "system", Content: "Be terse."}, {Role: "user", Content: "How do I reset it?"}}
	res, err := newReasoner(t, g).Reason(context.Background(), gen, conv, &Options{Rule: RuleNashProduct})
	if err != nil {
		t.Fatal(err)
	}
	p := gen.Requests()[0].Prompt
	if !strings.Contains(p, SystemPrompt(g, RuleNashProduct)+"\n\nBe terse.") || strings.Count(p, "<|im_start|>system") != 1 {
		t.Errorf("prompt:\n%s", p)
	}
	if !res.Agree || res.Rule != RuleNashProduct || res.Disagreement == nil || *res.Disagreement != 0 || res.Applied != d.Choice {
		t.Errorf("3x4: %+v", res)
	}
}

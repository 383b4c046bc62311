package gtalign

import (
	"errors"
	"strings"
	"testing"

	"github.com/nashd/nashd/reasoning/pricing"
)

// textMatrix is the matrix of the text tests: DQ_AQ wins untransformed, DQ_DA under dear
// output tokens.
const textMatrix = `{"DQ_DA": {"LLM": 3.0, "user": 3.2}, "DQ_CQ": {"LLM": 1.0, "user": 1.5}, "DQ_AQ": {"LLM": 3.1, "user": 3.4},
 "VQ_DA": {"LLM": 1.5, "user": 1.0}, "VQ_CQ": {"LLM": 2.0, "user": 2.5}, "VQ_AQ": {"LLM": 2.5, "user": 2.8}}`

// decided returns a result holding the solver's side for the text matrix under plan and rule.
func decided(t *testing.T, plan *pricing.Plan, rule Rule, text string) *Result {
	t.Helper()
	m, err := ParsePayoff(Default(), text)
	if err != nil {
		t.Fatal(err)
	}
	r := &Result{Matrix: m, Transformed: Transform(m, plan), Rule: rule, Pricing: plan}
	d, err := Decide(r.Transformed, rule, -5)
	if err != nil {
		t.Fatal(err)
	}
	r.Frontier, r.SolverChoice, r.Tied, r.Disagreement = d.Frontier, d.Choice, d.Tied, d.Disagreement
	return r
}

// TestWriteText: the printed forms of a selection alone, a whole call whose analysis the
// solver overrode, one the solver wrote, and one whose model analysis was unreadable, as in
// testdata/text.golden.
func TestWriteText(t *testing.T) {
	dear := pricing.Default()
	dear.OutputPricePerMillion = 10
	dearPlan, err := pricing.NewPlan(dear, "pricing.toml@0123456789ab", map[string]float64{"AQ": 210.5})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	section := func(name string, r *Result) {
		out.WriteString("=== " + name + "\n")
		if err := WriteText(&out, r); err != nil {
			t.Fatal(err)
		}
	}

	section("selection, no pricing, nash_product", decided(t, nil, RuleNashProduct, textMatrix))

	r := decided(t, dearPlan, RuleWelfare, textMatrix)
	r.AnalyzeBy, r.Policy = AnalyzeByModel, PolicyOverride
	r.ModelChoice, r.ModelFrontier, r.Agree, r.FrontierAgree = "DQ_AQ", []string{"DQ_AQ"}, false, false
	r.Applied, r.AppliedStrategy = r.SolverChoice, "DA"
	r.Thinking = "The question is definite.\nA direct answer serves both sides."
	r.Analyze = Analysis{Frontier: r.Frontier, Choice: r.SolverChoice}.String()
	r.Response = "Paris is the capital of France."
	r.ResponseCheck = CheckResponse(FormAnswer, r.Response)
	r.Passes = []Pass{
		{Name: "payoff", PromptTokens: 412, GeneratedTokens: 120, PromptMS: 80.25, GenerateMS: 900, MS: 985.5, StopReason: "stop"},
		{Name: "analyze", PromptTokens: 535, CacheN: 532, GeneratedTokens: 30, PromptMS: 2, GenerateMS: 200, MS: 204, StopReason: "stop"},
		{Name: "response", PromptTokens: 550, CacheN: 532, GeneratedTokens: 12, PromptMS: 3, GenerateMS: 90, MS: 95, StopReason: "stop"},
	}
	r.Usage = Usage{PromptTokens: 412, CompletionTokens: 162, TotalTokens: 574, ContextTokens: 562, CacheN: 1064}
	r.MS = 1290
	section("override", r)

	tied := strings.Replace(textMatrix, `"DQ_DA": {"LLM": 3.0, "user": 3.2}`, `"DQ_DA": {"LLM": 3.1, "user": 3.4}`, 1)
	r = decided(t, nil, RuleWelfare, tied)
	r.AnalyzeBy, r.Policy, r.Agree, r.FrontierAgree = AnalyzeBySolver, PolicyOverride, true, true
	r.Applied, r.AppliedStrategy = r.SolverChoice, "DA"
	r.Response = "An answer cut"
	r.Truncated = true
	section("analyze_by solver, tie, truncated", r)

	r = decided(t, nil, RuleWelfare, textMatrix)
	r.AnalyzeBy, r.Policy = AnalyzeByModel, PolicyAnnotate
	r.ModelAnalyzeError = "gtalign: analyze: choice: missing"
	r.Applied, r.AppliedStrategy = r.SolverChoice, "AQ"
	r.Response = "Probably Paris. Which France do you mean"
	r.ResponseCheck = CheckResponse(FormAnswerQuestion, r.Response)
	section("unreadable model analysis", r)

	r = decided(t, nil, RuleWelfare, textMatrix)
	r.AnalyzeBy, r.Policy = AnalyzeByModel, PolicyAnnotate
	r.ModelChoice, r.ModelFrontier, r.Agree, r.FrontierAgree = "VQ_AQ", []string{"VQ_AQ"}, false, false
	r.Applied, r.AppliedStrategy = "VQ_AQ", "AQ"
	section("annotate keeps the model's choice", r)

	golden(t, "text.golden", out.String())
}

// TestWriteTextError: a failing writer's error comes back.
func TestWriteTextError(t *testing.T) {
	boom := errors.New("boom")
	if err := WriteText(failWriter{boom}, decided(t, nil, RuleWelfare, textMatrix)); !errors.Is(err, boom) {
		t.Fatalf("WriteText = %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

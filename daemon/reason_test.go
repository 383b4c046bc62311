package daemon_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
)

// The tests of this file run the daemon on a scripted model (inference/fakegen, through the
// model manager's Loader), so each reasoning path is reached deterministically: the user's
// message tells the script the payoff matrix to write and the choice its analysis makes.

// gtalignScript answers GTAlign's passes as a model would under the game's grammars. The
// conversation holds the directives "MATRIX {json}" (the payoff block) and "MODEL KEY" (the
// choice the model's analysis makes). calls counts the requests it answered.
type gtalignScript struct{ calls atomic.Int32 }

var (
	matrixDirective = regexp.MustCompile(`MATRIX (\{[^\n]*\})`)
	modelDirective  = regexp.MustCompile(`MODEL ([A-Z]+_[A-Z]+)`)
)

func (s *gtalignScript) answer(req inference.Request) (string, error) {
	s.calls.Add(1)
	p := req.Prompt
	switch {
	case strings.HasSuffix(p, "\n<analyze>\n"):
		m := modelDirective.FindStringSubmatch(p)
		if m == nil {
			return "", fmt.Errorf("script: no MODEL directive")
		}
		return fmt.Sprintf("frontier: %s\nchoice: %s\n</analyze>", m[1], m[1]), nil
	case strings.HasSuffix(p, "\n<response>\n"):
		i := strings.LastIndex(p, "choice: ")
		_, strategy, _ := strings.Cut(p[i+len("choice: "):], "_")
		switch strategy[:2] {
		case "CQ":
			return "Which France do you mean?\n</response>", nil
		case "AQ":
			return "Paris. Shall I name its districts?\n</response>", nil
		}
		return "Paris is the capital of France.\n</response>", nil
	}
	m := matrixDirective.FindStringSubmatch(p)
	if m == nil {
		return "", fmt.Errorf("script: no MATRIX directive")
	}
	return "<thinking>\nThe question is clear.\n</thinking>\n<payoff>\n" + m[1] + "\n</payoff>", nil
}

// withScript makes the daemon load s instead of a model file.
func withScript(s *gtalignScript) func(*daemon.RunOptions) {
	return func(o *daemon.RunOptions) {
		o.Load = func(config.Spec, func(float32)) (inference.Generator, error) {
			return fakegen.New(s.answer, &fakegen.Options{ContextSize: 1 << 15}), nil
		}
		o.Estimate, o.Inspect = nil, nil
	}
}

// The matrix of the policy tests: DQ_DA is the solver's choice, with or without pricing.
const policyMatrix = `{"DQ_DA": {"LLM": 4.5, "user": 4.5}, "DQ_CQ": {"LLM": 2, "user": 2}, "DQ_AQ": {"LLM": 3, "user": 3}, ` +
	`"VQ_DA": {"LLM": 1, "user": 1}, "VQ_CQ": {"LLM": 1, "user": 1.5}, "VQ_AQ": {"LLM": 1.5, "user": 1}}`

// flipMatrix: DQ_AQ beats DQ_DA by 0.5 for the user before pricing; the flip test's
// pricing files charge the two differently.
const flipMatrix = `{"DQ_DA": {"LLM": 4, "user": 3.5}, "DQ_CQ": {"LLM": 2, "user": 2}, "DQ_AQ": {"LLM": 4, "user": 4}, ` +
	`"VQ_DA": {"LLM": 1, "user": 1}, "VQ_CQ": {"LLM": 1, "user": 1.5}, "VQ_AQ": {"LLM": 1, "user": 1}}`

// reasonNashd is the daemon config of the reasoning tests: the learned lengths go to
// CONFIGDIR/state.
const reasonNashd = testNashd + "[reasoning]\nstate_dir = \"state\"\n"

// noPricing charges nothing, so the solver decides on the matrix as written.
const noPricing = "payer = \"user\"\nrate = 0.0\nlearn_lengths = false\n[expected_completion_tokens]\nDA = 1\nCQ = 1\nAQ = 1\n"

func reasonBody(matrix, model string, extra string) string {
	msg, _ := json.Marshal("What is the capital of France?\nMATRIX " + matrix + "\nMODEL " + model)
	return `{"model":"tiny","messages":[{"role":"user","content":` + string(msg) + `}],"temperature":0` + extra + `}`
}

// postReason posts body to /v1/reason and decodes the answer: the result, or the error with
// the result it carries.
func (h *harness) postReason(body string) (int, *api.ReasonResponse, *api.APIError) {
	h.t.Helper()
	code, _, b := h.do("POST", "/v1/reason", []byte(body))
	if code == 200 {
		var res api.ReasonResponse
		if err := json.Unmarshal(b, &res); err != nil || res.Result == nil {
			h.t.Fatalf("/v1/reason: %v: %s", err, b)
		}
		return code, &res, nil
	}
	var eb struct {
		Error  *api.APIError
		Result json.RawMessage
	}
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error == nil {
		h.t.Fatalf("/v1/reason %d: not an error body: %s", code, b)
	}
	if eb.Result == nil {
		return code, nil, eb.Error
	}
	var res api.ReasonResponse
	if err := json.Unmarshal(eb.Result, &res); err != nil {
		h.t.Fatalf("/v1/reason %d: the result does not decode: %v: %s", code, err, b)
	}
	return code, &res, eb.Error
}

func TestReasonPolicies(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd, "pricing.toml": noPricing}, withScript(&s))
	st := h.status()
	tests := []struct {
		name, model, extra string
		code               int
		agree              bool
		applied            string
		passes             int
	}{
		{"agree", "DQ_DA", ``, 200, true, "DQ_DA", 3},
		{"override (default)", "VQ_AQ", ``, 200, false, "DQ_DA", 3},
		{"annotate", "VQ_AQ", `,"policy":"annotate"`, 200, false, "VQ_AQ", 3},
		{"reject", "VQ_AQ", `,"policy":"reject"`, 422, false, "", 2},
		{"reject on agreement answers", "DQ_DA", `,"policy":"reject"`, 200, true, "DQ_DA", 3},
		{"solver writes the analysis", "VQ_AQ", `,"analyze_by":"solver"`, 200, true, "DQ_DA", 2},
		{"nash product", "DQ_DA", `,"rule":"nash_product"`, 200, true, "DQ_DA", 3},
	}
	observed := map[string][]int{} // strategy → response lengths
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			code, res, apiErr := h.postReason(reasonBody(policyMatrix, tc.model, tc.extra))
			if code != tc.code {
				t.Fatalf("status %d, want %d (%+v)", code, tc.code, apiErr)
			}
			if res == nil {
				t.Fatal("no result")
			}
			if len(res.Matrix) != 6 || res.Matrix[0].Key != "DQ_DA" || res.Matrix[0].LLM != 4.5 || res.SolverChoice != "DQ_DA" {
				t.Errorf("matrix %v, solver choice %s", res.Matrix, res.SolverChoice)
			}
			wantModel := tc.model
			if strings.Contains(tc.extra, "solver") {
				wantModel = ""
			}
			if res.Agree != tc.agree || res.ModelChoice != wantModel || res.Applied != tc.applied || len(res.Passes) != tc.passes {
				t.Errorf("agree %v, model %q, applied %q, %d passes", res.Agree, res.ModelChoice, res.Applied, len(res.Passes))
			}
			if res.Nashd.PricingVersion != st.Pricing || res.Nashd.GameVersion != st.Reasoning.Game || res.Pricing == nil ||
				res.Pricing.Version != st.Pricing || res.Nashd.ConfigGeneration != st.Config.Generation {
				t.Errorf("provenance %+v, pricing %+v; status %s %s", res.Nashd, res.Pricing, st.Pricing, st.Reasoning.Game)
			}
			if tc.code != 200 {
				if apiErr.Code != api.CodeAnalysisRejected || apiErr.Param != "policy" || res.Response != "" ||
					!strings.Contains(apiErr.Message, "the model chose VQ_AQ, the solver DQ_DA") {
					t.Errorf("rejection: %+v, response %q", apiErr, res.Response)
				}
				return
			}
			if res.Response == "" || res.Truncated || !res.ResponseCheck.OK {
				t.Errorf("response %q: %+v", res.Response, res.ResponseCheck)
			}
			// Where the analysis that stands is the model's (or the solver's own), every
			// later pass reuses all that came before; after an override, everything up to
			// the analysis the model wrote.
			for k := 1; k < len(res.Passes); k++ {
				prev := res.Passes[k-1]
				held := prev.PromptTokens + prev.GeneratedTokens
				if overridden := !res.Agree && res.Applied == res.SolverChoice && prev.Name == "analyze"; overridden {
					if res.Passes[k].CacheN < prev.PromptTokens {
						t.Errorf("pass %d: cache_n %d < the analyze prompt's %d", k, res.Passes[k].CacheN, prev.PromptTokens)
					}
				} else if res.Passes[k].CacheN != held {
					t.Errorf("pass %d (%s): cache_n %d, want %d", k, res.Passes[k].Name, res.Passes[k].CacheN, held)
				}
			}
			observed[res.AppliedStrategy] = append(observed[res.AppliedStrategy], res.ResponseTokens)
		})
	}

	// Every complete response taught its strategy's length; the rejection taught nothing.
	learned := h.status().Reasoning.Learned
	for s, ns := range observed {
		sum := 0
		for _, n := range ns {
			sum += n
		}
		if l := learned[s]; l.N != int64(len(ns)) || math.Abs(l.Mean-float64(sum)/float64(len(ns))) > 0.01 {
			t.Errorf("learned %s = %+v, want n %d mean %v", s, l, len(ns), float64(sum)/float64(len(ns)))
		}
	}
	if len(learned) != len(observed) {
		t.Errorf("learned %v, observed %v", learned, observed)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "state", daemon.LengthsFile)); err != nil {
		t.Errorf("learned lengths not saved: %v", err)
	}
}

// pricingFlip is pricing.toml with an output price: at 1.5 per million tokens the matrix's
// DQ_AQ stays ahead; at 15, AQ's longer answer costs the user more than its lead.
func pricingFlip(outputPrice string) string {
	return "payer = \"user\"\ninput_price_per_million = 0.5\noutput_price_per_million = " + outputPrice +
		"\nrate = 1000.0\nexpected_prompt_tokens = 200\nlearn_lengths = false\n[expected_completion_tokens]\nDA = 150\nCQ = 40\nAQ = 200\n"
}

// TestReasonPricingFlip: the same matrix chooses an AQ cell under one pricing.toml and a DA
// cell once the file is edited, without a restart.
func TestReasonPricingFlip(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd, "pricing.toml": pricingFlip("1.5")}, withScript(&s))
	body := reasonBody(flipMatrix, "DQ_DA", `,"analyze_by":"solver"`)
	check := func(want string, userDA, userAQ float64) *api.ReasonResponse {
		t.Helper()
		code, res, e := h.postReason(body)
		if code != 200 {
			t.Fatalf("status %d: %+v", code, e)
		}
		tr := res.Transformed
		if res.SolverChoice != want || res.Applied != want || tr[0].Key != "DQ_DA" || tr[2].Key != "DQ_AQ" ||
			math.Abs(tr[0].User-userDA) > 1e-9 || math.Abs(tr[2].User-userAQ) > 1e-9 || tr[2].LLM != 4 {
			t.Fatalf("choice %s (want %s), transformed %v", res.SolverChoice, want, tr)
		}
		return res
	}
	// cost(s) = (200 × 0.5 + tokens(s) × price) / 1e6; the user's payoff loses 1000 × cost.
	first := check("DQ_AQ", 3.5-0.325, 4-0.4)

	gen := h.status().Config.Generation
	writeFile(t, filepath.Join(h.dir, "pricing.toml"), pricingFlip("15"))
	h.waitFor("pricing.toml reload", reloadDeadline, func(s api.StatusResponse) bool { return s.Config.Generation > gen })
	second := check("DQ_DA", 3.5-2.35, 4-3.1)
	if first.Nashd.PricingVersion == second.Nashd.PricingVersion || second.Pricing.Version != h.status().Pricing {
		t.Errorf("pricing versions %s then %s (status %s)", first.Nashd.PricingVersion, second.Nashd.PricingVersion, h.status().Pricing)
	}
}

// TestReasonLearnedLengths: with learn_lengths the observed response lengths replace the
// configured ones in the next request's plan, show in /v1/status and survive a restart.
func TestReasonLearnedLengths(t *testing.T) {
	var s gtalignScript
	files := map[string]string{"nashd.toml": reasonNashd, "pricing.toml": strings.Replace(pricingFlip("1.5"), "learn_lengths = false", "learn_lengths = true", 1)}
	h := startDaemon(t, files, withScript(&s))
	code, res, e := h.postReason(reasonBody(policyMatrix, "DQ_DA", ""))
	if code != 200 || res.AppliedStrategy != "DA" {
		t.Fatalf("status %d %+v: applied %s", code, e, res.AppliedStrategy)
	}
	n := res.ResponseTokens
	if res.Pricing.Learned["DA"] || res.Pricing.CompletionTokens["DA"] != 150 {
		t.Errorf("first plan: %+v", res.Pricing)
	}
	check := func(h *harness, when string) {
		t.Helper()
		r := h.status().Reasoning
		if l := r.Learned["DA"]; l.N != 1 || l.Mean != float64(n) || len(r.Learned) != 1 {
			t.Errorf("%s: learned %+v, want DA n 1 mean %d", when, r.Learned, n)
		}
		if p := r.Pricing; p == nil || !p.Learned["DA"] || p.CompletionTokens["DA"] != float64(n) || p.CompletionTokens["AQ"] != 200 {
			t.Errorf("%s: plan %+v", when, p)
		}
		if r.LengthsFile != filepath.Join(h.dir, "state", daemon.LengthsFile) || r.LengthsError != "" {
			t.Errorf("%s: lengths file %s (%s)", when, r.LengthsFile, r.LengthsError)
		}
	}
	check(h, "after one response")
	_, res, _ = h.postReason(reasonBody(policyMatrix, "DQ_DA", ""))
	if !res.Pricing.Learned["DA"] || res.Pricing.CompletionTokens["DA"] != float64(n) {
		t.Errorf("second plan: %+v", res.Pricing)
	}
	h.stop()

	// A new daemon on the same config directory starts from the saved averages.
	h2 := startDaemonIn(t, h.dir, withScript(&s))
	r := h2.status().Reasoning
	if l := r.Learned["DA"]; l.N != 2 || l.Mean != float64(n) {
		t.Errorf("after a restart: learned %+v, want DA n 2 mean %d", r.Learned, n)
	}
}

// TestReasonCorruptLengths: a state file that does not parse is moved aside and learning
// starts afresh; /v1/status says so.
func TestReasonCorruptLengths(t *testing.T) {
	var s gtalignScript
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "state", daemon.LengthsFile), "{not json")
	for name, c := range map[string]string{"nashd.toml": reasonNashd, "models.toml": modelsTOML(tinyA), "pricing.toml": noPricing} {
		writeFile(t, filepath.Join(dir, name), c)
	}
	h := startDaemonIn(t, dir, withScript(&s))
	r := h.status().Reasoning
	if len(r.Learned) != 0 || !strings.Contains(r.LengthsError, "moved to") {
		t.Errorf("status: learned %v, error %q", r.Learned, r.LengthsError)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "state", daemon.LengthsFile+".bad")); err != nil || string(b) != "{not json" {
		t.Errorf("the corrupt file was not kept aside: %v", err)
	}
	if code, _, e := h.postReason(reasonBody(policyMatrix, "DQ_DA", "")); code != 200 {
		t.Fatalf("status %d: %+v", code, e)
	}
	if r := h.status().Reasoning; r.Learned["DA"].N != 1 {
		t.Errorf("learned %v", r.Learned)
	}
}

// TestReasonPricingIncomplete: a pricing.toml without a length for a strategy of the game is
// a clear error naming the file and the strategy, in the answer and in /v1/status.
func TestReasonPricingIncomplete(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd, "pricing.toml": pricingUser}, withScript(&s))
	code, _, e := h.postReason(reasonBody(policyMatrix, "DQ_DA", ""))
	if code != 503 || e.Code != api.CodePricingIncomplete || !strings.Contains(e.Message, "pricing.toml") || !strings.Contains(e.Message, "AQ, CQ") {
		t.Errorf("status %d: %+v", code, e)
	}
	if p := h.status().Reasoning.Problem; !strings.Contains(p, "no length for strategy AQ, CQ") {
		t.Errorf("status problem %q", p)
	}
	if s.calls.Load() != 0 {
		t.Errorf("the model ran %d times", s.calls.Load())
	}
}

// TestReasonGameReload: an edited gtalign.toml is the next request's game, with its version;
// a bad edit keeps the old game and shows the error.
func TestReasonGameReload(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd, "pricing.toml": noPricing}, withScript(&s))
	st := h.status()
	if st.Reasoning.Game != "gtalign.toml@builtin" || strings.Join(st.Reasoning.Strategies, ",") != "DA,CQ,AQ" {
		t.Fatalf("game %s, strategies %v", st.Reasoning.Game, st.Reasoning.Strategies)
	}
	game, err := os.ReadFile(filepath.Join("..", "configs", "gtalign.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the definite user type: four cells fewer.
	small := regexp.MustCompile(`(?s)\[\[user_types\]\]\nid = "VQ".*?\n\n`).ReplaceAllString(string(game), "")
	writeFile(t, filepath.Join(h.dir, "gtalign.toml"), small)
	h.waitFor("gtalign.toml", reloadDeadline, func(s api.StatusResponse) bool { return s.Reasoning.Game != st.Reasoning.Game })
	matrix := `{"DQ_DA": {"LLM": 4, "user": 4}, "DQ_CQ": {"LLM": 2, "user": 2}, "DQ_AQ": {"LLM": 3, "user": 3}}`
	code, res, e := h.postReason(reasonBody(matrix, "DQ_DA", ""))
	if code != 200 || len(res.Matrix) != 3 || res.Nashd.GameVersion != h.status().Reasoning.Game {
		t.Fatalf("status %d %+v: %+v", code, e, res)
	}
	// The old 6-cell matrix no longer parses: the model's output is the problem (502), and
	// the answer carries what it wrote (its matrix empty).
	code, _, b := h.do("POST", "/v1/reason", []byte(reasonBody(policyMatrix, "DQ_DA", "")))
	var bad api.ReasonErrorBody
	if err := json.Unmarshal(b, &bad); err != nil || code != 502 || bad.Error == nil || bad.Error.Code != api.CodeModelOutput ||
		!strings.Contains(bad.Error.Message, "VQ_DA: unknown key") || bad.Result == nil || bad.Result.Result == nil ||
		bad.Result.Thinking != "The question is clear." || len(bad.Result.Matrix) != 0 ||
		!strings.Contains(bad.Result.Transcript, `"VQ_AQ"`) {
		t.Errorf("status %d: %s", code, b)
	}

	good := h.status().Reasoning.Game
	writeFile(t, filepath.Join(h.dir, "gtalign.toml"), small+"\n[[strategies]]\nid = \"D_A\"\n")
	h.waitFor("rejected gtalign.toml", reloadDeadline, func(s api.StatusResponse) bool { return s.Config.Errors["gtalign.toml"] != "" })
	if st := h.status(); st.Reasoning.Game != good || !strings.Contains(st.Config.Errors["gtalign.toml"], "strategies[3].id") {
		t.Errorf("after a bad edit: game %s, errors %v", st.Reasoning.Game, st.Config.Errors)
	}
}

// TestReasonBadInputs: bad requests are 400s (404 for an unknown model) naming the field,
// and change nothing: no generation, no learned length, no config change.
func TestReasonBadInputs(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd, "pricing.toml": noPricing}, withScript(&s))
	before := h.status()
	msgs := `"messages":[{"role":"user","content":"a"}]`
	tests := []struct {
		name, path, body string
		code             int
		param, msg       string
	}{
		{"malformed JSON", "/v1/reason", `{"messages": [`, 400, "", "malformed JSON"},
		{"empty body", "/v1/reason", ``, 400, "", "empty request body"},
		{"trailing data", "/v1/reason", `{` + msgs + `} x`, 400, "", "unexpected data"},
		{"bad rule", "/v1/reason", `{` + msgs + `,"rule":"max"}`, 400, "rule", `"max"`},
		{"bad policy", "/v1/reason", `{` + msgs + `,"policy":"ignore"}`, 400, "policy", `"ignore"`},
		{"bad analyze_by", "/v1/reason", `{` + msgs + `,"analyze_by":"user"}`, 400, "analyze_by", `"user"`},
		{"rule wrong type", "/v1/reason", `{` + msgs + `,"rule":5}`, 400, "rule", "expected a string"},
		{"NaN temperature", "/v1/reason", `{` + msgs + `,"temperature":NaN}`, 400, "", "malformed JSON"},
		{"huge temperature", "/v1/reason", `{` + msgs + `,"temperature":1e999}`, 400, "temperature", "expected a number"},
		{"temperature range", "/v1/reason", `{` + msgs + `,"temperature":7}`, 400, "temperature", "outside"},
		{"top_p range", "/v1/reason", `{` + msgs + `,"top_p":1.5}`, 400, "top_p", "outside"},
		{"max_tokens zero", "/v1/reason", `{` + msgs + `,"max_tokens":0}`, 400, "max_tokens", "< 1"},
		{"no messages", "/v1/reason", `{"messages":[]}`, 400, "messages", "non-empty"},
		{"bad role", "/v1/reason", `{"messages":[{"role":"robot","content":"a"}]}`, 400, "messages[0].role", "robot"},
		{"stop", "/v1/reason", `{` + msgs + `,"stop":"x"}`, 400, "stop", "not supported"},
		{"grammar", "/v1/reason", `{` + msgs + `,"grammar":"root ::= \"a\""}`, 400, "grammar", "not supported"},
		{"response_format", "/v1/reason", `{` + msgs + `,"response_format":{"type":"json_object"}}`, 400, "response_format", "not supported"},
		{"n=2", "/v1/reason", `{` + msgs + `,"n":2}`, 400, "n", "n = 1"},
		{"reasoning none", "/v1/reason", `{` + msgs + `,"reasoning":"none"}`, 400, "reasoning", "GTAlign"},
		{"alias @none", "/v1/reason", `{"model":"tiny@none",` + msgs + `}`, 400, "model", "GTAlign"},
		{"unknown alias", "/v1/reason", `{"model":"tiny@magic",` + msgs + `}`, 404, "model", "@magic"},
		{"unknown model", "/v1/reason", `{"model":"nope",` + msgs + `}`, 404, "model", "nope"},
		{"chat: bad policy", "/v1/chat/completions", `{"reasoning":"gtalign",` + msgs + `,"policy":"x"}`, 400, "policy", `"x"`},
		{"chat alias: grammar", "/v1/chat/completions", `{"model":"tiny@gtalign",` + msgs + `,"grammar":"root ::= \"a\""}`, 400, "grammar", "reasoning"},
		{"wrong method", "/v1/reason", ``, 405, "", "allow: POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.code == 405 {
				method = "GET"
			}
			code, _, b := h.do(method, tc.path, []byte(tc.body))
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, b)
			}
			var e api.ErrorBody
			if err := json.Unmarshal(b, &e); err != nil || e.Error == nil || e.Error.Type == "" {
				t.Fatalf("not an error body: %s", b)
			}
			if e.Error.Param != tc.param || !strings.Contains(e.Error.Message, tc.msg) {
				t.Errorf("param %q message %q, want %q and %q", e.Error.Param, e.Error.Message, tc.param, tc.msg)
			}
		})
	}
	after := h.status()
	if s.calls.Load() != 0 || after.Config.Generation != before.Config.Generation || len(after.Reasoning.Learned) != 0 || after.Model.InFlight != 0 {
		t.Errorf("bad inputs changed something: %d generations, generation %d → %d, learned %v",
			s.calls.Load(), before.Config.Generation, after.Config.Generation, after.Reasoning.Learned)
	}
}

// TestReasonStream: /v1/reason with stream sends the transcript (reasoning, then content)
// and ends with the result; a rejection ends with the error and the result so far.
func TestReasonStream(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd, "pricing.toml": noPricing}, withScript(&s))
	events := func(body string) []api.ReasonEvent {
		t.Helper()
		code, hdr, b := h.do("POST", "/v1/reason", []byte(body))
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
			t.Fatalf("status %d %s: %s", code, hdr.Get("Content-Type"), b)
		}
		var out []api.ReasonEvent
		for _, line := range strings.Split(string(b), "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var ev api.ReasonEvent
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %s: %v", data, err)
			}
			out = append(out, ev)
		}
		return out
	}
	evs := events(reasonBody(policyMatrix, "VQ_AQ", `,"stream":true`))
	var kinds []string
	text := map[string]string{}
	for _, ev := range evs[:len(evs)-1] {
		if len(kinds) == 0 || kinds[len(kinds)-1] != ev.Kind {
			kinds = append(kinds, ev.Kind)
		}
		text[ev.Kind] += ev.Text
	}
	last := evs[len(evs)-1]
	if strings.Join(kinds, ",") != "reasoning,content" || last.Kind != api.EventResult || last.Result == nil {
		t.Fatalf("event kinds %v, last %+v", kinds, last)
	}
	res := last.Result
	// After the override the stream shows the solver's analysis, not the model's.
	if text["content"] != res.Response || !strings.HasSuffix(text["reasoning"], "<analyze>\n"+res.Analyze+"\n</analyze>") ||
		res.Transcript != text["reasoning"]+"\n<response>\n"+res.Response+"\n</response>" || strings.Contains(text["reasoning"], "choice: VQ_AQ") {
		t.Errorf("streamed reasoning %q content %q; result %+v", text["reasoning"], text["content"], res.Result)
	}

	evs = events(reasonBody(policyMatrix, "VQ_AQ", `,"stream":true,"policy":"reject"`))
	last = evs[len(evs)-1]
	if last.Error == nil || last.Error.Code != api.CodeAnalysisRejected || last.Result == nil || last.Result.SolverChoice != "DQ_DA" {
		t.Errorf("streamed rejection: %+v", last)
	}
}

// TestReasonChat: the chat API in GTAlign mode, by field, alias and nashd.toml's default
// mode: content is the response, reasoning_content the blocks before it, the result in the
// nashd extension; a rejection is a 422 with the result there too.
func TestReasonChat(t *testing.T) {
	var s gtalignScript
	h := startDaemon(t, map[string]string{"nashd.toml": reasonNashd + "mode = \"gtalign\"\n", "pricing.toml": noPricing}, withScript(&s))
	if m := h.status().Reasoning.Mode; m != "gtalign" {
		t.Fatalf("mode %q", m)
	}
	type chatAnswer struct {
		Choices []struct {
			Message struct {
				Content          *string `json:"content"`
				ReasoningContent *string `json:"reasoning_content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage api.Usage `json:"usage"`
		Nashd struct {
			Reasoning string          `json:"reasoning"`
			Game      string          `json:"game_version"`
			Result    json.RawMessage `json:"result"`
		} `json:"nashd"`
		Error *api.APIError `json:"error"`
	}
	for _, tc := range []struct {
		name, body string
		gtalign    bool
	}{
		{"reasoning field", strings.Replace(reasonBody(policyMatrix, "VQ_AQ", ""), `"model":"tiny"`, `"model":"tiny","reasoning":"gtalign"`, 1), true},
		{"alias", strings.Replace(reasonBody(policyMatrix, "VQ_AQ", ""), `"model":"tiny"`, `"model":"tiny@gtalign"`, 1), true},
		{"default mode", reasonBody(policyMatrix, "VQ_AQ", ""), true},
		{"alias @none", strings.Replace(reasonBody(policyMatrix, "VQ_AQ", ""), `"model":"tiny"`, `"model":"tiny@none","max_tokens":4`, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, b := h.do("POST", "/v1/chat/completions", []byte(tc.body))
			var a chatAnswer
			if err := json.Unmarshal(b, &a); err != nil || code != 200 || len(a.Choices) != 1 {
				t.Fatalf("status %d: %s", code, b)
			}
			m := a.Choices[0].Message
			if !tc.gtalign {
				if m.ReasoningContent != nil || a.Nashd.Reasoning != "" || a.Nashd.Result != nil {
					t.Errorf("plain chat answered in reasoning mode: %s", b)
				}
				return
			}
			var res struct {
				Response, Thinking, Applied, Transcript string
				Usage                                   struct {
					PromptTokens     int `json:"prompt_tokens"`
					CompletionTokens int `json:"completion_tokens"`
				}
			}
			json.Unmarshal(a.Nashd.Result, &res)
			switch {
			case a.Nashd.Reasoning != "gtalign" || res.Applied != "DQ_DA":
				t.Errorf("nashd extension: %s", b)
			case m.Content == nil || *m.Content != res.Response || res.Response == "":
				t.Errorf("content %v, response %q", m.Content, res.Response)
			case m.ReasoningContent == nil || !strings.HasPrefix(*m.ReasoningContent, "<thinking>\n"+res.Thinking) ||
				!strings.HasSuffix(*m.ReasoningContent, "\n</analyze>") || *m.ReasoningContent+"\n<response>\n"+res.Response+"\n</response>" != res.Transcript:
				t.Errorf("reasoning_content %v", m.ReasoningContent)
			case a.Usage.CompletionTokens != res.Usage.CompletionTokens || a.Usage.PromptTokens != res.Usage.PromptTokens || a.Choices[0].FinishReason != "stop":
				t.Errorf("usage %+v, finish %q", a.Usage, a.Choices[0].FinishReason)
			}
		})
	}
	code, _, b := h.do("POST", "/v1/chat/completions", []byte(reasonBody(policyMatrix, "VQ_AQ", `,"policy":"reject"`)))
	var a chatAnswer
	json.Unmarshal(b, &a)
	if code != 422 || a.Error == nil || a.Error.Code != api.CodeAnalysisRejected || !strings.Contains(string(a.Nashd.Result), `"solver_choice":"DQ_DA"`) {
		t.Errorf("rejected chat: %d %s", code, b)
	}
}

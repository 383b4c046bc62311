package gtalign

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
)

// noGrammarGen is a scripted generator that says it cannot enforce a grammar, as the
// "openai" dialect of a remote model does. The fake honours stop strings as an engine does.
type noGrammarGen struct{ *fakegen.Generator }

func (g noGrammarGen) Info() inference.ModelInfo {
	i := g.Generator.Info()
	i.NoGrammar = true
	return i
}

// What a model writes without a grammar: the whole transcript at once.
const (
	freeAnalysis = "\n<analyze>\nfrontier: DQ_DA\nchoice: DQ_DA\n</analyze>\n<response>\nParis.\n</response>"
	malformed    = "<thinking>\nEasy.\n</thinking>\n<payoff>\nDQ_DA is the best: 4 for me, 5 for you.\n</payoff>" + freeAnalysis
)

func TestReasonNoGrammarRetry(t *testing.T) {
	replies := []string{malformed, script1 + freeAnalysis, "frontier: DQ_DA\nchoice: DQ_DA\n</analyze>\n<response>\nParis.\n</response>",
		"Paris is the capital of France.\n</response>\nAnything else?"}
	fake := fakegen.New(fakegen.Replies(replies...), nil)
	var rec recorder
	sampling := inference.DefaultSampling(7)
	res, err := newReasoner(t, Default()).Reason(context.Background(), noGrammarGen{fake}, question, &Options{OnDelta: rec.onDelta, Sampling: sampling})
	if err != nil {
		t.Fatal(err)
	}
	if res.Retries != 1 || res.Repairs != nil || res.SolverChoice != "DQ_DA" || !res.Agree || res.Response != "Paris is the capital of France." || res.Truncated {
		t.Errorf("result: retries %d, repairs %q, %+v", res.Retries, res.Repairs, res)
	}
	names := make([]string, len(res.Passes))
	for i, p := range res.Passes {
		names[i] = p.Name
	}
	if !slices.Equal(names, []string{"payoff", "payoff", "analyze", "response"}) || !strings.Contains(res.Passes[0].Error, "no JSON object") || res.Passes[1].Error != "" {
		t.Errorf("passes %v, errors %q, %q", names, res.Passes[0].Error, res.Passes[1].Error)
	}
	reqs := fake.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	// Every pass stops at its block's closing tag; the retry has a seed of its own and asks
	// again after the failed reply, naming its problem.
	for i, stop := range []string{"</payoff>", "</payoff>", "</analyze>", "</response>"} {
		if !slices.Equal(reqs[i].Stop, []string{stop}) {
			t.Errorf("request %d: stop %q, want %q", i, reqs[i].Stop, stop)
		}
	}
	if reqs[0].Sampling.Seed != 7 || reqs[1].Sampling.Seed != 8 {
		t.Errorf("seeds %d, %d: want 7 then 8", reqs[0].Sampling.Seed, reqs[1].Sampling.Seed)
	}
	retry := reqs[1].Prompt
	if !strings.HasPrefix(retry, strings.TrimSuffix(reqs[0].Prompt, "<|im_start|>assistant\n")) ||
		!strings.Contains(retry, "DQ_DA is the best: 4 for me, 5 for you.") || !strings.Contains(retry, "does not follow the required layout (gtalign: payoff: no JSON object") ||
		!strings.Contains(retry, strings.Join(Default().Keys(), ", ")) {
		t.Errorf("the retry's prompt:\n%s", retry[len(reqs[0].Prompt)-len("<|im_start|>assistant\n"):])
	}
	// The context continues from the blocks in the grammar's layout, the closing tags
	// written by nashd.
	if want := retry + script1 + analyzeOpen; reqs[2].Prompt != want {
		t.Errorf("analyze prompt ends %q", reqs[2].Prompt[len(retry):])
	}
	wantTranscript := script1 + analyzeOpen + "frontier: DQ_DA\nchoice: DQ_DA" + analyzeClose + responseOpen + "Paris is the capital of France." + responseClose
	if res.Transcript != wantTranscript {
		t.Errorf("Transcript:\n%s\nwant\n%s", res.Transcript, wantTranscript)
	}
	if want := reqs[2].Prompt + "frontier: DQ_DA\nchoice: DQ_DA" + analyzeClose + responseOpen; reqs[3].Prompt != want {
		t.Errorf("response prompt ends %q", reqs[3].Prompt[len(reqs[2].Prompt):])
	}
	if _, err := ParseTranscript(res.Transcript); err != nil {
		t.Errorf("the transcript does not parse: %v", err)
	}
	// The failed attempt never reached the stream.
	if rec.reasoning.String() != script1+analyzeOpen+"frontier: DQ_DA\nchoice: DQ_DA"+analyzeClose || rec.content.String() != res.Response {
		t.Errorf("streamed reasoning %q, content %q", rec.reasoning.String(), rec.content.String())
	}
	if u := res.Usage; u.PromptTokens != res.Passes[0].PromptTokens || u.CompletionTokens != res.Passes[0].GeneratedTokens+res.Passes[1].GeneratedTokens+res.Passes[2].GeneratedTokens+res.Passes[3].GeneratedTokens {
		t.Errorf("usage %+v", u)
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"retries":1`) || !strings.Contains(string(b), `"error":"gtalign: payoff: no JSON object`) {
		t.Errorf("result JSON: %s", b)
	}
}

func TestReasonNoGrammarGivesUp(t *testing.T) {
	for _, tt := range []struct {
		retries, attempts int
	}{{0, 1 + DefaultRetries}, {-1, 1}, {4, 5}} {
		replies := slices.Repeat([]string{malformed}, tt.attempts)
		fake := fakegen.New(fakegen.Replies(replies...), nil)
		var rec recorder
		res, err := newReasoner(t, Default()).Reason(context.Background(), noGrammarGen{fake}, question, &Options{Retries: tt.retries, OnDelta: rec.onDelta})
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrParse) || pe.Block != "payoff" || pe.Problem != "no JSON object" {
			t.Fatalf("retries %d: Reason = %v; want the last attempt's ParseError", tt.retries, err)
		}
		if tt.attempts > 1 && !strings.Contains(err.Error(), strconv.Itoa(tt.attempts)+" attempts did not parse; the last: gtalign: payoff: no JSON object") {
			t.Errorf("retries %d: %v", tt.retries, err)
		}
		if len(fake.Requests()) != tt.attempts || res.Retries != tt.attempts-1 || len(res.Passes) != tt.attempts {
			t.Errorf("retries %d: %d requests, %d retries, %d passes; want %d attempts", tt.retries, len(fake.Requests()), res.Retries, len(res.Passes), tt.attempts)
		}
		for i, p := range res.Passes {
			if p.Name != "payoff" || p.Error == "" {
				t.Errorf("pass %d: %+v", i, p)
			}
		}
		// The result holds the last attempt: its thinking and its text, cut at the stop string.
		if res.Thinking != "Easy." || res.Transcript != malformed[:strings.Index(malformed, "</payoff>")] || rec.reasoning.Len() != 0 {
			t.Errorf("retries %d: thinking %q, transcript %q, streamed %q", tt.retries, res.Thinking, res.Transcript, rec.reasoning.String())
		}
	}
	// A retry whose prompt (the failed reply and the correction added) outgrows the context
	// ends the call with the last parse error.
	probe := fakegen.New(fakegen.Replies(malformed), nil)
	newReasoner(t, Default()).Reason(context.Background(), noGrammarGen{probe}, question, &Options{Retries: -1})
	fake := fakegen.New(fakegen.Replies(malformed, malformed), &fakegen.Options{ContextSize: len(runes(probe.Requests()[0].Prompt)) + 100})
	_, err := newReasoner(t, Default()).Reason(context.Background(), noGrammarGen{fake}, question, nil)
	if !errors.Is(err, ErrParse) || !strings.Contains(err.Error(), "1 attempt did not parse and a retry's prompt does not fit the context") || errors.Is(err, inference.ErrPromptTooLong) {
		t.Errorf("retry beyond the context: %v", err)
	}
	if _, err := newReasoner(t, Default()).Reason(context.Background(), fakegen.New(fakegen.Replies(), nil), question, &Options{Retries: MaxRetries + 1}); !errors.Is(err, ErrOptions) {
		t.Errorf("Retries beyond MaxRetries: %v", err)
	}
	// A generator's error is not retried.
	fake = fakegen.New(fakegen.Replies(), nil)
	if _, err := newReasoner(t, Default()).Reason(context.Background(), noGrammarGen{fake}, question, nil); !errors.Is(err, fakegen.ErrExhausted) || len(fake.Requests()) != 1 {
		t.Errorf("generator error: %v after %d requests", err, len(fake.Requests()))
	}
}

// Output a tolerant reading accepts needs no retry; the context continues from the blocks in
// the grammar's layout.
func TestReasonNoGrammarTolerant(t *testing.T) {
	loose := "<THINKING>\nThe question is clear.\n</THINKING>\n<Payoff>\n```json\n" + strings.ReplaceAll(validPayoff, `"LLM"`, `"llm"`) + "\n```\n</Payoff>\n<analyze>\nfrontier: DQ_DA\nchoice: DQ_DA\n</analyze>"
	fake := fakegen.New(fakegen.Replies(loose, "  frontier: DQ_DA, VQ_AQ\nchoice: VQ_AQ\n\n</analyze>", "Paris.  \n</response>"), nil)
	var rec recorder
	res, err := newReasoner(t, Default()).Reason(context.Background(), noGrammarGen{fake}, question, &Options{OnDelta: rec.onDelta, Policy: PolicyAnnotate})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParsePayoff(Default(), validPayoff)
	blocks := Pass1{Thinking: "The question is clear.", Matrix: m}.String()
	if res.Retries != 0 || !slices.Equal(res.Repairs, []string{RepairTags, RepairCodeFence, RepairKeyCase}) || res.Thinking != "The question is clear." {
		t.Errorf("retries %d, repairs %q, thinking %q", res.Retries, res.Repairs, res.Thinking)
	}
	reqs := fake.Requests()
	if want := reqs[0].Prompt + blocks + analyzeOpen; len(reqs) != 3 || reqs[1].Prompt != want {
		t.Fatalf("analyze prompt: %q", reqs[1].Prompt[len(reqs[0].Prompt):])
	}
	// The model's analysis stands under annotate, trimmed and closed by nashd.
	analysis := "frontier: DQ_DA, VQ_AQ\nchoice: VQ_AQ"
	if res.ModelChoice != "VQ_AQ" || res.Applied != "VQ_AQ" || res.Analyze != analysis {
		t.Errorf("analysis: %+v", res)
	}
	if want := reqs[1].Prompt + analysis + analyzeClose + responseOpen; reqs[2].Prompt != want {
		t.Errorf("response prompt ends %q", reqs[2].Prompt[len(reqs[1].Prompt):])
	}
	if want := blocks + analyzeOpen + analysis + analyzeClose + responseOpen + "Paris." + responseClose; res.Transcript != want {
		t.Errorf("Transcript:\n%s\nwant\n%s", res.Transcript, want)
	}
	if rec.reasoning.String() != blocks+analyzeOpen+analysis+analyzeClose || rec.content.String() != "Paris.  " {
		t.Errorf("streamed %q / %q", rec.reasoning.String(), rec.content.String())
	}
	if tr, err := ParseTranscript(res.Transcript); err != nil || tr.Response != "Paris." {
		t.Errorf("transcript: %+v, %v", tr, err)
	}
}

// A generator that enforces the grammar is parsed strictly and never retried, and its
// requests carry no stop strings.
func TestReasonGrammarNoRetry(t *testing.T) {
	fake := fakegen.New(fakegen.Replies(malformed, script1), nil)
	res, err := newReasoner(t, Default()).Reason(context.Background(), fake, question, nil)
	if !errors.Is(err, ErrParse) || len(fake.Requests()) != 1 || res.Retries != 0 || res.Repairs != nil || fake.Requests()[0].Stop != nil {
		t.Errorf("Reason = %v after %d requests (retries %d)", err, len(fake.Requests()), res.Retries)
	}
}

// idlessGen streams no token ids, as a remote server of the "openai" dialect: the pipeline
// counts generated tokens from the server's count.
type idlessGen struct{ noGrammarGen }

func (g idlessGen) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	res, err := g.noGrammarGen.Generate(ctx, req, onToken)
	res.Tokens = nil
	return res, err
}

func TestReasonCountsWithoutIDs(t *testing.T) {
	fake := fakegen.New(fakegen.Replies(script1, "frontier: DQ_DA\nchoice: DQ_DA\n</analyze>", "Paris.\n</response>"), nil)
	res, err := newReasoner(t, Default()).Reason(context.Background(), idlessGen{noGrammarGen{fake}}, question, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, p := range res.Passes {
		if p.GeneratedTokens == 0 {
			t.Errorf("pass %s: no generated tokens counted", p.Name)
		}
		sum += p.GeneratedTokens
	}
	if res.ResponseTokens != res.Passes[2].GeneratedTokens || res.ResponseTokens < len("Paris.") || res.Usage.CompletionTokens != sum {
		t.Errorf("response tokens %d, usage %+v, passes %+v", res.ResponseTokens, res.Usage, res.Passes)
	}
	if _, n, ok := res.ObservedLength(); !ok || n == 0 {
		t.Errorf("ObservedLength = %d, %v", n, ok)
	}
}

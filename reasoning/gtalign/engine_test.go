package gtalign

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/enginetest"
	"github.com/nashd/nashd/reasoning/pricing"
)

func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

// recordingGen passes calls to an engine and records each request with its result.
type recordingGen struct {
	inference.Generator
	mu    sync.Mutex
	calls []call
}

type call struct {
	req inference.Request
	res inference.Result
}

func (g *recordingGen) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	res, err := g.Generator.Generate(ctx, req, onToken)
	g.mu.Lock()
	g.calls = append(g.calls, call{req, res})
	g.mu.Unlock()
	return res, err
}

func (g *recordingGen) take() []call {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.calls
	g.calls = nil
	return c
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestEngineSeeds runs the pipeline on the real engine with a tiny random-weight model: the
// grammar alone must make every pass-1 output parse, the solver's choice must match an
// independent computation, and every later pass must reuse the whole context before it.
// Block lengths are capped to keep the test short; nothing is tuned to the model.
func TestEngineSeeds(t *testing.T) {
	// The system prompt is about 2,300 tokens of the tiny model's byte-level vocabulary:
	// OpenTiny's default context (4096) holds it.
	e := enginetest.OpenTiny(t, engine.Options{})
	gen := &recordingGen{Generator: e}
	g := Default()
	g.Limits = Limits{ThinkingChars: 12, ResponseChars: 12, QuestionChars: 12}
	r := newReasoner(t, g)
	plan := pricingPlan(t, map[string]int{"DA": 40, "CQ": 5, "AQ": 90}, pricing.PayerUser)

	const seeds = 200
	policies := []Policy{PolicyOverride, PolicyAnnotate, PolicyReject}
	counts := map[string]int{}
	t0 := time.Now()
	for seed := range seeds {
		o := &Options{
			Sampling:  inference.Sampling{Temperature: 1, Seed: uint32(seed + 1)},
			Policy:    policies[seed%3],
			AnalyzeBy: []AnalyzeBy{AnalyzeByModel, AnalyzeByModel, AnalyzeBySolver}[seed/3%3],
			// One rule for each half: the rule is in the system prompt, so switching it at
			// every seed would re-evaluate the prompt from there each time.
			Rule: []Rule{RuleWelfare, RuleNashProduct}[seed*2/seeds],
		}
		if seed%4 >= 2 {
			o.Pricing = plan
		}
		res, err := r.Reason(context.Background(), gen, question, o)
		calls := gen.take()
		var rej *RejectedError
		if err != nil && !errors.As(err, &rej) {
			t.Fatalf("seed %d: %v\n%s", seed, err, res.Transcript)
		}
		if err != nil && (o.Policy != PolicyReject || res.Agree) {
			t.Fatalf("seed %d: rejected under %s (agree %v)", seed, o.Policy, res.Agree)
		}
		counts["parsed"]++

		// The solver's choice, computed here independently on the transformed matrix.
		for i, c := range res.Matrix {
			l, u := c.LLM, c.User
			if o.Pricing != nil {
				l, u = o.Pricing.Adjust(c.Strategy, l, u)
			}
			if tc := res.Transformed[i]; math.Abs(tc.LLM-l) > 1e-9 || math.Abs(tc.User-u) > 1e-9 || tc.Key != c.Key {
				t.Fatalf("seed %d: transformed %+v, want %v, %v", seed, tc, l, u)
			}
		}
		front, choice := refChoice(res.Transformed, o.Rule, float64(g.Payoff.Min))
		var fk []string
		for _, i := range front {
			fk = append(fk, res.Transformed[i].Key)
		}
		if !slices.Equal(fk, res.Frontier) || res.Transformed[choice].Key != res.SolverChoice {
			t.Fatalf("seed %d (%s): solver frontier %v choice %s, reference %v %s\n%+v", seed, o.Rule, res.Frontier, res.SolverChoice,
				fk, res.Transformed[choice].Key, res.Transformed)
		}

		// Each later pass reuses what the engine holds from the one before: its prompt and
		// every generated token (the grammar ended each pass, so the last token was decoded
		// before the end-of-generation token was sampled). Where the model's analysis stands,
		// that is the whole context; after an override, everything up to the analysis.
		if len(calls) != len(res.Passes) {
			t.Fatalf("seed %d: %d calls, %d passes", seed, len(calls), len(res.Passes))
		}
		for k := 1; k < len(calls); k++ {
			prev, cur := calls[k-1], calls[k]
			held := append(slices.Clone(prev.req.Tokens), prev.res.Tokens...)
			if prev.res.StopReason != inference.StopEOG {
				t.Fatalf("seed %d pass %d stopped by %q", seed, k-1, prev.res.StopReason)
			}
			want := min(commonPrefix(held, cur.req.Tokens), len(cur.req.Tokens)-1)
			if got := res.Passes[k].CacheN; got != want {
				t.Fatalf("seed %d pass %d: cache_n %d, engine held %d tokens, %d shared", seed, k, got, len(held), want)
			}
			extends := slices.Equal(cur.req.Tokens[:min(len(held), len(cur.req.Tokens))], held)
			kept := res.Passes[k-1].Name != "analyze" || res.Analyze == res.ModelAnalyze
			if kept && (!extends || want != len(held)) {
				t.Fatalf("seed %d pass %d: the prompt does not extend the %d held tokens", seed, k, len(held))
			}
			if !kept && want < res.Passes[k-1].PromptTokens {
				t.Fatalf("seed %d pass %d: override reused %d tokens, less than the analyze prompt's %d", seed, k, want, res.Passes[k-1].PromptTokens)
			}
			if kept {
				counts["exact reuse"]++
			} else {
				counts["override reuse"]++
			}
		}
		if res.Agree {
			counts["agree"]++
		}
		for _, p := range res.Passes {
			counts["ms "+p.Name] += int(p.MS)
			counts["tokens "+p.Name] += p.GeneratedTokens
		}
		if res.Response != "" {
			counts["responses"]++
			// The grammar enforces the question count; "an answer before the question" only
			// the check can tell (random weights often fail it).
			c := res.ResponseCheck
			if res.Truncated || (c.Form != FormAnswer && c.Questions != 1) {
				t.Fatalf("seed %d: response %q: %+v", seed, res.Response, c)
			}
			if !c.OK {
				counts["response check failed: "+c.Problem]++
			}
		}
	}
	t.Logf("%d seeds in %v: %v", seeds, time.Since(t0).Round(time.Millisecond), counts)
	if counts["parsed"] != seeds {
		t.Errorf("parsed %d of %d", counts["parsed"], seeds)
	}
}

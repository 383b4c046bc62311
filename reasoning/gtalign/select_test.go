package gtalign

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/nashd/nashd/reasoning/pricing"
)

// mat builds a matrix of the default game from (LLM, user) pairs in key order.
func mat(vals ...[2]float64) Matrix {
	keys := Default().Keys()
	m := make(Matrix, len(vals))
	for i, v := range vals {
		u, s, _ := SplitKey(keys[i])
		m[i] = Cell{Key: keys[i], UserType: u, Strategy: s, LLM: v[0], User: v[1]}
	}
	return m
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		m        Matrix
		rule     Rule
		frontier string
		choice   string
		tied     string
	}{
		{"welfare: the largest sum", mat([2]float64{4.2, 4.3}, [2]float64{2, 1.5}, [2]float64{3.1, 3.9}, [2]float64{-1, -2.5}, [2]float64{3, 3.5}, [2]float64{2.5, 4}),
			RuleWelfare, "DQ_DA", "DQ_DA", ""},
		// (3, 5) and (4, 4) and (5, 3) all sum to 8: the higher user payoff wins.
		{"welfare: tie to the user", mat([2]float64{4, 4}, [2]float64{3, 5}, [2]float64{5, 3}, [2]float64{1, 1}, [2]float64{0, 0}, [2]float64{2, 2}),
			RuleWelfare, "DQ_DA DQ_CQ DQ_AQ", "DQ_CQ", ""},
		// Equal points: both on the frontier, tie on everything, game order decides.
		{"welfare: full tie in order", mat([2]float64{1, 1}, [2]float64{3, 4}, [2]float64{3, 4}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0}),
			RuleWelfare, "DQ_CQ DQ_AQ", "DQ_CQ", "DQ_CQ DQ_AQ"},
		// Decimal sums tie exactly (0.1 + 0.2 vs 0.3 in binary floats do not).
		{"welfare: exact decimals", mat([2]float64{0.1, 0.2}, [2]float64{0.3, 0}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0}),
			RuleWelfare, "DQ_DA DQ_CQ", "DQ_DA", ""},
		// Nash product from d = -5: (4+5)(4+5) = 81 > (5+5)(2+5) = 70, though both sum to 8 and 7.
		{"nash: balanced wins", mat([2]float64{4, 4}, [2]float64{5, 2}, [2]float64{-5, 5}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0}),
			RuleNashProduct, "DQ_DA DQ_CQ DQ_AQ", "DQ_DA", ""},
		// From d = -5 the lopsided (-4, 5) scores (1)(10) = 10 and (5, 4.5) scores (10)(9.5) = 95;
		// (3.5, 3.5) is dominated by (5, 4.5).
		{"nash: lopsided loses", mat([2]float64{-4, 5}, [2]float64{5, 4.5}, [2]float64{3.5, 3.5}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0}),
			RuleNashProduct, "DQ_DA DQ_CQ", "DQ_CQ", ""},
		// Negative payoffs: with the raw product, (-4, -4) = 16 would beat (1, 3) = 3. From
		// d = -5: (1)(1) = 1 < (6)(8) = 48.
		{"nash: negatives are not rewarded", mat([2]float64{-4, -4}, [2]float64{1, 3}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}),
			RuleNashProduct, "DQ_CQ", "DQ_CQ", ""},
		// Where welfare and the Nash product disagree: sums 6 vs 5.8; products from -5:
		// (10)(6) = 60 vs (7.9)(7.9) = 62.41.
		{"welfare vs nash: welfare", mat([2]float64{5, 1}, [2]float64{2.9, 2.9}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}),
			RuleWelfare, "DQ_DA DQ_CQ", "DQ_DA", ""},
		{"welfare vs nash: nash", mat([2]float64{5, 1}, [2]float64{2.9, 2.9}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}),
			RuleNashProduct, "DQ_DA DQ_CQ", "DQ_CQ", ""},
		// A cell at the disagreement point scores 0; ties between zero products go to the user.
		{"nash: zero products", mat([2]float64{-5, 5}, [2]float64{5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}, [2]float64{-5, -5}),
			RuleNashProduct, "DQ_DA DQ_CQ", "DQ_DA", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decide(tt.m, tt.rule, -5)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(d.Frontier, " ") != tt.frontier || d.Choice != tt.choice || strings.Join(d.Tied, " ") != tt.tied {
				t.Errorf("Decide = %+v; want frontier %s, choice %s, tied %q", d, tt.frontier, tt.choice, tt.tied)
			}
			if (tt.rule == RuleNashProduct) != (d.Disagreement != nil) {
				t.Errorf("Disagreement = %v", d.Disagreement)
			}
		})
	}
	if _, err := Decide(nil, RuleWelfare, -5); err == nil {
		t.Error("Decide(empty) = nil error")
	}
	if _, err := Decide(mat([2]float64{1, 1}), "best", -5); !errors.Is(err, ErrUnknownRule) {
		t.Errorf("Decide(bad rule) = %v", err)
	}
	if _, err := Decide(mat([2]float64{math.NaN(), 1}), RuleWelfare, -5); err == nil || !strings.Contains(err.Error(), "DQ_DA.LLM") {
		t.Errorf("Decide(NaN) = %v", err)
	}
}

// The disagreement point moves below the range when pricing pushed a payoff there.
func TestNashDisagreementBelowRange(t *testing.T) {
	m := mat([2]float64{-6, 4}, [2]float64{1, 1}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0})
	d, err := Decide(m, RuleNashProduct, -5)
	if err != nil {
		t.Fatal(err)
	}
	// d = -6: (0)(10) = 0 vs (7)(7) = 49.
	if *d.Disagreement != -6 || d.Choice != "DQ_CQ" {
		t.Errorf("Decide = %+v (d %v)", d, *d.Disagreement)
	}
}

// pricingPlan builds a "cost" plan where the user pays output tokens at rate 1 per unit.
func pricingPlan(t *testing.T, lengths map[string]int, payer string) *pricing.Plan {
	t.Helper()
	c := pricing.Default()
	c.Payer = payer
	c.InputPricePerMillion = 0
	c.OutputPricePerMillion = 1e6 // one unit per token …
	c.Rate = 0.01                 // … times 0.01 payoff per unit
	c.ExpectedCompletionTokens = lengths
	c.LearnLengths = false
	p, err := pricing.NewPlan(c, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A pricing flip: the same matrix chooses an AQ cell when answers are cheap and a DA cell
// when long answers cost the user more than the follow-up question is worth.
func TestPricingFlip(t *testing.T) {
	m := mat([2]float64{3, 3}, [2]float64{1, 1}, [2]float64{3.5, 3.5}, [2]float64{0, 0}, [2]float64{0, 0}, [2]float64{0, 0})
	cheap := pricingPlan(t, map[string]int{"DA": 10, "CQ": 10, "AQ": 20}, pricing.PayerUser) // AQ −0.2
	dear := pricingPlan(t, map[string]int{"DA": 10, "CQ": 10, "AQ": 150}, pricing.PayerUser) // AQ −1.5
	for _, tt := range []struct {
		plan   *pricing.Plan
		choice string
	}{{nil, "DQ_AQ"}, {cheap, "DQ_AQ"}, {dear, "DQ_DA"}} {
		for _, rule := range []Rule{RuleWelfare, RuleNashProduct} {
			tm := Transform(m, tt.plan)
			d, err := Decide(tm, rule, -5)
			if err != nil {
				t.Fatal(err)
			}
			if d.Choice != tt.choice {
				t.Errorf("%s with plan %v: choice %s, want %s (transformed %+v)", rule, tt.plan != nil, d.Choice, tt.choice, tm)
			}
		}
	}
	// Transform charges the payer only, by the cell's strategy, and leaves m alone.
	tm := Transform(m, dear)
	if tm[2].LLM != 3.5 || tm[2].User != 2 || tm[0].User != 2.9 || m[2].User != 3.5 {
		t.Errorf("Transform = %+v", tm)
	}
	tm = Transform(m, pricingPlan(t, map[string]int{"DA": 10, "CQ": 10, "AQ": 150}, pricing.PayerProvider))
	if tm[2].LLM != 2 || tm[2].User != 3.5 {
		t.Errorf("provider pays: %+v", tm[2])
	}
	if !reflect.DeepEqual(Transform(m, nil), m) {
		t.Error("Transform(nil plan) changed the matrix")
	}
}

// refChoice is an independent float implementation of both rules, written from the
// definitions with plain loops (no solver/welfare): the Pareto frontier, then the rule with
// its tie-breaks, earliest cell last.
func refChoice(m Matrix, rule Rule, lower float64) (frontier []int, choice int) {
	const tol = 1e-9 // payoffs have at most 9 decimals; differences below are ties
	for i, a := range m {
		dominated := false
		for j, b := range m {
			if j != i && b.LLM >= a.LLM-tol && b.User >= a.User-tol && (b.LLM > a.LLM+tol || b.User > a.User+tol) {
				dominated = true
			}
		}
		if !dominated {
			frontier = append(frontier, i)
		}
	}
	d := lower
	for _, c := range m {
		d = min(d, c.LLM, c.User)
	}
	score := func(c Cell) float64 {
		if rule == RuleNashProduct {
			return (c.LLM - d) * (c.User - d)
		}
		return c.LLM + c.User
	}
	choice = frontier[0]
	for _, i := range frontier[1:] {
		a, b := m[i], m[choice]
		switch {
		case score(a) > score(b)+tol:
			choice = i
		case score(a) < score(b)-tol:
		case a.User > b.User+tol:
			choice = i
		case a.User < b.User-tol:
		case a.LLM > b.LLM+tol:
			choice = i
		}
	}
	return frontier, choice
}

// Seeded random matrices (one-decimal payoffs, often tied) with and without pricing: Decide
// agrees with the float reference.
func TestDecideMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	plans := []*pricing.Plan{nil, pricingPlan(t, map[string]int{"DA": 15, "CQ": 4, "AQ": 20}, pricing.PayerUser),
		pricingPlan(t, map[string]int{"DA": 33, "CQ": 7, "AQ": 51}, pricing.PayerProvider)}
	for n := range 3000 {
		m := make(Matrix, 6)
		keys := Default().Keys()
		for i := range m {
			u, s, _ := SplitKey(keys[i])
			m[i] = Cell{Key: keys[i], UserType: u, Strategy: s,
				LLM: float64(rng.IntN(21)-10) / 2, User: float64(rng.IntN(21)-10) / 2}
		}
		tm := Transform(m, plans[n%len(plans)])
		for _, rule := range []Rule{RuleWelfare, RuleNashProduct} {
			d, err := Decide(tm, rule, -5)
			if err != nil {
				t.Fatal(err)
			}
			front, choice := refChoice(tm, rule, -5)
			var fk []string
			for _, i := range front {
				fk = append(fk, tm[i].Key)
			}
			if !reflect.DeepEqual(fk, d.Frontier) || tm[choice].Key != d.Choice {
				t.Fatalf("%s on %+v: Decide = %+v, reference frontier %v choice %s", rule, tm, d, fk, tm[choice].Key)
			}
		}
	}
}

func TestParseOptionNames(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Rule
		ok   bool
	}{{"", RuleWelfare, true}, {"welfare", RuleWelfare, true}, {"nash_product", RuleNashProduct, true}, {"sum", "", false}} {
		got, err := ParseRule(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseRule(%q) = %q, %v", tt.in, got, err)
		}
	}
	if p, err := ParsePolicy(""); p != PolicyOverride || err != nil {
		t.Errorf("ParsePolicy(\"\") = %q, %v", p, err)
	}
	if _, err := ParsePolicy("ignore"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParsePolicy(ignore) = %v", err)
	}
	if a, err := ParseAnalyzeBy(""); a != AnalyzeByModel || err != nil {
		t.Errorf("ParseAnalyzeBy(\"\") = %q, %v", a, err)
	}
	if _, err := ParseAnalyzeBy("judge"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseAnalyzeBy(judge) = %v", err)
	}
}

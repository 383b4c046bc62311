package gtalign

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestLenLogistic(t *testing.T) {
	// Hand-computed: n = 20 with L_min 20, L_max 500, k 0.005: 1/(1+e^0) · 1/(1+e^{-2.4})
	// = 0.5 · 0.916827… ; n = 260 (the middle): (1/(1+e^{-1.2}))² = 0.768525…².
	for _, tt := range []struct {
		n, want float64
	}{
		{20, 0.5 / (1 + math.Exp(-2.4))},
		{260, math.Pow(1/(1+math.Exp(-1.2)), 2)},
		{0, 1 / (1 + math.Exp(0.1)) / (1 + math.Exp(-2.5))},
		{500, 1 / (1 + math.Exp(-2.4)) * 0.5},
	} {
		if got := LenLogistic(tt.n, 20, 500, 0.005); !near(got, tt.want) {
			t.Errorf("LenLogistic(%v) = %v, want %v", tt.n, got, tt.want)
		}
	}
	if a, b := LenLogistic(100, 20, 500, 0.005), LenLogistic(5000, 20, 500, 0.005); !(a > b && b < 1e-5) {
		t.Errorf("long texts are not penalised: %v, %v", a, b)
	}
}

func TestWelfareHandComputed(t *testing.T) {
	terms := ScoreTerms{ResponseWords: 20, TotalWords: 500, PrefaceChars: 500, FormatOK: true, PayoffOK: true}
	a := 0.8
	s, err := Welfare(terms, &a)
	if err != nil {
		t.Fatal(err)
	}
	// len_logistic(20; 20, 500) = 0.5/(1+e^{-2.4}); len_logistic(500; 500, 1000) = 0.5/(1+e^{-2.5}).
	lu := 0.5 / (1 + math.Exp(-2.4))
	ll := 0.5 / (1 + math.Exp(-2.5))
	U := 1e-4 + 0.5*0.8 + 0.2*lu + 0.3*math.Exp(-1)
	L := 1e-4 + 0.2 + 0.2 + 0.4*0.8 + 0.2*ll
	// Numerically: lu = 0.458414, ll = 0.462067; U = 0.5021 + 0.091683 + 0.110364 = 0.602147…,
	// L = 0.7201 + 0.092413 = 0.812513…
	if !near(s.U, U) || !near(s.L, L) || math.Abs(s.U-0.60215) > 1e-4 || math.Abs(s.L-0.81251) > 1e-4 {
		t.Errorf("U, L = %v, %v; want %v, %v", s.U, s.L, U, L)
	}
	if !near(s.W, math.Sqrt(U*L)) || !near(s.Linear, (U+L)/2) || s.UserOnly != s.U || s.LLMOnly != s.L || s.QualityNote != "" {
		t.Errorf("Score = %+v", s)
	}
	// Without a judge: the terms without A, and a note saying so.
	s, err = Welfare(terms, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(s.U, U-0.4) || !near(s.L, L-0.32) || !strings.Contains(s.QualityNote, "without the answer-quality term") || s.Quality != nil {
		t.Errorf("no judge: %+v", s)
	}
	// Nothing right: both sides at their floor, W small but positive.
	s, _ = Welfare(ScoreTerms{PrefaceChars: 1 << 20, TotalWords: 1 << 20, ResponseWords: 1 << 20}, nil)
	if s.W <= 0 || s.W > 1e-3 {
		t.Errorf("floor W = %v", s.W)
	}
	for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := Welfare(terms, &bad); !errors.Is(err, ErrQuality) {
			t.Errorf("Welfare(A = %v) = %v", bad, err)
		}
	}
}

func TestMeasure(t *testing.T) {
	g := Default()
	terms := Measure(g, validTranscript)
	pre := strings.Index(validTranscript, "<response>")
	if !terms.FormatOK || !terms.PayoffOK || terms.ResponseWords != 1 || terms.TotalWords != len(strings.Fields(validTranscript)) || terms.PrefaceChars != pre {
		t.Errorf("Measure(valid) = %+v", terms)
	}
	// Prose outside the blocks: format fails, the payoff still counts.
	terms = Measure(g, "Sure!\n"+validTranscript)
	if terms.FormatOK || !terms.PayoffOK || terms.ResponseWords != 1 {
		t.Errorf("Measure(prose) = %+v", terms)
	}
	// A payoff out of range.
	terms = Measure(g, strings.Replace(validTranscript, `"LLM": 2,`, `"LLM": 9,`, 1))
	if !terms.FormatOK || terms.PayoffOK {
		t.Errorf("Measure(bad payoff) = %+v", terms)
	}
	// No response block: the whole text counts as preface.
	terms = Measure(g, "just an answer")
	if terms.FormatOK || terms.PayoffOK || terms.PrefaceChars != len("just an answer") || terms.ResponseWords != 0 {
		t.Errorf("Measure(plain) = %+v", terms)
	}
	a := 1.0
	s, err := ScoreTranscript(g, validTranscript, &a)
	if err != nil || s.Terms != Measure(g, validTranscript) || s.W <= 0 {
		t.Errorf("ScoreTranscript = %+v, %v", s, err)
	}
}

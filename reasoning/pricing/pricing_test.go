package pricing

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Config)
		errHas string // "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"provider pays", func(c *Config) { c.Payer = PayerProvider }, ""},
		{"paper", func(c *Config) { c.Transform = TransformPaper; c.Paper.Shift = -1 }, ""},
		{"bad payer", func(c *Config) { c.Payer = "bank" }, "payer"},
		{"negative input price", func(c *Config) { c.InputPricePerMillion = -1 }, "input_price_per_million"},
		{"negative output price", func(c *Config) { c.OutputPricePerMillion = -0.1 }, "output_price_per_million"},
		{"NaN rate", func(c *Config) { c.Rate = math.NaN() }, "rate"},
		{"infinite rate", func(c *Config) { c.Rate = math.Inf(1) }, "rate"},
		{"huge price", func(c *Config) { c.OutputPricePerMillion = 1e300 }, "output_price_per_million"},
		{"negative prompt tokens", func(c *Config) { c.ExpectedPromptTokens = -5 }, "expected_prompt_tokens"},
		{"negative completion", func(c *Config) { c.ExpectedCompletionTokens["AQ"] = -1 }, "expected_completion_tokens.AQ"},
		{"bad strategy id", func(c *Config) { c.ExpectedCompletionTokens["9x"] = 3 }, "expected_completion_tokens.9x"},
		{"bad transform", func(c *Config) { c.Transform = "magic" }, "transform"},
		{"bad paper side", func(c *Config) { c.Transform = TransformPaper; c.Paper.Side = "llm" }, "paper.side"},
		{"NaN shift", func(c *Config) { c.Transform = TransformPaper; c.Paper.Shift = math.NaN() }, "paper.shift"},
		{"bad bonus", func(c *Config) {
			c.Transform = TransformPaper
			c.Paper.Bonus = map[string]float64{"DA": math.Inf(-1)}
		}, "paper.bonus.DA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Validate() = %v, want ErrInvalid naming %q", err, tt.errHas)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCostTransform(t *testing.T) {
	c := Default() // 200 prompt tokens at 0.5/M, output 1.5/M, rate 1000
	p, err := NewPlan(c, "pricing.toml@v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	// cost(DA) = (200·0.5 + 150·1.5)/1e6 = 325e-6; × 1000 = 0.325.
	for _, tt := range []struct {
		s       string
		penalty float64
	}{{"DA", 0.325}, {"CQ", 0.16}, {"AQ", 0.4}} {
		if got := p.Penalty[tt.s]; !near(got, tt.penalty) {
			t.Errorf("Penalty[%s] = %v, want %v", tt.s, got, tt.penalty)
		}
		llm, user := p.Adjust(tt.s, 3, 4)
		if llm != 3 || !near(user, 4-tt.penalty) {
			t.Errorf("user pays: Adjust(%s, 3, 4) = %v, %v; want 3, %v", tt.s, llm, user, 4-tt.penalty)
		}
	}
	c.Payer = PayerProvider
	p, _ = NewPlan(c, "v", nil)
	if llm, user := p.Adjust("AQ", 3, 4); !near(llm, 2.6) || user != 4 {
		t.Errorf("provider pays: Adjust(AQ, 3, 4) = %v, %v; want 2.6, 4", llm, user)
	}
	if llm, user := p.Adjust("ZZ", 3, 4); llm != 3 || user != 4 {
		t.Errorf("unknown strategy charged: %v, %v", llm, user)
	}
	if err := p.Covers([]string{"DA", "ZZ", "AQ", "QQ"}); err == nil || !strings.Contains(err.Error(), "QQ, ZZ") {
		t.Errorf("Covers = %v, want the missing QQ, ZZ named", err)
	}
	if err := p.Covers([]string{"DA", "CQ", "AQ"}); err != nil {
		t.Errorf("Covers(known) = %v", err)
	}
}

func TestLearnedLengths(t *testing.T) {
	c := Default()
	learned := map[string]float64{"AQ": 60}
	p, _ := NewPlan(c, "v", learned)
	if !p.Learned["AQ"] || p.CompletionTokens["AQ"] != 60 || p.Learned["DA"] {
		t.Fatalf("plan did not use learned AQ only: %+v", p)
	}
	// (200·0.5 + 60·1.5)/1e6 × 1000 = 0.19
	if !near(p.Penalty["AQ"], 0.19) {
		t.Errorf("Penalty[AQ] = %v, want 0.19", p.Penalty["AQ"])
	}
	c.LearnLengths = false
	p, _ = NewPlan(c, "v", learned)
	if p.Learned["AQ"] || p.CompletionTokens["AQ"] != 200 {
		t.Errorf("learn_lengths = false still used learned lengths: %+v", p)
	}
}

func TestPaperTransform(t *testing.T) {
	tests := []struct {
		name            string
		payer, side     string
		shift           float64
		bonus           map[string]float64
		s               string
		wantLLM, wantUs float64
	}{
		{"llm shifted, AQ", PayerProvider, "", -1, nil, "AQ", 2, 5},
		{"llm shifted, CQ", PayerProvider, "", -1, nil, "CQ", 2, 4.5},
		{"llm shifted, DA", PayerProvider, "", -1, nil, "DA", 2, 4},
		{"user shifted, DA", PayerUser, "", -2, nil, "DA", 4, 2},
		{"user shifted, AQ", PayerUser, "", -2, nil, "AQ", 3.5, 2},
		{"user shifted, CQ", PayerUser, "", -2, nil, "CQ", 3, 2},
		{"explicit side", PayerUser, PayerProvider, 1, nil, "AQ", 4, 5},
		{"custom bonus", PayerProvider, "", 0, map[string]float64{"CQ": 2}, "CQ", 3, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Payer, c.Transform = tt.payer, TransformPaper
			c.Paper = Paper{Side: tt.side, Shift: tt.shift, Bonus: tt.bonus}
			p, err := NewPlan(c, "v", nil)
			if err != nil {
				t.Fatal(err)
			}
			llm, user := p.Adjust(tt.s, 3, 4)
			if !near(llm, tt.wantLLM) || !near(user, tt.wantUs) {
				t.Errorf("Adjust(%s, 3, 4) = %v, %v; want %v, %v", tt.s, llm, user, tt.wantLLM, tt.wantUs)
			}
		})
	}
}

// TestPricingFlip: the same cells choose AQ under one pricing and DA under another (the
// argmax of LLM + user, computed here by hand on two cells).
func TestPricingFlip(t *testing.T) {
	type cell struct {
		s         string
		llm, user float64
	}
	cells := []cell{{"DA", 3, 3}, {"AQ", 3, 3.5}}
	choose := func(c Config) string {
		p, err := NewPlan(c, "v", nil)
		if err != nil {
			t.Fatal(err)
		}
		best, bestV := "", math.Inf(-1)
		for _, x := range cells {
			l, u := p.Adjust(x.s, x.llm, x.user)
			if l+u > bestV {
				best, bestV = x.s, l+u
			}
		}
		return best
	}
	cheap := Default()
	cheap.OutputPricePerMillion = 1 // AQ costs 0.3, DA 0.25: AQ still ahead by 0.45
	dear := Default()
	dear.OutputPricePerMillion = 20 // AQ − DA = 50·20/1e6·1000 = 1.0 > 0.5
	if got := choose(cheap); got != "AQ" {
		t.Errorf("cheap tokens chose %s, want AQ", got)
	}
	if got := choose(dear); got != "DA" {
		t.Errorf("dear tokens chose %s, want DA", got)
	}
}

func TestLengthsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "lengths.json")
	l, err := OpenLengths(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Means()) != 0 {
		t.Fatalf("new store has means %v", l.Means())
	}
	for _, n := range []int{10, 20, 60} {
		if err := l.Observe("AQ", n); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Observe("DA", 7); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenLengths(path)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Means()
	if !near(m["AQ"], 30) || m["DA"] != 7 || len(m) != 2 {
		t.Errorf("reopened means = %v, want AQ 30, DA 7", m)
	}
	if st := r.Stats()["AQ"]; st.N != 3 {
		t.Errorf("reopened AQ count = %d, want 3", st.N)
	}
	for _, bad := range []struct {
		s string
		n int
	}{{"", 3}, {"A-Q", 3}, {"AQ", -1}, {"AQ", maxTokens + 1}} {
		if err := r.Observe(bad.s, bad.n); err == nil {
			t.Errorf("Observe(%q, %d) accepted", bad.s, bad.n)
		}
	}
}

func TestLengthsWindow(t *testing.T) {
	var l Lengths // zero value: in memory
	for range Window {
		l.Observe("DA", 100)
	}
	l.Observe("DA", 100+Window) // moves the mean by exactly 1 once the window is full
	if got := l.Means()["DA"]; !near(got, 101) {
		t.Errorf("mean after window = %v, want 101", got)
	}
	if err := l.Save(); err != nil {
		t.Errorf("in-memory Save = %v", err)
	}
}

func TestLengthsCorrupt(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage":  "{not json",
		"version":  `{"version": 9, "strategies": {}}`,
		"negative": `{"version": 1, "strategies": {"DA": {"mean": -3, "n": 1}}}`,
		"bad id":   `{"version": 1, "strategies": {"D A": {"mean": 3, "n": 1}}}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := OpenLengths(p); err == nil {
			t.Errorf("%s: OpenLengths accepted %s", name, body)
		}
	}
}

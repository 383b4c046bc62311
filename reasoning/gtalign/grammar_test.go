package gtalign

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/gbnf"
)

func TestGrammarsGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		game *Game
	}{{"default", Default()}, {"3x4", game3x4()}} {
		gr, err := NewGrammars(tt.game)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tt.name+"_payoff.gbnf", gr.Payoff)
		golden(t, tt.name+"_analyze.gbnf", gr.Analyze)
		for _, s := range tt.game.Strategies {
			golden(t, tt.name+"_response_"+s.ID+".gbnf", gr.Response[s.ID])
		}
	}
}

// Every generated grammar passes the gbnf safety check (NewGrammars runs it; this also
// reports the sizes) for games of several shapes and ranges.
func TestGrammarsPassSafetyCheck(t *testing.T) {
	wide := Default()
	wide.Payoff = Range{-maxPayoffBound, maxPayoffBound}
	wide.Limits = Limits{ThinkingChars: maxChars, ResponseChars: maxChars, QuestionChars: maxChars}
	negative := Default()
	negative.Payoff = Range{-17, -3}
	big := Default()
	for i := range 29 {
		big.Strategies = append(big.Strategies, Strategy{ID: fmt.Sprintf("S%d", i), Name: "s", Description: "d", Form: FormAnswerQuestion})
	}
	for _, tt := range []struct {
		name string
		game *Game
	}{{"default", Default()}, {"3x4", game3x4()}, {"wide", wide}, {"negative", negative}, {"2x32", big}} {
		t.Run(tt.name, func(t *testing.T) {
			gr, err := NewGrammars(tt.game)
			if err != nil {
				t.Fatal(err)
			}
			all := map[string]string{"payoff": gr.Payoff, "analyze": gr.Analyze}
			for id, src := range gr.Response {
				all["response "+id] = src
			}
			for name, src := range all {
				g, err := gbnf.Parse(src, gbnf.Limits{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				t.Logf("%s: %+v", name, g.Stats())
			}
		})
	}
	bad := Default()
	bad.Strategies = nil
	if _, err := NewGrammars(bad); err == nil {
		t.Error("NewGrammars(invalid game) = nil error")
	}
}

// digitRange covers exactly the integers of [a, b], each once.
func TestDigitRange(t *testing.T) {
	for _, r := range [][2]int{{0, 0}, {0, 9}, {3, 7}, {0, 10}, {7, 13}, {10, 99}, {19, 101}, {1, 999}, {123, 4567}, {998, 1002}, {5, 5}, {0, 100000}} {
		seqs := digitRange(r[0], r[1])
		for n := 0; n <= r[1]+50; n++ {
			s := strconv.Itoa(n)
			hits := 0
			for _, d := range seqs {
				if d.matches(s) {
					hits++
				}
			}
			in := n >= r[0] && n <= r[1]
			if (in && hits != 1) || (!in && hits != 0) {
				t.Fatalf("digitRange(%d, %d): %s matched %d times", r[0], r[1], s, hits)
			}
			if n > 2000 && n < r[1]-2000 {
				n += 997 // sample the middle of large ranges
			}
		}
		// Leading zeros never match.
		for _, s := range []string{"00", "01", "007", "0" + strconv.Itoa(r[1])} {
			for _, d := range seqs {
				if d.matches(s) {
					t.Errorf("digitRange(%d, %d) matches %q", r[0], r[1], s)
				}
			}
		}
	}
}

// numberCandidates lists strings around the range: integers, one and two decimals, signs,
// leading zeros, exponents and junk.
func numberCandidates(lo, hi int) []string {
	var out []string
	for n := min(lo, 0) - 3; n <= max(hi, 0)+3; n++ {
		s := strconv.Itoa(n)
		out = append(out, s)
		for d := range 10 {
			out = append(out, fmt.Sprintf("%s.%d", s, d))
		}
		out = append(out, s+".", s+".05", s+".50", "0"+strings.TrimPrefix(s, "-"), s+"e0")
	}
	for d := range 10 {
		out = append(out, fmt.Sprintf("-0.%d", d))
	}
	return append(out, "-0", "+1", "", "-", ".5", "00", "1.2.3", "--1", "-00.1")
}

// wantNumber is the number grammar's specification: a JSON number with at most one decimal,
// no exponent, no "-0", inside [lo, hi].
func wantNumber(s string, lo, hi int) bool {
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(body, ".")
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') || (hasFrac && len(frac) != 1) {
		return false
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || (strings.HasPrefix(s, "-") && v == 0) {
		return false
	}
	return v >= float64(lo)-1e-12 && v <= float64(hi)+1e-12
}

// The number grammar accepts exactly the numbers with at most one decimal in the range, and
// the payoff parser reads each of them inside the range.
func TestNumberGrammarExact(t *testing.T) {
	for _, r := range [][2]int{{-5, 5}, {0, 10}, {-17, -3}, {1, 12}, {-1, 0}, {-100, 100}, {0, 1}, {-2, 9}, {3, 105}} {
		lo, hi := r[0], r[1]
		src := "root ::= num\nnum ::= (" + strings.Join(numberAlts(lo, hi), " | ") + ")\n"
		m := newMatcher(t, src)
		accepted := 0
		for _, s := range numberCandidates(lo, hi) {
			got, want := m.accepts(s), wantNumber(s, lo, hi)
			if got != want {
				t.Errorf("[%d, %d]: grammar accepts %q = %v, want %v", lo, hi, s, got, want)
			}
			if got {
				accepted++
			}
		}
		// Each tenth in [lo, hi] once, plus ".0" spellings of the integers.
		if want := 10*(hi-lo) + 1 + (hi - lo + 1); accepted != want {
			t.Errorf("[%d, %d]: %d numbers accepted, want %d", lo, hi, accepted, want)
		}
	}
}

func pass1(thinking, payoff string) string {
	return "<thinking>\n" + thinking + "\n</thinking>\n<payoff>\n" + payoff + "\n</payoff>"
}

// The pass-1 grammar's language, checked on texts built to be just inside or outside it.
func TestPayoffGrammarLanguage(t *testing.T) {
	g := Default()
	g.Limits.ThinkingChars = 40
	gr, err := NewGrammars(g)
	if err != nil {
		t.Fatal(err)
	}
	m := newMatcher(t, gr.Payoff)
	ok := FormatPayoff(mat([2]float64{0, -0.5}, [2]float64{1.1, -1.5}, [2]float64{2.2, -2.5}, [2]float64{3.3, -3.5}, [2]float64{4.4, -4.5}, [2]float64{5, 5}))
	swapped := strings.Replace(strings.Replace(ok, "DQ_DA", "XX", 1), "DQ_CQ", "DQ_DA", 1)
	swapped = strings.Replace(swapped, "XX", "DQ_CQ", 1)
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"canonical", pass1("Plain words only.", ok), true},
		{"unicode thinking", pass1("Réponse claire — für alle.", ok), true},
		{"thinking at the limit", pass1(strings.Repeat("a", 40), ok), true},
		{"integer spelled with .0", pass1("x", strings.Replace(ok, `"LLM": 5,`, `"LLM": 5.0,`, 1)), true},
		{"thinking too long", pass1(strings.Repeat("a", 41), ok), false},
		{"digit in thinking", pass1("Option 2 wins.", ok), false},
		{"tag in thinking", pass1("a <b> c", ok), false},
		{"empty thinking", pass1("", ok), false},
		{"out of range", pass1("x", strings.Replace(ok, `"LLM": 0,`, `"LLM": 5.1,`, 1)), false},
		{"two decimals", pass1("x", strings.Replace(ok, `"LLM": 0,`, `"LLM": 0.25,`, 1)), false},
		{"exponent", pass1("x", strings.Replace(ok, `"LLM": 0,`, `"LLM": 1e0,`, 1)), false},
		{"minus zero", pass1("x", strings.Replace(ok, `"LLM": 0,`, `"LLM": -0,`, 1)), false},
		{"keys out of order", pass1("x", swapped), false},
		{"missing key", pass1("x", strings.Replace(ok, `"VQ_AQ"`, `"VQ_XX"`, 1)), false},
		{"fields swapped", pass1("x", strings.Replace(ok, `{"LLM": 0, "user": -0.5}`, `{"user": -0.5, "LLM": 0}`, 1)), false},
		{"trailing comma", pass1("x", strings.Replace(ok, "}\n}", "},\n}", 1)), false},
		{"other layout", pass1("x", strings.ReplaceAll(ok, "\n", "")), false},
		{"text after", pass1("x", ok) + " ok", false},
	}
	for _, tt := range tests {
		if got := m.accepts(tt.text); got != tt.want {
			t.Errorf("%s: accepts = %v, want %v\n%s", tt.name, got, tt.want, tt.text)
		}
	}
	// Whatever the grammar accepts parses strictly.
	for _, tt := range tests {
		if !tt.want {
			continue
		}
		th, p, err := splitPass1(tt.text)
		if err != nil {
			t.Fatalf("%s: splitPass1: %v", tt.name, err)
		}
		if _, err := ParsePayoff(g, p); err != nil || strings.ContainsAny(th, "0123456789") {
			t.Errorf("%s: accepted text does not parse: %v", tt.name, err)
		}
	}
}

func TestAnalyzeAndResponseGrammarLanguage(t *testing.T) {
	g := Default()
	g.Limits = Limits{ThinkingChars: 10, ResponseChars: 30, QuestionChars: 12}
	gr, err := NewGrammars(g)
	if err != nil {
		t.Fatal(err)
	}
	an := newMatcher(t, gr.Analyze)
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"frontier: DQ_DA\nchoice: DQ_DA\n</analyze>", true},
		{"frontier: DQ_DA, VQ_CQ, VQ_AQ\nchoice: VQ_CQ\n</analyze>", true},
		{"frontier: DQ_DA, VQ_AQ, VQ_CQ\nchoice: VQ_CQ\n</analyze>", false}, // not in table order
		{"frontier: VQ_CQ, VQ_CQ\nchoice: VQ_CQ\n</analyze>", false},        // a key twice
		{"frontier: DQ_DA, DQ_CQ, DQ_AQ, VQ_DA, VQ_CQ, VQ_AQ\nchoice: VQ_AQ\n</analyze>", true},
		{"frontier: DQ_DA, DQ_CQ, DQ_AQ, VQ_DA, VQ_CQ, VQ_AQ, DQ_DA\nchoice: VQ_AQ\n</analyze>", false},
		{"frontier: \nchoice: DQ_DA\n</analyze>", false},
		{"frontier: DQ_XX\nchoice: DQ_DA\n</analyze>", false},
		{"frontier: DQ_DA\nchoice: DQ_DA, VQ_AQ\n</analyze>", false},
		{"frontier: DQ_DA\nchoice: DQ_DA", false},
	} {
		if got := an.accepts(tt.text); got != tt.want {
			t.Errorf("analyze grammar accepts %q = %v, want %v", tt.text, got, tt.want)
		}
	}
	end := "\n</response>"
	for _, tt := range []struct {
		strategy, text string
		want           bool
	}{
		{"DA", "Paris." + end, true},
		{"DA", "Is it? Yes. Why? Because." + end, true},
		{"DA", "a < b and c<d" + end, true},
		{"DA", "x </response> y" + end, false},
		{"DA", "x <</b>" + end, false},
		{"DA", strings.Repeat("a", 30) + end, true},
		{"DA", strings.Repeat("a", 31) + end, false},
		{"DA", end, false},
		{"CQ", "Which city?" + end, true},
		{"CQ", "Which? City?" + end, false},
		{"CQ", "Which city" + end, false},
		{"CQ", "?" + end, false},
		{"CQ", "Which city? " + end, false},
		{"CQ", strings.Repeat("a", 11) + "?" + end, true},
		{"CQ", strings.Repeat("a", 12) + "?" + end, false},
		{"AQ", "Paris. Which year?" + end, true},
		{"AQ", "Paris? Which year?" + end, false},
	} {
		m := newMatcher(t, gr.Response[tt.strategy])
		if got := m.accepts(tt.text); got != tt.want {
			t.Errorf("response grammar %s accepts %q = %v, want %v", tt.strategy, tt.text, got, tt.want)
		}
		if tt.want {
			body := strings.TrimSuffix(tt.text, end)
			st, _ := g.Strategy(tt.strategy)
			if c := CheckResponse(st.Form, body); !c.OK {
				t.Errorf("CheckResponse(%s, %q) = %+v for grammar-valid text", st.Form, body, c)
			}
		}
	}
}

// The byte bounds used as MaxTokens cover the longest texts the grammars admit.
func TestMaxBytesBound(t *testing.T) {
	for _, g := range []*Game{Default(), game3x4()} {
		g.Limits = Limits{ThinkingChars: 5, ResponseChars: 4, QuestionChars: 3}
		gr, err := NewGrammars(g)
		if err != nil {
			t.Fatal(err)
		}
		m := make(Matrix, len(g.Keys()))
		for i, k := range g.Keys() {
			m[i] = Cell{Key: k, LLM: float64(g.Payoff.Min), User: float64(g.Payoff.Min)}
		}
		wide := strings.ReplaceAll(FormatPayoff(m), strconv.Itoa(g.Payoff.Min)+",", strconv.Itoa(g.Payoff.Min)+".0,")
		wide = strings.ReplaceAll(wide, strconv.Itoa(g.Payoff.Min)+"}", strconv.Itoa(g.Payoff.Min)+".0}")
		if g.Payoff.Min >= 0 { // the longest numbers are the largest ones
			wide = strings.ReplaceAll(wide, strconv.Itoa(g.Payoff.Min)+".0", strconv.Itoa(g.Payoff.Max)+".0")
		}
		longest := pass1(strings.Repeat("\U0001F600", 5), wide)
		if !newMatcher(t, gr.Payoff).accepts(longest) {
			t.Fatalf("the longest payoff text is not in the language:\n%s", longest)
		}
		if len(longest) > g.payoffMaxBytes() || (g.Payoff.Min < 0 && len(longest) != g.payoffMaxBytes()) {
			t.Errorf("payoffMaxBytes() = %d, longest text %d", g.payoffMaxBytes(), len(longest))
		}
		keys := g.Keys()
		longAn := "frontier: " + strings.Join(keys[:min(len(keys), 64)], ", ") + "\nchoice: " + keys[len(keys)-1] + "\n</analyze>"
		if len(longAn) > g.analyzeMaxBytes() {
			t.Errorf("analyzeMaxBytes() = %d < %d", g.analyzeMaxBytes(), len(longAn))
		}
		longResp := strings.Repeat("<\U0001F600", 4) + "\n</response>"
		if !newMatcher(t, gr.Response[g.Strategies[0].ID]).accepts(longResp) || len(longResp) > g.responseMaxBytes(FormAnswer) {
			t.Errorf("responseMaxBytes(answer) = %d, longest %d", g.responseMaxBytes(FormAnswer), len(longResp))
		}
	}
}

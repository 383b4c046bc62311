package gtalign

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

const validPayoff = `{"DQ_DA": {"LLM": 4.2, "user": 4.3}, "DQ_CQ": {"LLM": 2, "user": 1.5}, "DQ_AQ": {"LLM": 3.1, "user": 3.9},
 "VQ_DA": {"LLM": -1.0, "user": -2.5}, "VQ_CQ": {"LLM": 3, "user": 3.5}, "VQ_AQ": {"LLM": 2.5, "user": 4}}`

func TestParsePayoff(t *testing.T) {
	g := Default()
	m, err := ParsePayoff(g, validPayoff)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Keys(), " "); got != strings.Join(g.Keys(), " ") {
		t.Errorf("keys %s", got)
	}
	if c := m[3]; c.Key != "VQ_DA" || c.UserType != "VQ" || c.Strategy != "DA" || c.LLM != -1 || c.User != -2.5 {
		t.Errorf("cell 3 = %+v", c)
	}
	// Any key order; the matrix comes back in the game's.
	reordered := `{"VQ_AQ": {"user": 4, "LLM": 2.5}, "DQ_CQ": {"LLM": 2, "user": 1.5}, "DQ_DA": {"LLM": 4.2, "user": 4.3},
		"DQ_AQ": {"LLM": 3.1, "user": 3.9}, "VQ_DA": {"LLM": -1.0, "user": -2.5}, "VQ_CQ": {"LLM": 3, "user": 3.5}}`
	m2, err := ParsePayoff(g, reordered)
	if err != nil || !reflect.DeepEqual(m, m2) {
		t.Errorf("reordered: %v, %+v", err, m2)
	}

	tests := []struct {
		name, text, field, problem string
	}{
		{"empty", "", "", "incomplete"},
		{"not an object", `[1, 2]`, "", "want a JSON object"},
		{"syntax", `{"DQ_DA": {"LLM": 4.2 "user": 1}}`, "DQ_DA", "invalid JSON at byte"},
		{"truncated", `{"DQ_DA": {"LLM": 4.2, "user"`, "DQ_DA.user", "incomplete"},
		{"missing key", strings.Replace(validPayoff, `, "VQ_AQ": {"LLM": 2.5, "user": 4}`, "", 1), "VQ_AQ", "missing"},
		{"duplicate key", strings.Replace(validPayoff, `"VQ_AQ"`, `"DQ_DA"`, 1), "DQ_DA", "duplicate key"},
		{"unknown key", strings.Replace(validPayoff, `"VQ_AQ"`, `"VQ_XX"`, 1), "VQ_XX", "unknown key"},
		{"duplicate field", strings.Replace(validPayoff, `"LLM": 2, "user": 1.5`, `"LLM": 2, "LLM": 1.5`, 1), "DQ_CQ.LLM", "duplicate key"},
		{"unknown field", strings.Replace(validPayoff, `"LLM": 2, "user": 1.5`, `"LLM": 2, "User": 1.5`, 1), "DQ_CQ.User", "unknown key"},
		{"missing field", strings.Replace(validPayoff, `"LLM": 2, "user": 1.5`, `"LLM": 2`, 1), "DQ_CQ.user", "missing"},
		{"missing LLM", strings.Replace(validPayoff, `"LLM": 2, "user": 1.5`, `"user": 1.5`, 1), "DQ_CQ.LLM", "missing"},
		{"string number", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": "2",`, 1), "DQ_CQ.LLM", "want a number"},
		{"null", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": null,`, 1), "DQ_CQ.LLM", "want a number, found null"},
		{"cell not an object", strings.Replace(validPayoff, `{"LLM": 2, "user": 1.5}`, `[2, 1.5]`, 1), "DQ_CQ", "want {"},
		{"NaN", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": NaN,`, 1), "DQ_CQ.LLM", "invalid JSON"},
		{"Infinity", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": Infinity,`, 1), "DQ_CQ.LLM", "invalid JSON"},
		{"huge", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": 1e400,`, 1), "DQ_CQ.LLM", "not a finite float64"},
		{"out of range", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": 5.5,`, 1), "DQ_CQ.LLM", "5.5 outside [-5, 5]"},
		{"below range", strings.Replace(validPayoff, `"user": 1.5`, `"user": -7`, 1), "DQ_CQ.user", "-7 outside [-5, 5]"},
		{"trailing data", validPayoff + ` {}`, "", "after the object"},
		{"trailing comma", strings.Replace(validPayoff, `"user": 4}}`, `"user": 4},}`, 1), "", "invalid JSON"},
		{"invalid UTF-8", "{\xff}", "", "UTF-8"},
		{"too long", "{" + strings.Repeat(" ", maxPayoffText) + "}", "", "bytes, at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePayoff(g, tt.text)
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrParse) {
				t.Fatalf("ParsePayoff = %v, want a *ParseError", err)
			}
			if pe.Block != "payoff" || pe.Field != tt.field || !strings.Contains(pe.Problem, tt.problem) {
				t.Errorf("ParsePayoff = %+v, want field %q and a problem containing %q", pe, tt.field, tt.problem)
			}
		})
	}
}

func TestRepairPayoff(t *testing.T) {
	g := Default()
	want, err := ParsePayoff(g, validPayoff)
	if err != nil {
		t.Fatal(err)
	}
	curly := strings.ReplaceAll(strings.ReplaceAll(validPayoff, `"DQ_DA"`, "\u201cDQ_DA\u201d"), `"LLM": 2,`, "\u201cLLM\u201d: 2,")
	single := strings.ReplaceAll(validPayoff, `"`, `'`)
	trailing := strings.Replace(strings.Replace(validPayoff, `"user": 4}}`, `"user": 4,},}`, 1), `"user": 4.3}`, `"user": 4.3,}`, 1)
	fenced := "Here is the matrix:\n```json\n" + validPayoff + "\n```\n"
	tests := []struct {
		name    string
		text    string
		repairs []string
	}{
		{"strict", validPayoff, nil},
		{"curly quotes", curly, []string{RepairCurlyQuotes}},
		{"single quotes", single, []string{RepairSingleQuotes}},
		{"trailing commas", trailing, []string{RepairTrailingComma}},
		{"fenced", fenced, []string{RepairExtracted}},
		{"all", "```\n" + strings.ReplaceAll(strings.ReplaceAll(trailing, `"`, "'"), "'DQ_CQ'", "\u2018DQ_CQ\u2019") + "\n```",
			[]string{RepairExtracted, RepairCurlyQuotes, RepairSingleQuotes, RepairTrailingComma}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, repairs, err := RepairPayoff(g, tt.text)
			if err != nil {
				t.Fatalf("RepairPayoff: %v", err)
			}
			if !reflect.DeepEqual(repairs, tt.repairs) || !reflect.DeepEqual(m, want) {
				t.Errorf("RepairPayoff = %+v, %v; want the matrix, %v", m, repairs, tt.repairs)
			}
		})
	}
	// A string with an apostrophe inside double quotes is left alone; a single-quoted one
	// with a double quote inside is escaped.
	if s, ok := singleQuotes(`{"it's": 'say "hi"'}`); !ok || s != `{"it's": "say \"hi\""}` {
		t.Errorf("singleQuotes = %s, %v", s, ok)
	}
	if s, ok := trailingCommas(`{"a,}": [1,2,],}`); !ok || s != `{"a,}": [1,2]}` {
		t.Errorf("trailingCommas = %s, %v", s, ok)
	}
	// What repairs cannot fix is a typed error naming the problem.
	for _, tt := range []struct{ text, field, problem string }{
		{strings.Replace(single, `'LLM': 2,`, `'LLM': 9,`, 1), "DQ_CQ.LLM", "outside [-5, 5] (after repairs: converted single-quoted strings)"},
		{strings.Replace(validPayoff, `"user": 4}`, `"user": }`, 1), "VQ_AQ.user", "invalid JSON"},
		{"no matrix here", "", "invalid JSON"},
	} {
		_, _, err := RepairPayoff(g, tt.text)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != tt.field || !strings.Contains(pe.Problem, tt.problem) {
			t.Errorf("RepairPayoff(%.50q) = %v, want field %q, problem %q", tt.text, err, tt.field, tt.problem)
		}
	}
}

func TestMatrixJSON(t *testing.T) {
	m, err := ParsePayoff(Default(), validPayoff)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct{ M Matrix }{m})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"M":{"DQ_DA":{"LLM":4.2,"user":4.3},"DQ_CQ":{"LLM":2,"user":1.5},"DQ_AQ":{"LLM":3.1,"user":3.9},` +
		`"VQ_DA":{"LLM":-1,"user":-2.5},"VQ_CQ":{"LLM":3,"user":3.5},"VQ_AQ":{"LLM":2.5,"user":4}}}`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant      %s", b, want)
	}
	var back struct{ M Matrix }
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.M, m) {
		t.Errorf("round trip: %v, %+v", err, back.M)
	}
	// Any TYPE_STRATEGY keys, order kept; no range check; strict otherwise.
	var other Matrix
	if err := json.Unmarshal([]byte(`{"Z_B": {"LLM": 40, "user": -9}, "A_B": {"LLM": 1, "user": 2}}`), &other); err != nil ||
		len(other) != 2 || other[0].Key != "Z_B" || other[0].LLM != 40 {
		t.Errorf("Unmarshal other keys: %v, %+v", err, other)
	}
	// An empty matrix (a result whose payoff never parsed) round-trips.
	for _, empty := range []string{`{}`, ` { } `, `null`} {
		other = Matrix{{Key: "A_B"}}
		if err := json.Unmarshal([]byte(empty), &other); err != nil || len(other) != 0 {
			t.Errorf("Unmarshal(%s) = %v, %+v; want the empty matrix", empty, err, other)
		}
	}
	if b, _ := json.Marshal(Matrix(nil)); string(b) != `{}` {
		t.Errorf("Marshal(empty) = %s", b)
	}
	for _, bad := range []string{`{"AB": {"LLM": 1, "user": 2}}`, `{"A_B": {"LLM": 1, "user": 2}, "A_B": {"LLM": 1, "user": 2}}`, `{"A_B": {"LLM": 1}}`} {
		if err := json.Unmarshal([]byte(bad), &other); err == nil {
			t.Errorf("Unmarshal(%s) = nil error", bad)
		}
	}
	// Transformed payoffs print in full.
	if b, _ := json.Marshal(Matrix{{Key: "A_B", LLM: 3.675, User: -0.1}}); string(b) != `{"A_B":{"LLM":3.675,"user":-0.1}}` {
		t.Errorf("Marshal = %s", b)
	}
}

func TestParseAnalyze(t *testing.T) {
	g := Default()
	tests := []struct {
		text  string
		want  Analysis
		field string // "" = valid
	}{
		{"frontier: DQ_DA, VQ_AQ\nchoice: VQ_AQ", Analysis{[]string{"DQ_DA", "VQ_AQ"}, "VQ_AQ"}, ""},
		{"Frontier: \"DQ_DA\" VQ_AQ\nSome prose here.\nChoice: `VQ_AQ`.", Analysis{[]string{"DQ_DA", "VQ_AQ"}, "VQ_AQ"}, ""},
		{"choice: DQ_CQ\nfrontier: DQ_CQ", Analysis{[]string{"DQ_CQ"}, "DQ_CQ"}, ""},
		{"frontier: DQ_DA", Analysis{}, "choice"},
		{"choice: DQ_DA", Analysis{}, "frontier"},
		{"frontier: \nchoice: DQ_DA", Analysis{}, "frontier"},
		{"frontier: DQ_XX\nchoice: DQ_DA", Analysis{}, "frontier"},
		{"frontier: DQ_DA\nchoice: DQ_DA, DQ_CQ", Analysis{}, "choice"},
		{"frontier: DQ_DA\nchoice: nope", Analysis{}, "choice"},
		{"frontier: DQ_DA\nfrontier: DQ_DA\nchoice: DQ_DA", Analysis{}, "frontier"},
		{"frontier: VQ_CQ, VQ_CQ\nchoice: VQ_CQ", Analysis{}, "frontier"},
		{"frontier: DQ_DA\nchoice: DQ_DA\nchoice: DQ_DA", Analysis{}, "choice"},
	}
	for _, tt := range tests {
		a, err := ParseAnalyze(g, tt.text)
		if tt.field == "" {
			if err != nil || !reflect.DeepEqual(a, tt.want) {
				t.Errorf("ParseAnalyze(%q) = %+v, %v; want %+v", tt.text, a, err, tt.want)
			}
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Block != "analyze" || pe.Field != tt.field {
			t.Errorf("ParseAnalyze(%q) = %v, want a ParseError on %s", tt.text, err, tt.field)
		}
	}
	a := Analysis{Frontier: []string{"DQ_DA", "VQ_CQ"}, Choice: "VQ_CQ"}
	if b, err := ParseAnalyze(g, a.String()); err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("round trip of %q: %+v, %v", a.String(), b, err)
	}
}

const validTranscript = "<thinking>\nClear question.\n</thinking>\n<payoff>\n" + validPayoff +
	"\n</payoff>\n<analyze>\nfrontier: DQ_DA\nchoice: DQ_DA\n</analyze>\n<response>\nParis.\n</response>"

func TestParseTranscript(t *testing.T) {
	tr, err := ParseTranscript(validTranscript)
	if err != nil {
		t.Fatal(err)
	}
	want := Transcript{Thinking: "Clear question.", Payoff: validPayoff, Analyze: "frontier: DQ_DA\nchoice: DQ_DA", Response: "Paris."}
	if tr != want {
		t.Errorf("ParseTranscript = %+v", tr)
	}
	if tr.String() != validTranscript {
		t.Errorf("String() = %q", tr.String())
	}
	if tr, err := ParseTranscript("  <thinking>a</thinking><payoff>{}</payoff>\n\n<analyze></analyze><response>b</response>\n"); err != nil ||
		tr != (Transcript{"a", "{}", "", "b"}) {
		t.Errorf("compact transcript: %+v, %v", tr, err)
	}
	tests := []struct{ name, text, field, problem string }{
		{"empty", "", "thinking", "missing <thinking>"},
		{"prose before", "Sure! " + validTranscript, "thinking", "text outside the blocks before <thinking>"},
		{"prose between", strings.Replace(validTranscript, "<analyze>", "Now: <analyze>", 1), "analyze", "text outside the blocks"},
		{"prose after", validTranscript + "\nBye.", "response", "after </response>"},
		{"missing block", strings.Replace(validTranscript, "<analyze>\nfrontier: DQ_DA\nchoice: DQ_DA\n</analyze>\n", "", 1), "analyze", "missing <analyze>"},
		{"unclosed", strings.TrimSuffix(validTranscript, "\n</response>"), "response", "not closed"},
		{"wrong order", strings.Replace(strings.Replace(validTranscript, "thinking>", "x>", 2), "<payoff>", "<thinking>", 1), "thinking", "outside the blocks"},
	}
	for _, tt := range tests {
		_, err := ParseTranscript(tt.text)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Block != "transcript" || pe.Field != tt.field || !strings.Contains(pe.Problem, tt.problem) {
			t.Errorf("%s: ParseTranscript = %v, want field %s, problem %q", tt.name, err, tt.field, tt.problem)
		}
	}
}

// FuzzParsePayoff: the strict and repairing parsers never panic; whatever they accept is a
// complete matrix of finite numbers in range, and reads back the same from its JSON.
func FuzzParsePayoff(f *testing.F) {
	f.Add(validPayoff)
	f.Add(strings.ReplaceAll(validPayoff, `"`, `'`))
	f.Add(`{"DQ_DA": {"LLM": 1e400, "user": NaN}}`)
	f.Add("```json\n{\u201cDQ_DA\u201d: {'LLM': 1,},}\n```")
	f.Add(`{"DQ_DA": {"LLM": 1, "LLM": 2}}`)
	g := Default()
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func() (Matrix, error){
			func() (Matrix, error) { return ParsePayoff(g, s) },
			func() (Matrix, error) { m, _, err := RepairPayoff(g, s); return m, err },
		} {
			m, err := parse()
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *ParseError", err)
				}
				continue
			}
			if len(m) != len(g.Keys()) {
				t.Fatalf("%d cells", len(m))
			}
			for i, c := range m {
				if c.Key != g.Keys()[i] || math.IsNaN(c.LLM+c.User) || c.LLM < -5 || c.LLM > 5 || c.User < -5 || c.User > 5 {
					t.Fatalf("bad cell %+v", c)
				}
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePayoff(g, string(b))
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("round trip of %s: %v", b, err)
			}
			if back, err := ParsePayoff(g, FormatPayoff(m)); err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("round trip of %s: %v", FormatPayoff(m), err)
			}
		}
	})
}

// FuzzParseTranscript: never panics; a parsed transcript writes back to text that parses to
// the same blocks, and the analysis parser never panics on its block.
func FuzzParseTranscript(f *testing.F) {
	f.Add(validTranscript)
	f.Add("<thinking></thinking><payoff></payoff><analyze></analyze><response></response>")
	f.Add("<thinking>\n<payoff>\n</thinking>")
	f.Add("<thinking>a</thinking>\n<payoff>{}</payoff><analyze>frontier: DQ_DA\nchoice: VQ_AQ</analyze><response>?</response>x")
	g := Default()
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := ParseTranscript(s)
		_, _ = ParseAnalyze(g, s)
		_ = Measure(g, s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		back, err := ParseTranscript(tr.String())
		if err != nil || back != tr {
			t.Fatalf("round trip: %+v -> %q -> %+v, %v", tr, tr.String(), back, err)
		}
	})
}

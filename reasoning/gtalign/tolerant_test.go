package gtalign

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestRepairPass1(t *testing.T) {
	g := Default()
	want, err := ParsePayoff(g, validPayoff)
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.NewReplacer(`"DQ_DA"`, `"dq_da"`, `"LLM"`, `"llm"`).Replace(validPayoff)
	quoted := strings.Replace(validPayoff, `"LLM": 4.2`, `"LLM": "4.2"`, 1)
	tests := []struct {
		name, text, thinking string
		repairs              []string
	}{
		{"strict", pass1("Clear question.", validPayoff), "Clear question.", nil},
		{"tags in capitals and spaced", "<THINKING>\nClear question.\n</ Thinking >\n< payoff >\n" + validPayoff + "\n</PAYOFF>",
			"Clear question.", []string{RepairTags}},
		{"code fence", "<thinking>Clear question.</thinking>\n<payoff>\n```json\n" + validPayoff + "\n```\n</payoff>",
			"Clear question.", []string{RepairCodeFence}},
		{"fenced JSON without payoff tags", "<thinking>\nClear question.\n</thinking>\nHere is the matrix:\n```json\n" + validPayoff + "\n```\nDone.",
			"Clear question.", []string{RepairNoPayoffTag, RepairCodeFence, RepairTrailingText}},
		{"the rest of the transcript after the block", pass1("Clear question.", validPayoff) + "\n<analyze>\nfrontier: DQ_DA\nchoice: DQ_DA\n</analyze>\n<response>\nParis {}.\n</response>",
			"Clear question.", nil},
		{"prose after the object", "<thinking>\nClear question.\n</thinking>\n<payoff>\n" + validPayoff + "\nThat is all.\n</payoff>",
			"Clear question.", []string{RepairTrailingText}},
		{"unclosed block", "<thinking>\nClear question.\n</thinking>\n<payoff>\n" + validPayoff,
			"Clear question.", []string{RepairUnclosed}},
		{"unclosed thinking", "<thinking>\nClear question.\n<payoff>\n" + validPayoff + "\n</payoff>",
			"Clear question.", []string{RepairThinkingOpen}},
		{"no thinking", "<payoff>\n" + validPayoff + "\n</payoff>", "", []string{RepairNoThinking}},
		{"tags inside the thinking", "<thinking>\nI will <analyze> then <RESPONSE>.\n</thinking>\n<payoff>\n" + validPayoff + "\n</payoff>",
			"I will  then .", []string{RepairTags}},
		{"keys in another case", pass1("x", lower), "x", []string{RepairKeyCase}},
		{"quoted numbers", pass1("x", quoted), "x", []string{RepairQuotedNumbers}},
		{"single quotes and trailing commas", pass1("x", strings.ReplaceAll(strings.Replace(validPayoff, `"user": 4}}`, `"user": 4},}`, 1), `"`, `'`)),
			"x", []string{RepairSingleQuotes, RepairTrailingComma}},
		{"curly quotes", pass1("x", strings.Replace(validPayoff, `"DQ_DA"`, "\u201cDQ_DA\u201d", 1)), "x", []string{RepairCurlyQuotes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := RepairPass1(g, tt.text)
			if err != nil {
				t.Fatalf("RepairPass1: %v", err)
			}
			if !reflect.DeepEqual(p.Matrix, want) || p.Thinking != tt.thinking || !slices.Equal(p.Repairs, tt.repairs) {
				t.Errorf("got thinking %q, repairs %q, matrix %v; want %q, %q", p.Thinking, p.Repairs, p.Matrix, tt.thinking, tt.repairs)
			}
			// The blocks written back are in the grammar's layout.
			th, payoff, err := splitPass1(p.String())
			if err != nil || th != p.Thinking {
				t.Fatalf("String() = %q: %v", p.String(), err)
			}
			if m, err := ParsePayoff(g, payoff); err != nil || !reflect.DeepEqual(m, want) {
				t.Errorf("String()'s payoff: %v", err)
			}
		})
	}

	fails := []struct {
		name, text, block, field, problem string
	}{
		{"no object", "<thinking>\nhmm\n</thinking>\n<payoff>\nDQ_DA is best\n</payoff>", "payoff", "", "no JSON object"},
		{"nothing", "", "payoff", "", "no JSON object"},
		{"out of range", pass1("x", strings.Replace(validPayoff, `"LLM": 2,`, `"LLM": 7,`, 1)), "payoff", "DQ_CQ.LLM", "outside [-5, 5]"},
		{"missing key", pass1("x", strings.Replace(validPayoff, `, "VQ_AQ": {"LLM": 2.5, "user": 4}`, "", 1)), "payoff", "VQ_AQ", "missing"},
		{"cut short", "<thinking>\nx\n</thinking>\n<payoff>\n{\"DQ_DA\": {\"LLM\": 4", "payoff", "DQ_DA", "incomplete (read loosely: the payoff block is not closed)"},
		{"an object in the thinking only", "<thinking>\n{\"a\": 1}\n</thinking>\nno payoff", "payoff", "", "no JSON object"},
		{"invalid UTF-8", pass1("x\xff", validPayoff), "transcript", "", "UTF-8"},
		{"too long", pass1(strings.Repeat("x", maxPass1Text), validPayoff), "transcript", "", "bytes, at most"},
	}
	for _, tt := range fails {
		_, err := RepairPass1(g, tt.text)
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrParse) || pe.Block != tt.block || pe.Field != tt.field || !strings.Contains(pe.Problem, tt.problem) {
			t.Errorf("%s: RepairPass1 = %v; want a ParseError on %s %q: …%s", tt.name, err, tt.block, tt.field, tt.problem)
		}
	}
}

// FuzzRepairPass1: never panics; errors are *ParseError; what it accepts is a complete
// matrix in range, and the blocks it writes back parse strictly to the same thinking and
// matrix, and as a transcript's first two blocks.
func FuzzRepairPass1(f *testing.F) {
	f.Add(pass1("Clear question.", validPayoff))
	f.Add("<THINKING>x</ thinking>\n<payoff>```json\n" + validPayoff + "\n```</payoff><analyze>")
	f.Add("<thinking>a <payoff> b</thinking>{'dq_da': {'llm': '1',},}")
	f.Add("<thin<thinking>king>\n<payoff>{\"DQ_DA\": {\"LLM\": \"-0\", \"user\": 5}}")
	f.Add("{\"}\" : {")
	f.Add("<thinking>\nx\n</thinking>\nThe matrix:\n```json\n" + strings.NewReplacer(`"DQ_DA"`, `"dq_da"`, `"LLM": 2,`, `"LLM": "2",`).Replace(validPayoff) + "\n```\nDone.")
	f.Add("<payoff>" + strings.Replace(validPayoff, `"user": 4}}`, `"user": 4},}`, 1))
	g := Default()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := RepairPass1(g, s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		if len(p.Matrix) != len(g.Keys()) {
			t.Fatalf("%d cells", len(p.Matrix))
		}
		for i, c := range p.Matrix {
			if c.Key != g.Keys()[i] || math.IsNaN(c.LLM+c.User) || c.LLM < -5 || c.LLM > 5 || c.User < -5 || c.User > 5 {
				t.Fatalf("bad cell %+v", c)
			}
		}
		th, payoff, err := splitPass1(p.String())
		if err != nil || th != p.Thinking {
			t.Fatalf("String() = %q does not split back (%v)", p.String(), err)
		}
		if m, err := ParsePayoff(g, payoff); err != nil || !reflect.DeepEqual(m, p.Matrix) {
			t.Fatalf("String()'s payoff %q: %v", payoff, err)
		}
		again, err := RepairPass1(g, p.String())
		if err != nil || again.Repairs != nil || again.Thinking != p.Thinking {
			t.Fatalf("String() = %q reads back with %v, repairs %q", p.String(), err, again.Repairs)
		}
		tr, err := ParseTranscript(p.String() + "\n<analyze>\nchoice: DQ_DA\n</analyze>\n<response>\nx\n</response>")
		if err != nil || tr.Thinking != p.Thinking {
			t.Fatalf("the transcript of %q: %+v, %v", p.String(), tr, err)
		}
	})
}

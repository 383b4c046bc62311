package gtalign

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pass1 is pass 1's output as read: the thinking text, the payoff matrix in the game's order,
// and the repairs it took to read it (nil when it was in the grammar's form).
type Pass1 struct {
	Thinking string
	Matrix   Matrix
	Repairs  []string
}

// String writes the blocks in the grammar's layout: the `<thinking>` block, then the
// `<payoff>` block with the matrix as [FormatPayoff] writes it.
func (p Pass1) String() string {
	return "<thinking>\n" + p.Thinking + "\n</thinking>\n<payoff>\n" + FormatPayoff(p.Matrix) + payoffEnd
}

// Repairs of pass 1's layout reported by [RepairPass1], besides those of [RepairPayoff].
const (
	RepairTags          = "read block tags written loosely"
	RepairNoThinking    = "no <thinking> block"
	RepairThinkingOpen  = "the thinking block is not closed"
	RepairNoPayoffTag   = "no <payoff> tag"
	RepairUnclosed      = "the payoff block is not closed"
	RepairCodeFence     = "dropped a code fence"
	RepairTrailingText  = "ignored text after the payoff object"
	RepairKeyCase       = "corrected the case of keys"
	RepairQuotedNumbers = "unquoted numbers"
)

// maxPass1Text bounds the text [RepairPass1] reads (bytes).
const maxPass1Text = 4 * maxPayoffText

// Block tags as models write them without a grammar: any case, spaces inside the brackets.
var (
	thinkingOpenRE  = regexp.MustCompile(`(?i)<\s*thinking\s*>`)
	thinkingCloseRE = regexp.MustCompile(`(?i)<\s*/\s*thinking\s*>`)
	payoffOpenRE    = regexp.MustCompile(`(?i)<\s*payoff\s*>`)
	payoffCloseRE   = regexp.MustCompile(`(?i)<\s*/\s*payoff\s*>`)
	// anyTagRE matches the four blocks' tags; the thinking text loses them, so the
	// transcript built from it splits into its blocks again.
	anyTagRE = regexp.MustCompile(`(?i)<\s*/?\s*(?:thinking|payoff|analyze|response)\s*>`)
	fenceRE  = regexp.MustCompile("(?m)^[ \t]*```[A-Za-z]*[ \t]*$")
)

// RepairPass1 reads pass 1's output (`<thinking>` and `<payoff>`) written without a grammar.
// It parses strictly first, as the grammar writes it. Otherwise it reads the payoff block
// between its tags in any case and spacing (without the closing tag, to the end of the text;
// without any tag, the first JSON object after the thinking block), drops a code fence and
// any text after the object, corrects keys written in another case and numbers written as
// strings, and applies [RepairPayoff]'s repairs; text after the block (an analysis or a
// response written on) is ignored. A missing `<thinking>` block reads as empty thinking.
// The matrix must still hold exactly the game's keys, with every payoff inside the game's
// range. The repairs made come back in the result; an error is a *[ParseError], its problem
// noting the repairs tried.
func RepairPass1(g *Game, text string) (Pass1, error) {
	if len(text) > maxPass1Text {
		return Pass1{}, &ParseError{Block: "transcript", Problem: fmt.Sprintf("%d bytes, at most %d", len(text), maxPass1Text)}
	}
	if !utf8.ValidString(text) {
		return Pass1{}, &ParseError{Block: "transcript", Problem: "not valid UTF-8"}
	}
	if thinking, payoff, err := splitPass1(text); err == nil && !anyTagRE.MatchString(thinking) {
		if m, err := ParsePayoff(g, payoff); err == nil {
			return Pass1{Thinking: thinking, Matrix: m}, nil
		}
	}

	var p Pass1
	note := func(r string) {
		for _, have := range p.Repairs {
			if have == r {
				return
			}
		}
		p.Repairs = append(p.Repairs, r)
	}
	loose := func(in string, loc []int, exact string) {
		if in[loc[0]:loc[1]] != exact {
			note(RepairTags)
		}
	}

	// The thinking block: from its tag to its closing tag or the payoff tag, whichever
	// comes first.
	rest := 0 // where the payoff block is looked for
	var thinking string
	if to := thinkingOpenRE.FindStringIndex(text); to != nil {
		loose(text, to, "<thinking>")
		body := text[to[1]:]
		end, after := len(body), len(body)
		if tc := thinkingCloseRE.FindStringIndex(body); tc != nil {
			loose(body, tc, "</thinking>")
			end, after = tc[0], tc[1]
		}
		if po := payoffOpenRE.FindStringIndex(body); po != nil && po[0] < end {
			end, after = po[0], po[0]
		}
		if end == len(body) || !thinkingCloseRE.MatchString(body[:after]) {
			note(RepairThinkingOpen)
		}
		thinking = body[:end]
		rest = to[1] + after
	} else {
		note(RepairNoThinking)
	}
	for anyTagRE.MatchString(thinking) { // removing one tag can join the text around it into another
		thinking = anyTagRE.ReplaceAllString(thinking, "")
		note(RepairTags)
	}
	p.Thinking = strings.TrimSpace(thinking)

	// The payoff block: between its tags, else what follows the thinking block.
	region := text[rest:]
	if po := payoffOpenRE.FindStringIndex(region); po != nil {
		loose(region, po, "<payoff>")
		region = region[po[1]:]
		if pc := payoffCloseRE.FindStringIndex(region); pc != nil {
			loose(region, pc, "</payoff>")
			region = region[:pc[0]]
		} else {
			note(RepairUnclosed)
		}
	} else {
		note(RepairNoPayoffTag)
	}
	if f := fenceRE.ReplaceAllString(region, ""); f != region {
		region = f
		note(RepairCodeFence)
	}
	obj, trailing, ok := firstObject(region)
	if !ok {
		return Pass1{Thinking: p.Thinking}, p.fail(&ParseError{Block: "payoff", Problem: "no JSON object"})
	}
	if trailing {
		note(RepairTrailingText)
	}
	fixed, repairs := repair(obj)
	for _, r := range repairs {
		note(r)
	}
	if t, changed := foldKeys(g, fixed); changed {
		fixed = t
		note(RepairKeyCase)
	}
	if t, changed := unquoteNumbers(fixed); changed {
		fixed = t
		note(RepairQuotedNumbers)
	}
	m, err := ParsePayoff(g, fixed)
	if err != nil {
		return Pass1{Thinking: p.Thinking}, p.fail(err)
	}
	p.Matrix = m
	return p, nil
}

// fail notes the repairs tried in a *ParseError's problem.
func (p Pass1) fail(err error) error {
	if pe, ok := err.(*ParseError); ok && len(p.Repairs) > 0 {
		pe.Problem += " (read loosely: " + strings.Join(p.Repairs, ", ") + ")"
	}
	return err
}

// firstObject returns the first JSON object in s, from its '{' to the matching '}' (braces
// inside double-quoted strings do not count), and whether anything but white space follows
// it. An object that is never closed runs to the end of s (the parser then reports it
// incomplete). ok is false when s holds no '{'.
func firstObject(s string) (obj string, trailing, ok bool) {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return "", false, false
	}
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '"':
			end, _ := stringEnd(s, j, '"')
			j = end - 1
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[i : j+1], strings.TrimSpace(s[j+1:]) != "", true
			}
		}
	}
	return s[i:], false, true
}

// foldKeys rewrites each double-quoted string equal to one of the game's keys, "LLM" or
// "user" but for case as that key.
func foldKeys(g *Game, s string) (string, bool) {
	names := slices.Concat(g.Keys(), []string{"LLM", "user"})
	return mapStrings(s, func(inner string, _ bool) (string, bool) {
		for _, n := range names {
			if inner != n && strings.EqualFold(inner, n) {
				return strconv.Quote(n), true
			}
		}
		return "", false
	})
}

// unquoteNumbers rewrites a double-quoted number in value position ("x": "4.2") as the
// number.
func unquoteNumbers(s string) (string, bool) {
	return mapStrings(s, func(inner string, value bool) (string, bool) {
		t := strings.TrimSpace(inner)
		if !value || t == "" || len(t) > 24 {
			return "", false
		}
		if _, err := strconv.ParseFloat(t, 64); err != nil || !jsonNumberRE.MatchString(t) {
			return "", false
		}
		return t, true
	})
}

var jsonNumberRE = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

// mapStrings calls f on the contents of every double-quoted string of s (without escapes
// decoded; value says whether a ':' precedes it) and puts f's replacement, when it gives
// one, in the string's place.
func mapStrings(s string, f func(inner string, value bool) (string, bool)) (string, bool) {
	var b strings.Builder
	changed := false
	prev := byte(0) // the last byte outside strings and white space
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '"' {
			b.WriteByte(c)
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				prev = c
			}
			continue
		}
		j, closed := stringEnd(s, i, '"')
		if closed {
			if r, ok := f(s[i+1:j-1], prev == ':'); ok {
				b.WriteString(r)
				changed = true
				i, prev = j-1, '"'
				continue
			}
		}
		b.WriteString(s[i:j])
		i, prev = j-1, '"'
	}
	return b.String(), changed
}

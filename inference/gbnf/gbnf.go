package gbnf

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors a grammar check matches (with errors.Is on the returned *Error).
var (
	// ErrSyntax: the grammar does not parse, or names a rule it does not define, or has no
	// root rule: llama.cpp rejects it too (safely; the tests ask it).
	ErrSyntax = errors.New("gbnf: syntax error")
	// ErrLeftRecursion: a rule can reach itself without consuming input. llama.cpp rejects the
	// cases where every step is written explicitly; the rest make it recurse forever.
	ErrLeftRecursion = errors.New("gbnf: left recursion")
	// ErrUnsafe: llama.cpp's parser accepts the grammar but then fails on it: repetition
	// bounds {m,n} with n < m (it builds rules until memory runs out), or a root rule that
	// is referenced and then redefined away (it indexes past its rules).
	ErrUnsafe = errors.New("gbnf: grammar llama.cpp cannot run")
	// ErrLimit: the grammar is valid GBNF but exceeds one of the [Limits].
	ErrLimit = errors.New("gbnf: grammar exceeds a limit")
)

// Error is a rejected grammar: why, and where.
type Error struct {
	Line, Col int    // 1-based position in the grammar text (Col counts characters); 0 if none
	Rule      string // the rule concerned, if known
	Msg       string
	Err       error // ErrSyntax, ErrLeftRecursion, ErrUnsafe or ErrLimit
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("grammar")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d column %d", e.Line, e.Col)
	}
	if e.Rule != "" && e.Line == 0 && !strings.Contains(e.Msg, e.Rule) {
		fmt.Fprintf(&b, " (rule %s)", e.Rule)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Err }

// Limits bound what a grammar may make llama.cpp do. A zero field takes its default from
// [DefaultLimits]; a negative one disables that check.
type Limits struct {
	// Bytes bounds the grammar's length.
	Bytes int
	// Nesting bounds parenthesised groups inside one another: llama.cpp's parser recurses
	// per level (20,000 levels overflow its stack).
	Nesting int
	// Elements bounds the grammar's size after repetitions are expanded, as llama.cpp
	// stores it (`"ab"{3}` is 6 elements).
	Elements int
	// Depth bounds how deep llama.cpp recurses to find the next characters a grammar can
	// accept: one level per rule entered without consuming input.
	Depth int
	// Fanout bounds how many parse stacks llama.cpp builds from one position (by following
	// every alternative of every rule entered without consuming input). llama.cpp
	// enumerates them one by one, so a few ambiguous rules multiply into millions.
	Fanout int
}

// DefaultLimits are generous for hand-written and schema-generated grammars (a JSON-schema
// grammar is a few thousand elements, depth under 50 and fanout under 100) and far below
// where llama.cpp fails (stack overflows from about 20,000 levels).
var DefaultLimits = Limits{
	Bytes:    1 << 20,
	Nesting:  256,
	Elements: 1 << 20,
	Depth:    1000,
	Fanout:   4096,
}

func (l Limits) withDefaults() Limits {
	pick := func(v, d int) int {
		switch {
		case v == 0:
			return d
		case v < 0:
			return int(^uint(0) >> 1)
		}
		return v
	}
	return Limits{
		Bytes:    pick(l.Bytes, DefaultLimits.Bytes),
		Nesting:  pick(l.Nesting, DefaultLimits.Nesting),
		Elements: pick(l.Elements, DefaultLimits.Elements),
		Depth:    pick(l.Depth, DefaultLimits.Depth),
		Fanout:   pick(l.Fanout, DefaultLimits.Fanout),
	}
}

// Grammar is a checked grammar in llama.cpp's rule form.
type Grammar struct {
	rules [][]Element
	names []string // by rule id
	root  int
	stats Stats
	texts []tokenText // <token>s not yet resolved to ids
	src   string
}

// Stats describe a checked grammar's size and the worst cases the checks measured.
type Stats struct {
	Rules    int // rules, including those llama.cpp generates for groups and repetitions
	Elements int // elements over all rules
	Depth    int // deepest chain of rules entered without consuming input
	Fanout   int // most parse stacks built from one position
}

// Stats returns the grammar's measurements.
func (g *Grammar) Stats() Stats { return g.stats }

// Parse parses src as llama.cpp does, then checks it for left recursion and against lim
// (the zero Limits means [DefaultLimits]). Errors are *[Error].
func Parse(src string, lim Limits) (*Grammar, error) {
	lim = lim.withDefaults()
	if len(src) > lim.Bytes {
		return nil, &Error{Msg: fmt.Sprintf("grammar is %d bytes, limit %d", len(src), lim.Bytes), Err: ErrLimit}
	}
	if i := strings.IndexByte(src, 0); i >= 0 {
		// llama.cpp reads a C string and would silently ignore the rest.
		return nil, errAt(src, i, "", ErrSyntax, "NUL byte in grammar")
	}
	g, err := parse(src, lim)
	if err != nil {
		return nil, err
	}
	if err := g.analyse(lim); err != nil {
		return nil, err
	}
	return g, nil
}

// errAt builds an Error at byte offset off of src.
func errAt(src string, off int, rule string, kind error, format string, args ...any) *Error {
	if off > len(src) {
		off = len(src)
	}
	before := src[:off]
	line := strings.Count(before, "\n") + 1
	start := strings.LastIndexByte(before, '\n') + 1
	return &Error{
		Line: line,
		Col:  utf8.RuneCountInString(before[start:]) + 1,
		Rule: rule,
		Msg:  fmt.Sprintf(format, args...),
		Err:  kind,
	}
}

// Root returns the id of the root rule.
func (g *Grammar) Root() int { return g.root }

// Rules returns the grammar's rules in llama.cpp's layout: rule i's elements, alternatives
// separated by ElemAlt, ending with ElemEnd. The slices are the grammar's own: do not modify
// them. A grammar that names tokens by text (<token>) needs [Grammar.ResolveTokens] first.
func (g *Grammar) Rules() ([][]Element, error) {
	if len(g.texts) > 0 {
		return nil, fmt.Errorf("gbnf: token %s not resolved to an id", g.texts[0].text)
	}
	return g.rules, nil
}

// ResolveTokens replaces each <token> the grammar names by its id, as llama.cpp does by
// tokenizing the text (angle brackets included) with special tokens parsed; id returns an
// error unless the text is exactly one token. Errors are *[Error] ([ErrSyntax]).
func (g *Grammar) ResolveTokens(id func(text string) (uint32, error)) error {
	if len(g.texts) == 0 {
		return nil
	}
	ids := make([]uint32, len(g.texts))
	for i, t := range g.texts {
		v, err := id(t.text)
		if err != nil {
			return errAt(g.src, t.off, "", ErrSyntax, "token %s: %v", t.text, err)
		}
		ids[i] = v
	}
	for _, rule := range g.rules {
		for k, e := range rule {
			switch e.Type {
			case elemTokenText:
				rule[k] = Element{ElemToken, ids[e.Value]}
			case elemTokenTextNot:
				rule[k] = Element{ElemTokenNot, ids[e.Value]}
			}
		}
	}
	g.texts = nil
	return nil
}

// Quote writes s as a GBNF string literal that matches exactly s: quotes and backslashes
// are escaped, as are newlines, carriage returns and tabs (which the parser accepts escaped
// only). Generated grammars (JSON schemas, GTAlign's blocks, the agents' forms) use it.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

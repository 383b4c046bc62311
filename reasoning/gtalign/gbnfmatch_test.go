package gtalign

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/gbnf"
)

// grammarMatcher decides whether a grammar accepts a whole string, by llama.cpp's own method
// (llama-grammar.cpp: a set of parse stacks, advanced through rule references until a
// character set is on top, then filtered by each character), on the rules gbnf.Parse builds
// in llama.cpp's layout. The tests use it to check the generated grammars' languages exactly,
// without a model.
type grammarMatcher struct {
	rules [][]gbnf.Element
	root  int
}

func newMatcher(t testing.TB, src string) *grammarMatcher {
	t.Helper()
	g, err := gbnf.Parse(src, gbnf.Limits{})
	if err != nil {
		t.Fatalf("gbnf.Parse: %v\n%s", err, src)
	}
	rules, err := g.Rules()
	if err != nil {
		t.Fatal(err)
	}
	return &grammarMatcher{rules: rules, root: g.Root()}
}

// gpos is a position in a rule; a stack's top is its last element.
type gpos struct{ rule, idx int }

func (m *grammarMatcher) elem(p gpos) gbnf.Element { return m.rules[p.rule][p.idx] }

func (m *grammarMatcher) endOfSeq(p gpos) bool {
	t := m.elem(p).Type
	return t == gbnf.ElemEnd || t == gbnf.ElemAlt
}

func key(st []gpos) string {
	var b strings.Builder
	for _, p := range st {
		fmt.Fprintf(&b, "%d.%d,", p.rule, p.idx)
	}
	return b.String()
}

// advance expands st until every resulting stack is empty or has a character set on top.
func (m *grammarMatcher) advance(st []gpos, out map[string][]gpos) {
	if len(st) == 0 {
		out[""] = st
		return
	}
	top := st[len(st)-1]
	e := m.elem(top)
	switch e.Type {
	case gbnf.ElemRuleRef:
		sub := gpos{int(e.Value), 0}
		for {
			ns := append([]gpos(nil), st[:len(st)-1]...)
			if next := (gpos{top.rule, top.idx + 1}); !m.endOfSeq(next) {
				ns = append(ns, next)
			}
			if !m.endOfSeq(sub) {
				ns = append(ns, sub)
			}
			m.advance(ns, out)
			for !m.endOfSeq(sub) {
				sub.idx++
			}
			if m.elem(sub).Type != gbnf.ElemAlt {
				break
			}
			sub.idx++
		}
	default:
		out[key(st)] = st
	}
}

// matchChar reports whether the character set at p accepts r, and the position after it.
func (m *grammarMatcher) matchChar(p gpos, r rune) (bool, gpos) {
	e := m.elem(p)
	positive := e.Type == gbnf.ElemChar || e.Type == gbnf.ElemCharAny
	found := false
	for {
		cur := m.elem(p)
		next := m.elem(gpos{p.rule, p.idx + 1})
		switch {
		case next.Type == gbnf.ElemCharUpper:
			found = found || (rune(cur.Value) <= r && r <= rune(next.Value))
			p.idx += 2
		case cur.Type == gbnf.ElemCharAny:
			found = true
			p.idx++
		default:
			found = found || rune(cur.Value) == r
			p.idx++
		}
		if m.elem(p).Type != gbnf.ElemCharAlt {
			break
		}
	}
	return found == positive, p
}

// accepts reports whether the grammar derives exactly s.
func (m *grammarMatcher) accepts(s string) bool {
	stacks := map[string][]gpos{}
	m.advance([]gpos{{m.root, 0}}, stacks)
	for _, r := range s {
		next := map[string][]gpos{}
		for _, st := range stacks {
			if len(st) == 0 {
				continue
			}
			ok, after := m.matchChar(st[len(st)-1], r)
			if !ok {
				continue
			}
			ns := append([]gpos(nil), st[:len(st)-1]...)
			if !m.endOfSeq(after) {
				ns = append(ns, after)
			}
			m.advance(ns, next)
		}
		if len(next) == 0 {
			return false
		}
		stacks = next
	}
	_, done := stacks[""]
	return done
}

// The matcher itself, on grammars whose languages are plain.
func TestGrammarMatcher(t *testing.T) {
	tests := []struct {
		grammar string
		yes, no []string
	}{
		{`root ::= "ab" [0-9]? ("x" | "yz")`, []string{"abx", "ab7yz"}, []string{"ab", "abyz7", "ab77x", ""}},
		{`root ::= [^<0-9]{1,3} "!"`, []string{"a!", "ab !", "xyz!"}, []string{"!", "a1!", "abcd!", "<!"}},
		{"root ::= a{0,3}\na ::= \"q\" | \"r\"", []string{"", "q", "qrq"}, []string{"x", "qqqq"}},
	}
	for _, tt := range tests {
		m := newMatcher(t, tt.grammar)
		for _, s := range tt.yes {
			if !m.accepts(s) {
				t.Errorf("%s: rejects %q", tt.grammar, s)
			}
		}
		for _, s := range tt.no {
			if m.accepts(s) {
				t.Errorf("%s: accepts %q", tt.grammar, s)
			}
		}
	}
}

// Package gbnfmatch decides whether a GBNF grammar derives a string, and samples strings from
// a grammar, by llama.cpp's own method (src/llama-grammar.cpp: a set of parse stacks, each
// advanced through rule references until a character set is on top, then filtered by each
// character) on the rules [gbnf.Parse] builds in llama.cpp's layout. The reasoning packages'
// tests use it to check their generated grammars' languages exactly, and as a stand-in for a
// grammar-constrained model: a scripted generator that answers every request with a random
// string of its grammar behaves as the engine does under that grammar, without a model.
//
// Token elements (<[id]>, <token>) are not supported: the reasoning grammars are written in
// characters only.
package gbnfmatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/nashd/nashd/inference/gbnf"
)

// ErrDeadEnd is returned by [Matcher.Sample] when no character of its alphabet continues the
// string and the grammar is not complete (a grammar whose only continuations lie outside the
// alphabet).
var ErrDeadEnd = errors.New("gbnfmatch: no continuation in the alphabet")

// Matcher runs one parsed grammar.
type Matcher struct {
	rules    [][]gbnf.Element
	root     int
	alphabet []rune
}

// New parses src with [gbnf.Parse] (default limits) and returns its matcher. It fails for a
// grammar that does not parse or that uses token elements.
func New(src string) (*Matcher, error) {
	g, err := gbnf.Parse(src, gbnf.Limits{})
	if err != nil {
		return nil, err
	}
	rules, err := g.Rules()
	if err != nil {
		return nil, err
	}
	lits := map[rune]bool{'\n': true}
	for r := rune(0x20); r < 0x7f; r++ {
		lits[r] = true
	}
	for _, rule := range rules {
		for _, e := range rule {
			switch e.Type {
			case gbnf.ElemToken, gbnf.ElemTokenNot:
				return nil, fmt.Errorf("gbnfmatch: token elements are not supported")
			case gbnf.ElemChar, gbnf.ElemCharAlt, gbnf.ElemCharUpper:
				lits[rune(e.Value)] = true
			}
		}
	}
	m := &Matcher{rules: rules, root: g.Root()}
	for r := range lits {
		m.alphabet = append(m.alphabet, r)
	}
	sort.Slice(m.alphabet, func(i, j int) bool { return m.alphabet[i] < m.alphabet[j] })
	return m, nil
}

// pos is a position in a rule; a stack's top is its last element.
type pos struct{ rule, idx int }

func (m *Matcher) elem(p pos) gbnf.Element { return m.rules[p.rule][p.idx] }

func (m *Matcher) endOfSeq(p pos) bool {
	t := m.elem(p).Type
	return t == gbnf.ElemEnd || t == gbnf.ElemAlt
}

// stacks is a set of parse stacks keyed by their contents.
type stacks map[string][]pos

func key(st []pos) string {
	var b strings.Builder
	for _, p := range st {
		fmt.Fprintf(&b, "%d.%d,", p.rule, p.idx)
	}
	return b.String()
}

// advance expands st until every resulting stack is empty or has a character set on top.
func (m *Matcher) advance(st []pos, out stacks) {
	if len(st) == 0 {
		out[""] = st
		return
	}
	top := st[len(st)-1]
	e := m.elem(top)
	if e.Type != gbnf.ElemRuleRef {
		out[key(st)] = st
		return
	}
	sub := pos{int(e.Value), 0}
	for {
		ns := append([]pos(nil), st[:len(st)-1]...)
		if next := (pos{top.rule, top.idx + 1}); !m.endOfSeq(next) {
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
}

// matchChar reports whether the character set at p accepts r, and the position after it.
func (m *Matcher) matchChar(p pos, r rune) (bool, pos) {
	e := m.elem(p)
	positive := e.Type == gbnf.ElemChar || e.Type == gbnf.ElemCharAny
	found := false
	for {
		cur := m.elem(p)
		next := m.elem(pos{p.rule, p.idx + 1})
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

func (m *Matcher) start() stacks {
	s := stacks{}
	m.advance([]pos{{m.root, 0}}, s)
	return s
}

// step returns the stacks after r (empty when no stack accepts it).
func (m *Matcher) step(s stacks, r rune) stacks {
	next := stacks{}
	for _, st := range s {
		if len(st) == 0 {
			continue
		}
		ok, after := m.matchChar(st[len(st)-1], r)
		if !ok {
			continue
		}
		ns := append([]pos(nil), st[:len(st)-1]...)
		if !m.endOfSeq(after) {
			ns = append(ns, after)
		}
		m.advance(ns, next)
	}
	return next
}

// Accepts reports whether the grammar derives exactly s.
func (m *Matcher) Accepts(s string) bool {
	st := m.start()
	for _, r := range s {
		if st = m.step(st, r); len(st) == 0 {
			return false
		}
	}
	_, done := st[""]
	return done
}

// Sample returns a random string of the grammar: at each step it picks uniformly among the
// characters of its alphabet (printable ASCII, newline and every character the grammar
// names) that some parse stack accepts, and once the grammar is complete it stops with
// probability pStop, or at once when maxRunes characters are written. It fails with
// [ErrDeadEnd] when the string cannot be completed within the alphabet or within maxRunes.
func (m *Matcher) Sample(rng *rand.Rand, pStop float64, maxRunes int) (string, error) {
	st := m.start()
	var b strings.Builder
	for n := 0; ; n++ {
		_, done := st[""]
		if done && (n >= maxRunes || rng.Float64() < pStop) {
			return b.String(), nil
		}
		if n >= maxRunes {
			return b.String(), fmt.Errorf("%w: %d characters without completing", ErrDeadEnd, maxRunes)
		}
		var cands []rune
		var nexts []stacks
		for _, r := range m.alphabet {
			if ns := m.step(st, r); len(ns) > 0 {
				cands = append(cands, r)
				nexts = append(nexts, ns)
			}
		}
		if len(cands) == 0 {
			if done {
				return b.String(), nil
			}
			return b.String(), fmt.Errorf("%w after %q", ErrDeadEnd, b.String())
		}
		k := rng.IntN(len(cands))
		b.WriteRune(cands[k])
		st = nexts[k]
	}
}

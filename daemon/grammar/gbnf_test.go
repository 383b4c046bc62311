package grammar

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small GBNF interpreter for the subset this package emits (literals, character classes,
// rule references, groups, alternation, ?, *, +). It is the tests' independent oracle: a
// grammar is checked by matching documents against it, not by comparing its text.

type gnode struct {
	kind  byte // 'l' literal, 'c' class, 'r' ref, 's' sequence, 'a' alternation, '?', '*', '+'
	lit   []rune
	neg   bool
	rng   [][2]rune
	ref   string
	items []*gnode
}

type oracle struct {
	rules map[string]*gnode
	memo  map[memoKey][]int
	in    []rune
}

type memoKey struct {
	n   *gnode
	pos int
}

func parseGBNF(src string) (*oracle, error) {
	g := &oracle{rules: map[string]*gnode{}}
	for _, line := range strings.Split(src, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, body, ok := strings.Cut(line, " ::= ")
		if !ok {
			return nil, fmt.Errorf("bad rule line %q", line)
		}
		p := &gparser{s: []rune(body)}
		n, err := p.alt()
		if err != nil {
			return nil, fmt.Errorf("rule %s: %v", name, err)
		}
		p.ws()
		if p.i != len(p.s) {
			return nil, fmt.Errorf("rule %s: trailing %q", name, string(p.s[p.i:]))
		}
		if _, dup := g.rules[name]; dup {
			return nil, fmt.Errorf("duplicate rule %s", name)
		}
		g.rules[name] = n
	}
	return g, nil
}

type gparser struct {
	s []rune
	i int
}

func (p *gparser) ws() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *gparser) alt() (*gnode, error) {
	var alts []*gnode
	for {
		seq, err := p.seq()
		if err != nil {
			return nil, err
		}
		alts = append(alts, seq)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '|' {
			p.i++
			continue
		}
		return &gnode{kind: 'a', items: alts}, nil
	}
}

func (p *gparser) seq() (*gnode, error) {
	var items []*gnode
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] == '|' || p.s[p.i] == ')' {
			return &gnode{kind: 's', items: items}, nil
		}
		var n *gnode
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			var lit []rune
			for p.s[p.i] != '"' {
				r, err := p.char()
				if err != nil {
					return nil, err
				}
				lit = append(lit, r)
			}
			p.i++
			n = &gnode{kind: 'l', lit: lit}
		case c == '[':
			p.i++
			n = &gnode{kind: 'c'}
			if p.s[p.i] == '^' {
				n.neg = true
				p.i++
			}
			for p.s[p.i] != ']' {
				lo, err := p.char()
				if err != nil {
					return nil, err
				}
				hi := lo
				if p.s[p.i] == '-' && p.s[p.i+1] != ']' {
					p.i++
					if hi, err = p.char(); err != nil {
						return nil, err
					}
				}
				n.rng = append(n.rng, [2]rune{lo, hi})
			}
			p.i++
		case c == '(':
			p.i++
			inner, err := p.alt()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ')' {
				return nil, fmt.Errorf("missing )")
			}
			p.i++
			n = inner
		case c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			j := p.i
			for p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] >= 'a' && p.s[p.i] <= 'z' || p.s[p.i] >= 'A' && p.s[p.i] <= 'Z' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
				p.i++
			}
			n = &gnode{kind: 'r', ref: string(p.s[j:p.i])}
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, p.i)
		}
		for p.i < len(p.s) && (p.s[p.i] == '?' || p.s[p.i] == '*' || p.s[p.i] == '+') {
			n = &gnode{kind: byte(p.s[p.i]), items: []*gnode{n}}
			p.i++
		}
		items = append(items, n)
	}
}

func (p *gparser) char() (rune, error) {
	c := p.s[p.i]
	p.i++
	if c != '\\' {
		return c, nil
	}
	e := p.s[p.i]
	p.i++
	switch e {
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'x':
		v, err := strconv.ParseUint(string(p.s[p.i:p.i+2]), 16, 8)
		p.i += 2
		return rune(v), err
	}
	return e, nil
}

// match reports whether the whole input matches rule root.
func (g *oracle) match(input string) bool {
	if !utf8.ValidString(input) {
		return false
	}
	g.in = []rune(input)
	g.memo = map[memoKey][]int{}
	for _, end := range g.ends(g.rules["root"], 0) {
		if end == len(g.in) {
			return true
		}
	}
	return false
}

// ends returns every position where n can finish when started at pos.
func (g *oracle) ends(n *gnode, pos int) []int {
	k := memoKey{n, pos}
	if e, ok := g.memo[k]; ok {
		return e
	}
	g.memo[k] = nil // guards left recursion (none in emitted grammars)
	var out []int
	add := func(ps ...int) {
		for _, p := range ps {
			dup := false
			for _, q := range out {
				dup = dup || q == p
			}
			if !dup {
				out = append(out, p)
			}
		}
	}
	switch n.kind {
	case 'l':
		if pos+len(n.lit) <= len(g.in) && string(g.in[pos:pos+len(n.lit)]) == string(n.lit) {
			add(pos + len(n.lit))
		}
	case 'c':
		if pos < len(g.in) {
			r, in := g.in[pos], false
			for _, rg := range n.rng {
				in = in || (r >= rg[0] && r <= rg[1])
			}
			if in != n.neg {
				add(pos + 1)
			}
		}
	case 'r':
		add(g.ends(g.rules[n.ref], pos)...)
	case 'a':
		for _, it := range n.items {
			add(g.ends(it, pos)...)
		}
	case 's':
		cur := []int{pos}
		for _, it := range n.items {
			var next []int
			for _, p := range cur {
				next = append(next, g.ends(it, p)...)
			}
			cur = next
		}
		add(cur...)
	case '?':
		add(pos)
		add(g.ends(n.items[0], pos)...)
	case '*', '+':
		seen := map[int]bool{}
		frontier := []int{pos}
		if n.kind == '*' {
			add(pos)
		}
		for len(frontier) > 0 {
			var next []int
			for _, p := range frontier {
				for _, e := range g.ends(n.items[0], p) {
					if !seen[e] && e != p {
						seen[e] = true
						add(e)
						next = append(next, e)
					}
				}
			}
			frontier = next
		}
	}
	g.memo[k] = out
	return out
}

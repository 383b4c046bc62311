package gbnf

import (
	"math"
	"strconv"
)

// ElemType is the type of a grammar element, numbered as llama.cpp's llama_gretype.
type ElemType uint8

// Element types.
const (
	ElemEnd       ElemType = iota // end of a rule
	ElemAlt                       // start of another alternative
	ElemRuleRef                   // non-terminal: Value is a rule id
	ElemChar                      // character (Value: code point); starts a character set
	ElemCharNot                   // starts an inverse character set
	ElemCharUpper                 // upper bound of a range whose lower bound precedes it
	ElemCharAlt                   // another character (or range) of the set
	ElemCharAny                   // any character
	ElemToken                     // a token id (<[id]> or a resolved <token>)
	ElemTokenNot                  // any token but this one

	// <token> text, Value indexing Grammar.texts, until ResolveTokens.
	elemTokenText
	elemTokenTextNot
)

// Element is one grammar element in llama.cpp's layout (llama_grammar_element).
type Element struct {
	Type  ElemType
	Value uint32
}

// maxRepetition is llama.cpp's MAX_REPETITION_THRESHOLD.
const maxRepetition = 2000

// parser follows llama_grammar_parser (llama-grammar.cpp) function by function, so that its
// accept/reject decisions and its rule ids match llama.cpp's. Positions are byte offsets;
// at returns 0 past the end, as reading the C string would.
type parser struct {
	src   string
	lim   Limits
	syms  map[string]uint32 // llama.cpp's symbol_ids, including its quirks (see generate)
	rules [][]Element
	elems int            // elements created so far, counted against lim.Elements
	depth int            // group nesting
	refs  map[uint32]int // where each rule is first mentioned, for errors
	texts []tokenText    // <token> texts, by the Value of their elements
}

// tokenText is a <token> whose id only the model's vocabulary can tell.
type tokenText struct {
	text string // with the angle brackets, as llama.cpp tokenizes it
	off  int
}

// failure carries an *Error up through the recursive descent, as llama.cpp's parser throws.
type failure struct{ err *Error }

func (p *parser) fail(off int, format string, args ...any) {
	panic(failure{errAt(p.src, off, "", ErrSyntax, format, args...)})
}

func (p *parser) failLimit(off int, format string, args ...any) {
	panic(failure{errAt(p.src, off, "", ErrLimit, format, args...)})
}

func parse(src string, lim Limits) (g *Grammar, err error) {
	p := &parser{src: src, lim: lim, syms: map[string]uint32{}, refs: map[uint32]int{}}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			g, err = nil, f.err
		}
	}()
	pos := p.space(0, true)
	for p.at(pos) != 0 {
		pos = p.rule(pos)
	}
	return p.validate(), nil
}

func (p *parser) at(i int) byte {
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || isDigit(c)
}

// space skips blanks and # comments, and newlines where newlineOK (inside groups and
// after ::= or |); outside them a newline ends the rule.
func (p *parser) space(i int, newlineOK bool) int {
	for {
		switch c := p.at(i); {
		case c == '#':
			for c := p.at(i); c != 0 && c != '\r' && c != '\n'; c = p.at(i) {
				i++
			}
		case c == ' ' || c == '\t' || newlineOK && (c == '\r' || c == '\n'):
			i++
		default:
			return i
		}
	}
}

func (p *parser) name(i int) int {
	j := i
	for isWord(p.at(j)) {
		j++
	}
	if j == i {
		p.fail(i, "expecting a rule name")
	}
	return j
}

// uint parses the digits at i as std::stoul does (64-bit, error on overflow).
func (p *parser) uint(i int) (uint64, int) {
	j := i
	for isDigit(p.at(j)) {
		j++
	}
	if j == i {
		p.fail(i, "expecting an integer")
	}
	v, err := strconv.ParseUint(p.src[i:j], 10, 64)
	if err != nil {
		p.fail(i, "integer %s is out of range", p.src[i:j])
	}
	return v, j
}

func (p *parser) hex(i, size int) (uint32, int) {
	end := i + size
	var v uint32
	j := i
	for ; j < end && p.at(j) != 0; j++ {
		c := p.at(j)
		switch {
		case 'a' <= c && c <= 'f':
			v = v<<4 + uint32(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 + uint32(c-'A'+10)
		case isDigit(c):
			v = v<<4 + uint32(c-'0')
		default:
			p.fail(i-2, "escape expects %d hex digits", size)
		}
	}
	if j != end {
		p.fail(i-2, "escape expects %d hex digits", size)
	}
	return v, j
}

// char reads one character of a literal or set: an escape, or a UTF-8 sequence decoded as
// llama.cpp's decode_utf8 does (its length from the first byte, no validation).
func (p *parser) char(i int) (uint32, int) {
	c := p.at(i)
	if c == '\\' {
		switch p.at(i + 1) {
		case 'x':
			return p.hex(i+2, 2)
		case 'u':
			return p.hex(i+2, 4)
		case 'U':
			return p.hex(i+2, 8)
		case 't':
			return '\t', i + 2
		case 'r':
			return '\r', i + 2
		case 'n':
			return '\n', i + 2
		case '\\', '"', '[', ']':
			return uint32(p.at(i + 1)), i + 2
		}
		p.fail(i, "unknown escape %q", p.src[i:min(i+2, len(p.src))])
	}
	if c == 0 {
		p.fail(i, "unexpected end of input")
	}
	n := [16]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4}[c>>4]
	v := uint32(c) & (1<<(8-n) - 1)
	j := i + 1
	for ; j < i+n && p.at(j) != 0; j++ {
		v = v<<6 + uint32(p.at(j)&0x3F)
	}
	return v, j
}

// token reads <[id]> or <text>; the latter must be one token of the model's vocabulary,
// which llama.cpp checks and this package cannot.
func (p *parser) token(i int) (uint32, int) {
	if p.at(i) != '<' {
		p.fail(i, "expecting '<'")
	}
	j := i + 1
	if p.at(j) == '[' {
		j++
		id, end := p.uint(j)
		if p.at(end) != ']' {
			p.fail(end, "expecting ']'")
		}
		if p.at(end+1) != '>' {
			p.fail(end+1, "expecting '>'")
		}
		return uint32(id), end + 2
	}
	for p.at(j) != 0 && p.at(j) != '>' {
		j++
	}
	if p.at(j) != '>' {
		p.fail(j, "expecting '>'")
	}
	p.texts = append(p.texts, tokenText{p.src[i : j+1], i})
	return uint32(len(p.texts) - 1), j + 1
}

// isText reports whether the token at i is a <token> text rather than an <[id]>.
func (p *parser) isText(i int) bool { return p.at(i+1) != '[' }

// symbol is llama.cpp's get_symbol_id: a rule's id, assigned on first mention.
func (p *parser) symbol(name string) uint32 {
	if id, ok := p.syms[name]; ok {
		return id
	}
	id := uint32(len(p.syms))
	p.syms[name] = id
	return id
}

// generate is llama.cpp's generate_symbol_id for a group or repetition rule. Like llama.cpp
// it names the rule base_N and overwrites a user rule of that name (keeping the id
// numbering), which is what makes ids match.
func (p *parser) generate(base string) uint32 {
	id := uint32(len(p.syms))
	p.syms[base+"_"+strconv.FormatUint(uint64(id), 10)] = id
	return id
}

func (p *parser) add(id uint32, rule []Element) {
	for len(p.rules) <= int(id) {
		p.rules = append(p.rules, nil)
	}
	p.rules[id] = append([]Element(nil), rule...)
}

// grow counts n more elements against the limit before they are built.
func (p *parser) grow(off int, n uint64) {
	if n > uint64(p.lim.Elements) || uint64(p.elems)+n > uint64(p.lim.Elements) {
		p.failLimit(off, "grammar expands to more than %d elements (repetitions are expanded)", p.lim.Elements)
	}
	p.elems += int(n)
}

func (p *parser) alternates(i int, ruleName string, id uint32, nested bool) int {
	var rule []Element
	i = p.sequence(i, ruleName, &rule, nested)
	for p.at(i) == '|' {
		p.grow(i, 1)
		rule = append(rule, Element{ElemAlt, 0})
		i = p.space(i+1, true)
		i = p.sequence(i, ruleName, &rule, nested)
	}
	p.grow(i, 1)
	rule = append(rule, Element{ElemEnd, 0})
	p.add(id, rule)
	return i
}

func (p *parser) sequence(i int, ruleName string, rulep *[]Element, nested bool) int {
	rule := *rulep
	defer func() { *rulep = rule }()
	last := len(rule)
	push := func(off int, e Element) {
		p.grow(off, 1)
		rule = append(rule, e)
	}
	// repeat rewrites the last item S as llama.cpp does: S{m,n} becomes m copies of S and a
	// chain of n-m optional rules (S' ::= S S'' | ...), S{m,} m copies and S' ::= S S' |.
	repeat := func(off int, minN, maxN uint64, noMax bool) {
		if last == len(rule) {
			p.fail(off, "expecting an item before */+/?/{")
		}
		prev := append([]Element(nil), rule[last:]...)
		nOpt := uint64(1)
		if !noMax {
			nOpt = maxN - minN
		}
		size := uint64(len(prev))
		cost := nOpt * (size + 3)
		if minN > 1 {
			cost += (minN - 1) * size
		}
		p.grow(off, cost)
		if minN == 0 {
			rule = rule[:last]
		} else {
			for k := uint64(1); k < minN; k++ {
				rule = append(rule, prev...)
			}
		}
		var lastRec uint32
		rec := append([]Element(nil), prev...)
		for k := uint64(0); k < nOpt; k++ {
			rec = rec[:len(prev)]
			id := p.generate(ruleName)
			if k > 0 || noMax {
				ref := lastRec
				if noMax {
					ref = id
				}
				rec = append(rec, Element{ElemRuleRef, ref})
			}
			rec = append(rec, Element{ElemAlt, 0}, Element{ElemEnd, 0})
			p.add(id, rec)
			lastRec = id
		}
		if nOpt > 0 {
			rule = append(rule, Element{ElemRuleRef, lastRec})
		}
	}
	for {
		start := i
		switch c := p.at(i); {
		case c == 0:
			return i
		case c == '"':
			i++
			last = len(rule)
			for p.at(i) != '"' {
				if p.at(i) == 0 {
					p.fail(start, "unterminated string literal")
				}
				var v uint32
				off := i
				v, i = p.char(i)
				push(off, Element{ElemChar, v})
			}
			i = p.space(i+1, nested)
		case c == '[':
			i++
			first := ElemChar
			if p.at(i) == '^' {
				i++
				first = ElemCharNot
			}
			last = len(rule)
			for p.at(i) != ']' {
				if p.at(i) == 0 {
					p.fail(start, "unterminated character set")
				}
				var v uint32
				off := i
				v, i = p.char(i)
				t := first
				if last < len(rule) {
					t = ElemCharAlt
				}
				push(off, Element{t, v})
				if p.at(i) == '-' && p.at(i+1) != ']' {
					if p.at(i+1) == 0 {
						p.fail(start, "unterminated character set")
					}
					off := i + 1
					v, i = p.char(i + 1)
					push(off, Element{ElemCharUpper, v})
				}
			}
			i = p.space(i+1, nested)
		case c == '<' || c == '!':
			t := ElemToken
			if c == '!' {
				t = ElemTokenNot
				i++
			}
			var id uint32
			text := p.isText(i)
			id, i = p.token(i)
			if text {
				t += elemTokenText - ElemToken
			}
			last = len(rule)
			push(start, Element{t, id})
			i = p.space(i, nested)
		case isWord(c):
			end := p.name(i)
			id := p.symbol(p.src[i:end])
			if _, ok := p.refs[id]; !ok {
				p.refs[id] = i
			}
			i = p.space(end, nested)
			last = len(rule)
			push(start, Element{ElemRuleRef, id})
		case c == '(':
			p.depth++
			if p.depth > p.lim.Nesting {
				p.failLimit(i, "groups nested more than %d deep", p.lim.Nesting)
			}
			i = p.space(i+1, true)
			sub := p.generate(ruleName)
			i = p.alternates(i, ruleName, sub, true)
			p.depth--
			last = len(rule)
			push(start, Element{ElemRuleRef, sub})
			if p.at(i) != ')' {
				p.fail(i, "expecting ')' to close the group opened at %s", p.where(start))
			}
			i = p.space(i+1, nested)
		case c == '.':
			last = len(rule)
			push(i, Element{ElemCharAny, 0})
			i = p.space(i+1, nested)
		case c == '*':
			i = p.space(i+1, nested)
			repeat(start, 0, 0, true)
		case c == '+':
			i = p.space(i+1, nested)
			repeat(start, 1, 0, true)
		case c == '?':
			i = p.space(i+1, nested)
			repeat(start, 0, 1, false)
		case c == '{':
			i = p.space(i+1, nested)
			if !isDigit(p.at(i)) {
				p.fail(i, "expecting a number after '{'")
			}
			minN, end := p.uint(i)
			i = p.space(end, nested)
			maxN, noMax := uint64(math.MaxUint64), true
			switch p.at(i) {
			case '}':
				maxN, noMax = minN, false
				i = p.space(i+1, nested)
			case ',':
				i = p.space(i+1, nested)
				if isDigit(p.at(i)) {
					maxN, end = p.uint(i)
					noMax = false
					i = p.space(end, nested)
				}
				if p.at(i) != '}' {
					p.fail(i, "expecting '}'")
				}
				i = p.space(i+1, nested)
			default:
				p.fail(i, "expecting ',' or '}'")
			}
			if minN > maxRepetition || !noMax && maxN > maxRepetition {
				p.fail(start, "more than %d repetitions", maxRepetition)
			}
			if !noMax && maxN < minN {
				// llama.cpp does not check this: maxN-minN wraps around and it builds
				// rules until memory runs out.
				panic(failure{errAt(p.src, start, "", ErrUnsafe, "repetition {%d,%d}: the maximum is below the minimum", minN, maxN)})
			}
			repeat(start, minN, maxN, noMax)
		default:
			return i
		}
	}
}

// where formats a byte offset as "line L column C".
func (p *parser) where(off int) string {
	e := errAt(p.src, off, "", nil, "")
	return "line " + strconv.Itoa(e.Line) + " column " + strconv.Itoa(e.Col)
}

func (p *parser) rule(i int) int {
	end := p.name(i)
	name := p.src[i:end]
	j := p.space(end, false)
	id := p.symbol(name)
	if p.at(j) != ':' || p.at(j+1) != ':' || p.at(j+2) != '=' {
		p.fail(j, "expecting ::= after rule name %s", name)
	}
	j = p.space(j+3, true)
	j = p.alternates(j, name, id, false)
	switch p.at(j) {
	case '\r':
		j++
		if p.at(j) == '\n' {
			j++
		}
	case '\n':
		j++
	case 0:
	default:
		p.fail(j, "unexpected %s in rule %s (expecting an item, '|' or the end of the line)", p.describe(j), name)
	}
	return p.space(j, true)
}

// describe names the input at i for an error message.
func (p *parser) describe(i int) string {
	r := []rune(p.src[i:min(i+8, len(p.src))])
	if len(r) == 0 {
		return "end of input"
	}
	return strconv.QuoteRune(r[0])
}

// validate is the end of llama_grammar_parser::parse and the root check of
// llama_grammar_init_impl: every rule defined, a root rule present.
func (p *parser) validate() *Grammar {
	names := make([]string, len(p.syms))
	for name, id := range p.syms {
		// Two names share an id only after generate's overwrite; pick one deterministically.
		if int(id) < len(names) && (names[id] == "" || name < names[id]) {
			names[id] = name
		}
	}
	nameOf := func(id uint32) string {
		if int(id) < len(names) && names[id] != "" {
			return names[id]
		}
		return "#" + strconv.FormatUint(uint64(id), 10)
	}
	undefined := func(id uint32, kind error) {
		e := &Error{Err: kind}
		if off, ok := p.refs[id]; ok {
			e = errAt(p.src, off, "", kind, "")
		}
		e.Rule, e.Msg = nameOf(id), "rule "+nameOf(id)+" is used but not defined"
		panic(failure{e})
	}
	for id, rule := range p.rules {
		if len(rule) == 0 {
			undefined(uint32(id), ErrSyntax)
		}
		for _, e := range rule {
			if e.Type == ElemRuleRef && (int(e.Value) >= len(p.rules) || len(p.rules[e.Value]) == 0) {
				undefined(e.Value, ErrSyntax)
			}
		}
	}
	if len(p.rules) == 0 {
		panic(failure{&Error{Msg: "grammar has no rules", Err: ErrSyntax}})
	}
	root, ok := p.syms["root"]
	if !ok {
		panic(failure{&Error{Msg: "grammar has no root rule", Err: ErrSyntax}})
	}
	if int(root) >= len(p.rules) {
		// llama.cpp's parser accepts this and then indexes past its rules.
		undefined(root, ErrUnsafe)
	}
	return &Grammar{rules: p.rules, names: names, root: int(root), texts: p.texts, src: p.src,
		stats: Stats{Rules: len(p.rules), Elements: p.elems}}
}

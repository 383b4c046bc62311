package nfg

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/nashd/nashd/solver/game"
)

// ErrFormat is wrapped by every error about malformed input.
var ErrFormat = errors.New("nfg: malformed .nfg")

// Error locates a problem in a file.
type Error struct {
	File string // file name as given to Read
	Line int    // 1-based line
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrFormat) hold.
func (e *Error) Unwrap() error { return ErrFormat }

type tokKind int

const (
	tokEOF tokKind = iota
	tokLBrace
	tokRBrace
	tokString
	tokWord // numbers and bare words
)

type token struct {
	kind tokKind
	text string
	line int
}

type lexer struct {
	src  string
	pos  int
	line int
	name string
	peek *token
}

func (l *lexer) errf(line int, format string, args ...any) error {
	return &Error{File: l.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) next() (token, error) {
	if l.peek != nil {
		t := *l.peek
		l.peek = nil
		return t, nil
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '\n' {
			l.line++
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f' || c == '\v' {
			l.pos++
			continue
		}
		break
	}
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, line: l.line}, nil
	}
	c := l.src[l.pos]
	switch c {
	case '{':
		l.pos++
		return token{kind: tokLBrace, text: "{", line: l.line}, nil
	case '}':
		l.pos++
		return token{kind: tokRBrace, text: "}", line: l.line}, nil
	case '"':
		start := l.line
		var b strings.Builder
		l.pos++
		for {
			if l.pos >= len(l.src) {
				return token{}, l.errf(start, "unterminated string")
			}
			c := l.src[l.pos]
			switch {
			case c == '"':
				l.pos++
				return token{kind: tokString, text: b.String(), line: start}, nil
			case c == '\\' && l.pos+1 < len(l.src):
				b.WriteByte(l.src[l.pos+1])
				if l.src[l.pos+1] == '\n' {
					l.line++
				}
				l.pos += 2
			default:
				if c == '\n' {
					l.line++
				}
				b.WriteByte(c)
				l.pos++
			}
		}
	}
	start := l.pos
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '{' || c == '}' || c == '"' || c == '\f' || c == '\v' {
			break
		}
		l.pos++
	}
	return token{kind: tokWord, text: l.src[start:l.pos], line: l.line}, nil
}

func (l *lexer) peekTok() (token, error) {
	if l.peek == nil {
		t, err := l.next()
		if err != nil {
			return t, err
		}
		l.peek = &t
	}
	return *l.peek, nil
}

func (l *lexer) expect(k tokKind, what string) (token, error) {
	t, err := l.next()
	if err != nil {
		return t, err
	}
	if t.kind != k {
		return t, l.errf(t.line, "expected %s, found %s", what, describe(t))
	}
	return t, nil
}

// names reads quoted strings up to the closing '}' (the opening '{' already read), at most
// max of them; what names one item in error messages.
func (l *lexer) names(what string, max int) ([]string, error) {
	var out []string
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tokRBrace {
			return out, nil
		}
		if t.kind != tokString {
			return nil, l.errf(t.line, "expected a quoted %s or '}', found %s", what, describe(t))
		}
		if len(out) == max {
			return nil, l.errf(t.line, "more than %d of %ss", max, what)
		}
		out = append(out, t.text)
	}
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokString:
		return strconv.Quote(t.text)
	}
	s := t.text
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "'" + s + "'"
}

func (l *lexer) number(what string) (*big.Rat, error) {
	t, err := l.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tokWord {
		return nil, l.errf(t.line, "expected %s, found %s", what, describe(t))
	}
	r, err := game.ParseRat(t.text)
	if err != nil {
		return nil, l.errf(t.line, "%s: %v", what, err)
	}
	return r, nil
}

// Read parses a .nfg file; name (usually the path) is used in error messages. The title
// becomes the game's Name and the optional comment its Description.
func Read(name string, data []byte) (*game.Game, error) {
	l := &lexer{src: string(data), line: 1, name: name}
	t, err := l.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tokWord || t.text != "NFG" {
		return nil, l.errf(t.line, "expected NFG header, found %s", describe(t))
	}
	if t, err = l.expect(tokWord, "format version 1"); err != nil {
		return nil, err
	}
	if t.text != "1" {
		return nil, l.errf(t.line, "unsupported format version %s (want 1)", describe(t))
	}
	if t, err = l.expect(tokWord, "number type R or D"); err != nil {
		return nil, err
	}
	if t.text != "R" && t.text != "D" {
		return nil, l.errf(t.line, "expected number type R or D, found %s", describe(t))
	}
	title, err := l.expect(tokString, "quoted title")
	if err != nil {
		return nil, err
	}
	// players
	if _, err = l.expect(tokLBrace, "'{' opening the player list"); err != nil {
		return nil, err
	}
	players, err := l.names("player name", 64)
	if err != nil {
		return nil, err
	}
	if len(players) == 0 {
		return nil, l.errf(t.line, "no players")
	}
	// strategies: { { "a" "b" } { ... } } or { 2 3 }
	open, err := l.expect(tokLBrace, "'{' opening the strategy list")
	if err != nil {
		return nil, err
	}
	strategies := make([][]string, 0, len(players))
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tokRBrace {
			break
		}
		switch t.kind {
		case tokWord:
			c, err := strconv.Atoi(t.text)
			if err != nil || c <= 0 || c > game.MaxProfiles {
				return nil, l.errf(t.line, "strategy count must be a positive integer, found %s", describe(t))
			}
			s := make([]string, c)
			for i := range s {
				s[i] = strconv.Itoa(i + 1)
			}
			strategies = append(strategies, s)
		case tokLBrace:
			s, err := l.names("strategy name", game.MaxProfiles)
			if err != nil {
				return nil, err
			}
			if len(s) == 0 {
				return nil, l.errf(t.line, "player %d has no strategies", len(strategies)+1)
			}
			strategies = append(strategies, s)
		default:
			return nil, l.errf(t.line, "expected a strategy list or count, found %s", describe(t))
		}
		if len(strategies) > len(players) {
			return nil, l.errf(t.line, "more strategy lists than the %d players", len(players))
		}
	}
	if len(strategies) != len(players) {
		return nil, l.errf(open.line, "%d strategy lists for %d players", len(strategies), len(players))
	}
	nprof := 1
	for _, s := range strategies {
		if nprof > game.MaxProfiles/len(s) {
			return nil, l.errf(open.line, "more than %d pure profiles", game.MaxProfiles)
		}
		nprof *= len(s)
	}
	n := len(players)
	comment := ""
	if t, err = l.peekTok(); err != nil {
		return nil, err
	}
	if t.kind == tokString {
		l.next()
		comment = t.text
		if t, err = l.peekTok(); err != nil {
			return nil, err
		}
	}
	payoffs := make([][]*big.Rat, nprof)
	if t.kind == tokLBrace { // outcome version
		l.next()
		var outcomes [][]*big.Rat
		for {
			u, err := l.next()
			if err != nil {
				return nil, err
			}
			if u.kind == tokRBrace {
				break
			}
			if u.kind != tokLBrace {
				return nil, l.errf(u.line, "expected '{' opening outcome %d, found %s", len(outcomes)+1, describe(u))
			}
			if _, err := l.expect(tokString, fmt.Sprintf("quoted label of outcome %d", len(outcomes)+1)); err != nil {
				return nil, err
			}
			v := make([]*big.Rat, n)
			for i := range v {
				if v[i], err = l.number(fmt.Sprintf("payoff of player %d in outcome %d", i+1, len(outcomes)+1)); err != nil {
					return nil, err
				}
			}
			if _, err := l.expect(tokRBrace, fmt.Sprintf("'}' closing outcome %d (it must have %d payoffs)", len(outcomes)+1, n)); err != nil {
				return nil, err
			}
			outcomes = append(outcomes, v)
			if len(outcomes) > game.MaxProfiles {
				return nil, l.errf(u.line, "too many outcomes")
			}
		}
		zero := make([]*big.Rat, n)
		for i := range zero {
			zero[i] = new(big.Rat)
		}
		for k := range payoffs {
			u, err := l.next()
			if err != nil {
				return nil, err
			}
			if u.kind != tokWord {
				return nil, l.errf(u.line, "expected the outcome number of profile %d of %d, found %s", k+1, nprof, describe(u))
			}
			o, err := strconv.Atoi(u.text)
			if err != nil || o < 0 || o > len(outcomes) {
				return nil, l.errf(u.line, "profile %d: outcome number %s is not in 0..%d", k+1, describe(u), len(outcomes))
			}
			if o == 0 {
				payoffs[k] = zero
			} else {
				payoffs[k] = outcomes[o-1]
			}
		}
	} else { // payoff version
		for k := range payoffs {
			v := make([]*big.Rat, n)
			for i := range v {
				if v[i], err = l.number(fmt.Sprintf("payoff of player %d at profile %d of %d", i+1, k+1, nprof)); err != nil {
					return nil, err
				}
			}
			payoffs[k] = v
		}
	}
	if t, err = l.next(); err != nil {
		return nil, err
	}
	if t.kind != tokEOF {
		return nil, l.errf(t.line, "unexpected %s after the last profile", describe(t))
	}
	g, err := game.NewNormal(players, strategies, payoffs)
	if err != nil {
		return nil, l.errf(open.line, "%v", err)
	}
	return &game.Game{Name: title.text, Description: comment, Normal: g}, nil
}

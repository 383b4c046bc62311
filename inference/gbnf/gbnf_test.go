package gbnf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidGrammars(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.gbnf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test grammars: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Parse(string(src), Limits{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		st := g.Stats()
		if st.Rules == 0 || st.Elements == 0 || st.Depth == 0 || st.Fanout == 0 {
			t.Errorf("%s: stats %+v", f, st)
		}
	}
}

// TestRuleLayout checks the rule ids and elements against what llama.cpp's parser builds for
// the same text (worked out from llama_grammar_parser::parse_sequence by hand).
func TestRuleLayout(t *testing.T) {
	g, err := Parse(`root ::= "ab" x? [^a-c.]
x ::= "x"`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Element{
		{{ElemChar, 'a'}, {ElemChar, 'b'}, {ElemRuleRef, 2}, {ElemCharNot, 'a'}, {ElemCharUpper, 'c'}, {ElemCharAlt, '.'}, {ElemEnd, 0}},
		{{ElemChar, 'x'}, {ElemEnd, 0}},
		{{ElemRuleRef, 1}, {ElemAlt, 0}, {ElemEnd, 0}}, // x? as root_2 ::= x |
	}
	if fmt.Sprint(g.rules) != fmt.Sprint(want) {
		t.Errorf("rules = %v, want %v", g.rules, want)
	}
	if g.names[2] != "root_2" || g.root != 0 {
		t.Errorf("names %q root %d", g.names, g.root)
	}
	// S{1,3}: S, then root_2 ::= S root_1 |, root_1 ::= S | (llama.cpp numbers the chain
	// from the innermost optional).
	g, err = Parse(`root ::= "s"{1,3}`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want = [][]Element{
		{{ElemChar, 's'}, {ElemRuleRef, 2}, {ElemEnd, 0}},
		{{ElemChar, 's'}, {ElemAlt, 0}, {ElemEnd, 0}},
		{{ElemChar, 's'}, {ElemRuleRef, 1}, {ElemAlt, 0}, {ElemEnd, 0}},
	}
	if fmt.Sprint(g.rules) != fmt.Sprint(want) {
		t.Errorf("rules = %v, want %v", g.rules, want)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		src       string
		kind      error
		line, col int
		msg       string
	}{
		{``, ErrSyntax, 0, 0, "no rules"},
		{"# only a comment\n", ErrSyntax, 0, 0, "no rules"},
		{`a ::= "x"`, ErrSyntax, 0, 0, "no root rule"},
		{`root ::= "x`, ErrSyntax, 1, 10, "unterminated string"},
		{"root ::= [a-", ErrSyntax, 1, 10, "unterminated character set"},
		{"root ::= \"a\"\n  | \"b\"", ErrSyntax, 2, 3, "expecting a rule name"},
		{"root \n::= \"a\"", ErrSyntax, 1, 6, "expecting ::="},
		{`root ::= "\q"`, ErrSyntax, 1, 11, "unknown escape"},
		{`root ::= "\x4"`, ErrSyntax, 1, 11, "2 hex digits"},
		{`root ::= "\u00é9"`, ErrSyntax, 1, 11, "4 hex digits"},
		{`root ::= * "a"`, ErrSyntax, 1, 10, "item before"},
		{`root ::= "a" | +`, ErrSyntax, 1, 16, "item before"},
		{`root ::= "" *`, ErrSyntax, 1, 13, "item before"},
		{`root ::= ("a" "b"`, ErrSyntax, 1, 18, "expecting ')'"},
		{`root ::= "a" )`, ErrSyntax, 1, 14, "unexpected ')'"},
		{`root ::= "a"{x}`, ErrSyntax, 1, 14, "number after"},
		{`root ::= "a"{1 2}`, ErrSyntax, 1, 16, "expecting ',' or '}'"},
		{`root ::= "a"{1,2`, ErrSyntax, 1, 17, "expecting '}'"},
		{`root ::= "a"{2001}`, ErrSyntax, 1, 13, "more than 2000"},
		{`root ::= "a"{0,2001}`, ErrSyntax, 1, 13, "more than 2000"},
		{`root ::= "a"{99999999999999999999999}`, ErrSyntax, 1, 14, "out of range"},
		{`root ::= "a"{5,3}`, ErrUnsafe, 1, 13, "below the minimum"},
		{`root ::= <hello`, ErrSyntax, 1, 16, "expecting '>'"},
		{`root ::= <[12>`, ErrSyntax, 1, 14, "expecting ']'"},
		{`root ::= !"a"`, ErrSyntax, 1, 11, "expecting '<'"},
		{"root ::= a\n", ErrSyntax, 1, 10, "a is used but not defined"},
		{"root ::= \"x\"\nb ::= \"y\" c\n", ErrSyntax, 2, 11, "c is used but not defined"},
		{"a ::= \"x\" root\na ::= \"y\"", ErrUnsafe, 1, 11, "root is used but not defined"},
		{"root ::= \"a\x00\"", ErrSyntax, 1, 12, "NUL byte"},
		{"root ::= root \"a\"", ErrLeftRecursion, 0, 0, "root -> root"},
		{"root ::= a\na ::= b \"x\"\nb ::= \"y\" | root", ErrLeftRecursion, 0, 0, "root -> a -> b -> root"},
		// llama.cpp's own check misses these: a derives "" only through b.
		{"root ::= a root | \"x\"\na ::= b\nb ::= \"\"", ErrLeftRecursion, 0, 0, "left recursion"},
		{"root ::= [] root | \"x\"", ErrLeftRecursion, 0, 0, "left recursion"},
		{"root ::= \"x\"\nunused ::= (\"\" | \"a\")? unused", ErrLeftRecursion, 0, 0, "unused"},
	} {
		_, err := Parse(tc.src, Limits{})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *Error", tc.src, err)
			continue
		}
		if !errors.Is(err, tc.kind) || e.Line != tc.line || e.Col != tc.col || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Parse(%q) = %v (%d:%d, kind %v), want %d:%d %v containing %q",
				tc.src, err, e.Line, e.Col, e.Err, tc.line, tc.col, tc.kind, tc.msg)
		}
	}
}

// chain builds root ::= r0 and rules rI ::= <body(I)>, ending in a terminal rule rN.
func chain(n int, body func(i int) string) string {
	var b strings.Builder
	b.WriteString("root ::= r0\n")
	for i := range n {
		fmt.Fprintf(&b, "r%d ::= %s\n", i, body(i))
	}
	fmt.Fprintf(&b, "r%d ::= \"x\"\n", n)
	return b.String()
}

// TestLimits covers the grammars that crash or stall llama.cpp (see the package doc) and
// each limit's boundary.
func TestLimits(t *testing.T) {
	next := func(i int) string { return fmt.Sprintf("r%d", i+1) }
	twice := func(i int) string { return fmt.Sprintf("r%d | r%d \"y\"", i+1, i+1) }
	nest := func(n int) string {
		return "root ::= " + strings.Repeat("(", n) + `"a"` + strings.Repeat(")", n)
	}
	optNest := func(n int) string {
		return "root ::= " + strings.Repeat(`("a" `, n) + strings.Repeat(")?", n)
	}
	for _, tc := range []struct {
		name string
		src  string
		lim  Limits
		kind error // nil: accepted
	}{
		{"nesting at the limit", nest(256), Limits{}, nil},
		{"nesting over the limit", nest(257), Limits{}, ErrLimit},
		{"20000 nested groups (SIGSEGV in llama.cpp)", nest(20000), Limits{}, ErrLimit},
		{"20000 nested optionals (SIGSEGV in llama.cpp)", optNest(20000), Limits{}, ErrLimit},
		{"deep optionals are shallow once parsed", optNest(2000), Limits{Nesting: -1}, nil},
		{"reference chain within depth", chain(900, next), Limits{}, nil},
		{"reference chain over depth", chain(1100, next), Limits{}, ErrLimit},
		{"100000-rule chain (SIGSEGV in llama.cpp)", chain(100000, next), Limits{Bytes: -1}, ErrLimit},
		{"chain behind a terminal is fine", chain(100000, func(i int) string { return `"x" ` + next(i) }), Limits{Bytes: -1}, nil},
		{"ambiguous chain at the fanout limit", chain(12, twice), Limits{}, nil},
		{"ambiguous chain over the fanout limit", chain(13, twice), Limits{}, ErrLimit},
		{"30 ambiguous rules (2^30 paths in llama.cpp)", chain(30, twice), Limits{}, ErrLimit},
		{"optional rules multiply empty paths", chain(6, func(i int) string { return next(i) + "? " + next(i) + "?" }), Limits{}, ErrLimit},
		{"repetition within elements", `root ::= "abcdefghij"{2000}`, Limits{}, nil},
		{"repeated group is one reference", `root ::= ("abcdefghij"{2000}){2000}`, Limits{}, nil},
		{"repeated repetition (40 million elements)", `root ::= "abcdefghij"{2000}{2000}`, Limits{}, ErrLimit},
		{"elements limit counts expansion", `root ::= "ab"{3}`, Limits{Elements: 6}, ErrLimit},
		{"bytes", `root ::= "ab"`, Limits{Bytes: 5}, ErrLimit},
		{"disabled limits", nest(300), Limits{Nesting: -1}, nil},
	} {
		g, err := Parse(tc.src, tc.lim)
		if tc.kind == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if st := g.Stats(); st.Depth > DefaultLimits.Depth || st.Fanout > DefaultLimits.Fanout {
				t.Errorf("%s: stats %+v over the limits", tc.name, st)
			}
			continue
		}
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.kind)
		}
	}
}

// TestStats pins the measurements on small grammars whose walks can be counted by hand.
func TestStats(t *testing.T) {
	for _, tc := range []struct {
		src    string
		depth  int
		fanout int
	}{
		{`root ::= "a"`, 1, 1},
		{`root ::= "a" | "b" | "c"`, 1, 3},
		// root → x → "a" | "b"; x? is root_1 ::= x | : from root's start 2 terminals + 1 pop.
		{"root ::= x?\nx ::= \"a\" | \"b\"", 3, 3},
		// chain of 3 rules each with two alternatives starting with the next: 2^3 stacks.
		{chain(3, func(i int) string { return fmt.Sprintf("r%d | r%d \"y\"", i+1, i+1) }), 5, 8},
	} {
		g, err := Parse(tc.src, Limits{})
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if st := g.Stats(); st.Depth != tc.depth || st.Fanout != tc.fanout {
			t.Errorf("%q: depth %d fanout %d, want %d %d", tc.src, st.Depth, st.Fanout, tc.depth, tc.fanout)
		}
	}
}

// FuzzParse: any input gets a grammar or an *Error, never a panic or a runaway.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/valid/*.gbnf")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	for _, s := range []string{`root ::= "a"{5,3}`, `root ::= ((("a")?)?)*`, "root ::= a root\na ::= \"\"", `root ::= [\x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		g, err := Parse(src, Limits{Elements: 1 << 16})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Err == nil || e.Msg == "" {
				t.Fatalf("Parse(%q): error %#v", src, err)
			}
			return
		}
		if g.Stats().Elements > 1<<16 || g.Stats().Fanout > DefaultLimits.Fanout {
			t.Fatalf("Parse(%q): stats %+v", src, g.Stats())
		}
	})
}

// TestQuote: a quoted string parses back, as the root rule, into exactly its code points.
func TestQuote(t *testing.T) {
	for _, s := range []string{"plain", `say "hi"`, `back\slash`, "line\nbreak\r\ttab", "ünï 🎲", `\"\n`, "#not a comment", "x ::= y"} {
		g, err := Parse("root ::= "+Quote(s), Limits{})
		if err != nil {
			t.Errorf("Parse(root ::= %s): %v", Quote(s), err)
			continue
		}
		rules, err := g.Rules()
		if err != nil {
			t.Fatal(err)
		}
		var got []rune
		for _, e := range rules[g.Root()] {
			if e.Type == ElemChar {
				got = append(got, rune(e.Value))
			}
		}
		if string(got) != s {
			t.Errorf("Quote(%q) parses to %q", s, string(got))
		}
	}
}

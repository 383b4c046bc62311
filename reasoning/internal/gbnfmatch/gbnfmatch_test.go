package gbnfmatch

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// The matcher on grammars whose languages are plain.
func TestAccepts(t *testing.T) {
	tests := []struct {
		grammar string
		yes, no []string
	}{
		{`root ::= "ab" [0-9]? ("x" | "yz")`, []string{"abx", "ab7yz"}, []string{"ab", "abyz7", "ab77x", ""}},
		{`root ::= [^<0-9]{1,3} "!"`, []string{"a!", "ab !", "xyz!"}, []string{"!", "a1!", "abcd!", "<!"}},
		{"root ::= a{0,3}\na ::= \"q\" | \"r\"", []string{"", "q", "qrq"}, []string{"x", "qqqq"}},
		{`root ::= "é" .`, []string{"éa", "é\n"}, []string{"é", "e1"}},
	}
	for _, tt := range tests {
		m, err := New(tt.grammar)
		if err != nil {
			t.Fatalf("New(%q): %v", tt.grammar, err)
		}
		for _, s := range tt.yes {
			if !m.Accepts(s) {
				t.Errorf("%s: rejects %q", tt.grammar, s)
			}
		}
		for _, s := range tt.no {
			if m.Accepts(s) {
				t.Errorf("%s: accepts %q", tt.grammar, s)
			}
		}
	}
}

// Every sample is in the language, and the samples cover its alternatives.
func TestSample(t *testing.T) {
	m, err := New("root ::= \"A: \" (\"c1\" | \"c2\" | \"c10\") \"\\n\" [^\\n<]{1,5}")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 300 {
		s, err := m.Sample(rng, 0.5, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Accepts(s) {
			t.Fatalf("sample %q is not in the language", s)
		}
		seen[s[:5]] = true
	}
	for _, p := range []string{"A: c1", "A: c2"} {
		if !seen[p] {
			t.Errorf("no sample starts with %q", p)
		}
	}
	if _, err := New(`root ::= <[12]>`); err == nil {
		t.Error("New accepted a token element")
	}
	// A grammar longer than maxRunes cannot be completed.
	long, _ := New(`root ::= "abcdef"`)
	if _, err := long.Sample(rng, 1, 3); !errors.Is(err, ErrDeadEnd) {
		t.Errorf("Sample past maxRunes: err = %v, want ErrDeadEnd", err)
	}
}

package lrsnash

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
)

func TestParseGroups(t *testing.T) {
	// lrsnash 7.1's output for the all-zero 2×2 game: two groups of two "2" lines and one "1" line.
	out := `*lrsnash:lrslib v.7.1 2021.6.2(64bit,lrsgmp.h,hybrid arithmetic) gmp v.6.2
2  1  0  0 
2  0  1  0 
1  1  0  0 

2  1  0  0 
2  0  1  0 
1  0  1  0 

*Number of equilibria found: 4
`
	eqs, err := Parse(strings.NewReader(out), 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(eqs) != 4 {
		t.Fatalf("%d equilibria, want 4 (every pairing within a group)", len(eqs))
	}
	seen := map[string]bool{}
	for _, e := range eqs {
		seen[e.X[0].RatString()+e.X[1].RatString()+e.Y[0].RatString()+e.Y[1].RatString()] = true
	}
	if len(seen) != 4 {
		t.Errorf("pairings not distinct: %v", seen)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"1 1/2 1/2 0\n",      // "1" before any "2"
		"2 1 0\n",            // too few fields
		"3 1 0 0\n",          // unknown player
		"2 1 x 0\n1 1 0 0\n", // bad number
		"2 1 0 0\n",          // group without "1"
	} {
		if _, err := Parse(strings.NewReader(in), 2, 2); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}

func TestReadWriteGame(t *testing.T) {
	A := [][]*big.Rat{{big.NewRat(1, 2), big.NewRat(-3, 1)}, {big.NewRat(0, 1), big.NewRat(7, 3)}}
	B := [][]*big.Rat{{big.NewRat(1, 1), big.NewRat(2, 1)}, {big.NewRat(3, 1), big.NewRat(4, 1)}}
	var buf bytes.Buffer
	if err := WriteGame(&buf, A, B); err != nil {
		t.Fatal(err)
	}
	A2, B2, err := ReadGame(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range A {
		for j := range A[i] {
			if A[i][j].Cmp(A2[i][j]) != 0 || B[i][j].Cmp(B2[i][j]) != 0 {
				t.Fatalf("round trip differs at (%d,%d)", i, j)
			}
		}
	}
	for _, in := range []string{"", "2", "2 x", "0 2", "1 1\n1\n", "1 1\n1\n2\n3", "1 1\n1\nq"} {
		if _, _, err := ReadGame(strings.NewReader(in)); err == nil {
			t.Errorf("ReadGame(%q): no error", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("2  1/2  1/2  0 -1/2 \n1  1/2  1/2  0  1/2 \n\n2  1/2  1/2  0 -1/2 \n1  1/2  0  1/2  1/2 \n", 3, 3)
	f.Add("*comment\n2 1 0 0\n2 0 1 0\n1 1 0 0\n", 2, 2)
	f.Fuzz(func(t *testing.T, s string, m, n int) {
		if m < 1 || n < 1 || m > 50 || n > 50 {
			return
		}
		eqs, err := Parse(strings.NewReader(s), m, n)
		if err != nil {
			return
		}
		for _, e := range eqs {
			if len(e.X) != m || len(e.Y) != n || e.U == nil || e.V == nil {
				t.Fatalf("bad equilibrium shape from %q", s)
			}
		}
	})
}

func FuzzReadGame(f *testing.F) {
	f.Add("2 2\n\n1 2\n3 4\n\n5 6\n7 8\n")
	f.Add("1 3\n1/2 0.5 -3\n1 1 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		A, B, err := ReadGame(strings.NewReader(s))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteGame(&buf, A, B); err != nil {
			t.Fatalf("WriteGame after ReadGame(%q): %v", s, err)
		}
		A2, B2, err := ReadGame(&buf)
		if err != nil || len(A2) != len(A) || len(B2) != len(B) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}

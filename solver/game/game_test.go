package game

import (
	"errors"
	"math/big"
	"testing"
)

func TestParseRat(t *testing.T) {
	good := []struct{ in, want string }{
		{"0", "0"}, {"-3", "-3"}, {"+7", "7"}, {"2.5", "5/2"}, {".5", "1/2"}, {"5.", "5"},
		{"1e3", "1000"}, {"1.25E-2", "1/80"}, {"-0.000", "0"}, {"1/3", "1/3"}, {"-7/2", "-7/2"},
		{"6/4", "3/2"}, {"0.1", "1/10"}, {"1.131000", "1131/1000"}, {"010", "10"}, {"3/010", "3/10"},
	}
	for _, tt := range good {
		r, err := ParseRat(tt.in)
		if err != nil || r.RatString() != tt.want {
			t.Errorf("ParseRat(%q) = %v, %v; want %s", tt.in, r, err, tt.want)
		}
	}
	bad := []string{"", "-", ".", "e5", "1e", "1/0", "1/-2", "1/2/3", "0x10", "1_000", " 1", "1 ", "inf", "NaN",
		"1e401", "1e-999999999999", "1.2.3", "--1", "1/", "/2", "1.5/2", "1e+", "１"}
	for _, s := range bad {
		if r, err := ParseRat(s); err == nil {
			t.Errorf("ParseRat(%q) = %v, want error", s, r)
		} else if !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseRat(%q): error %v does not wrap ErrSyntax", s, err)
		}
	}
	if r, _ := RatFromFloat(0.1); r.RatString() != "1/10" {
		t.Errorf("RatFromFloat(0.1) = %v", r)
	}
}

func FuzzParseRat(f *testing.F) {
	for _, s := range []string{"1/3", "-2.5e3", "0.1", "7", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRat(s)
		if err != nil {
			return
		}
		// The canonical form parses back to the same value.
		r2, err := ParseRat(r.RatString())
		if err != nil || r2.Cmp(r) != 0 {
			t.Fatalf("ParseRat(%q) = %v does not round-trip: %v %v", s, r, r2, err)
		}
	})
}

func TestNormalShapes(t *testing.T) {
	one := IntRats(1, 2)
	if _, err := NewNormal(nil, nil, nil); !errors.Is(err, ErrShape) {
		t.Errorf("no players: %v", err)
	}
	if _, err := NewNormal([]string{"A", "B"}, [][]string{{"x"}, {}}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("no strategies: %v", err)
	}
	if _, err := NewNormal([]string{"A", "B"}, [][]string{{"x"}, {"y"}}, [][]*big.Rat{one, one}); !errors.Is(err, ErrShape) {
		t.Errorf("too many payoff vectors: %v", err)
	}
	if _, err := NewNormal([]string{"A", "B"}, [][]string{{"x"}, {"y"}}, [][]*big.Rat{IntRats(1)}); !errors.Is(err, ErrShape) {
		t.Errorf("short payoff vector: %v", err)
	}
	if _, err := NewNormal([]string{"A", "B", "C"}, [][]string{make([]string, 4096), make([]string, 4096), {"z"}}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("too many profiles: %v", err)
	}
	// Index/Profile round trip and Gambit order (player 1 fastest).
	g, err := NewNormal([]string{"A", "B", "C"}, [][]string{{"a", "b"}, {"x", "y", "z"}, {"u", "v"}}, make12())
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < g.NumProfiles(); k++ {
		if g.Index(g.Profile(k, nil)) != k {
			t.Fatalf("Index(Profile(%d)) != %d", k, k)
		}
	}
	if g.Index([]int{1, 0, 0}) != 1 || g.Index([]int{0, 1, 0}) != 2 || g.Index([]int{0, 0, 1}) != 6 {
		t.Error("profile order is not player 1 fastest")
	}
	sub, err := g.Restrict([][]int{{1}, {0, 2}, {1}})
	if err != nil {
		t.Fatal(err)
	}
	if sub.NumProfiles() != 2 || sub.Payoff(1, 0).Cmp(g.Payoff(g.Index([]int{1, 2, 1}), 0)) != 0 {
		t.Error("Restrict picked the wrong payoffs")
	}
	sc, ok := g.Scaled()
	if !ok || sc[5*3+1] != 5*3+1 { // payoffs (3k+i)/2, common factor 2
		t.Errorf("Scaled = %v, %v", sc, ok)
	}
}

// make12 gives the 12 profiles of a 2×3×2 game payoffs (k/2 for every entry index k).
func make12() [][]*big.Rat {
	out := make([][]*big.Rat, 12)
	for k := range out {
		for i := 0; i < 3; i++ {
			out[k] = append(out[k], big.NewRat(int64(k*3+i), 2))
		}
	}
	return out
}

func TestTreeValidation(t *testing.T) {
	leaf := func(p ...int64) *Node { return &Node{Payoffs: IntRats(p...)} }
	shared := leaf(1, 1)
	tests := []struct {
		name string
		root *Node
	}{
		{"shared node", &Node{Player: 0, Actions: []string{"a", "b"}, Children: []*Node{shared, shared}}},
		{"labels", &Node{Player: 0, Actions: []string{"a"}, Children: []*Node{leaf(1, 1), leaf(2, 2)}}},
		{"dup labels", &Node{Player: 0, Actions: []string{"a", "a"}, Children: []*Node{leaf(1, 1), leaf(2, 2)}}},
		{"player", &Node{Player: 2, Actions: []string{"a"}, Children: []*Node{leaf(1, 1)}}},
		{"payoffs", &Node{Player: 0, Actions: []string{"a"}, Children: []*Node{leaf(1)}}},
		{"probs", &Node{Player: Chance, Actions: []string{"a", "b"}, Probs: Rats("1/2", "1/3"), Children: []*Node{leaf(1, 1), leaf(2, 2)}}},
		{"negative prob", &Node{Player: Chance, Actions: []string{"a", "b"}, Probs: Rats("3/2", "-1/2"), Children: []*Node{leaf(1, 1), leaf(2, 2)}}},
	}
	for _, tt := range tests {
		if _, err := NewTree([]string{"A", "B"}, tt.root); !errors.Is(err, ErrTree) && !errors.Is(err, ErrShape) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	// A valid tree with chance; its normal form has exact expected payoffs.
	root := &Node{Player: Chance, Actions: []string{"l", "r"}, Probs: Rats("1/4", "3/4"), Children: []*Node{
		{Player: 0, Actions: []string{"a", "b"}, Children: []*Node{leaf(4, 0), leaf(0, 4)}},
		{Player: 1, Actions: []string{"x", "y"}, Children: []*Node{leaf(8, 8), leaf(0, 0)}},
	}}
	tr, err := NewTree([]string{"A", "B"}, root)
	if err != nil {
		t.Fatal(err)
	}
	nf, own, err := tr.ToNormal()
	if err != nil {
		t.Fatal(err)
	}
	if len(own[0]) != 1 || nf.NumStrategies(0) != 2 || nf.Strategies(1)[1] != "y" {
		t.Fatalf("normal form %v", nf.AllStrategies())
	}
	// A plays a, B plays x: 1/4·4 + 3/4·8 = 7 for A; 3/4·8 = 6 for B.
	k := nf.Index([]int{0, 0})
	if nf.Payoff(k, 0).Cmp(big.NewRat(7, 1)) != 0 || nf.Payoff(k, 1).Cmp(big.NewRat(6, 1)) != 0 {
		t.Errorf("expected payoffs %v", nf.Payoffs(k))
	}
}

func TestAllocationValidation(t *testing.T) {
	v := [][]*big.Rat{IntRats(1, 2), IntRats(3, 4)}
	if _, err := NewAllocation([]string{"A"}, []string{"x", "y"}, []int{1, 1}, v[:1], nil); !errors.Is(err, ErrAllocation) {
		t.Errorf("one player: %v", err)
	}
	if _, err := NewAllocation([]string{"A", "B"}, []string{"x", "y"}, []int{1, -1}, v, nil); !errors.Is(err, ErrAllocation) {
		t.Errorf("negative count: %v", err)
	}
	if _, err := NewAllocation([]string{"A", "B"}, []string{"x", "y"}, []int{1 << 20, 1 << 20}, v, nil); !errors.Is(err, ErrAllocation) {
		t.Errorf("too many splits: %v", err)
	}
	a, err := NewAllocation([]string{"A", "B"}, []string{"x", "y"}, []int{1, 2}, v, nil)
	if err != nil || len(a.Disagreement) != 2 || a.Disagreement[0].Sign() != 0 {
		t.Errorf("default disagreement: %+v %v", a, err)
	}
}

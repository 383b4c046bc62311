package bimatrix

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestLemkeHowsonInEnumerate checks on random games, degenerate ones included, that every
// Lemke–Howson path ends at an equilibrium that Enumerate lists, and that LemkeHowsonAll is a
// subset of Enumerate containing the ends of all paths from the artificial equilibrium.
func TestLemkeHowsonInEnumerate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	games := []struct {
		name string
		A, B [][]*big.Rat
	}{}
	for _, tc := range knownGames {
		games = append(games, struct {
			name string
			A, B [][]*big.Rat
		}{tc.name, tc.A, tc.B})
	}
	for i := range 120 {
		m, n := 1+r.IntN(7), 1+r.IntN(7)
		hi := []int64{1, 3, 99}[i%3]
		A, B := randomGame(r, m, n, hi)
		games = append(games, struct {
			name string
			A, B [][]*big.Rat
		}{fmt.Sprintf("random %d %dx%d 0..%d", i, m, n, hi), A, B})
	}
	for _, gm := range games {
		all, err := Enumerate(gm.A, gm.B)
		if err != nil {
			t.Fatalf("%s: %v", gm.name, err)
		}
		set := map[string]bool{}
		for _, e := range all {
			set[eqKey(e)] = true
		}
		ends := map[string]bool{}
		for k := range len(gm.A) + len(gm.A[0]) {
			e, err := LemkeHowson(gm.A, gm.B, k)
			if err != nil {
				t.Fatalf("%s: LemkeHowson(%d): %v", gm.name, k, err)
			}
			if err := checkNash(gm.A, gm.B, e); err != nil {
				t.Errorf("%s: LemkeHowson(%d) = %s: %v", gm.name, k, key(e.X, e.Y), err)
			}
			if !set[eqKey(e)] {
				t.Errorf("%s: LemkeHowson(%d) = %s not among Enumerate's", gm.name, k, key(e.X, e.Y))
			}
			ends[eqKey(e)] = true
		}
		lh, err := LemkeHowsonAll(gm.A, gm.B)
		if err != nil {
			t.Fatalf("%s: LemkeHowsonAll: %v", gm.name, err)
		}
		got := map[string]bool{}
		for _, e := range lh {
			k := eqKey(e)
			if !set[k] {
				t.Errorf("%s: LemkeHowsonAll: %s not among Enumerate's", gm.name, key(e.X, e.Y))
			}
			if got[k] {
				t.Errorf("%s: LemkeHowsonAll: duplicate %s", gm.name, key(e.X, e.Y))
			}
			got[k] = true
		}
		for k := range ends {
			if !got[k] {
				t.Errorf("%s: LemkeHowsonAll misses a path end %s", gm.name, k)
			}
		}
	}
}

func TestLemkeHowsonErrors(t *testing.T) {
	A := ints([]int64{1, 0}, []int64{0, 1})
	for _, k := range []int{-1, 4} {
		if _, err := LemkeHowson(A, A, k); !errors.Is(err, ErrLabel) {
			t.Errorf("label %d: err = %v, want ErrLabel", k, err)
		}
	}
	if _, err := LemkeHowson(A, ints([]int64{1}), 0); !errors.Is(err, ErrShape) {
		t.Errorf("shape: err = %v, want ErrShape", err)
	}
	if _, err := LemkeHowsonAll(nil, nil); !errors.Is(err, ErrShape) {
		t.Errorf("LemkeHowsonAll shape: err = %v, want ErrShape", err)
	}
}

func TestLemkeHowsonShapley(t *testing.T) {
	// Shapley's 1974 game: every path from the artificial equilibrium ends at the unique
	// equilibrium, the completely mixed (1/3, 1/3, 1/3) for both players.
	A := ints([]int64{0, 1, 2}, []int64{2, 0, 1}, []int64{1, 2, 0})
	B := ints([]int64{0, 2, 1}, []int64{1, 0, 2}, []int64{2, 1, 0})
	third := big.NewRat(1, 3)
	for k := range 6 {
		e, err := LemkeHowson(A, B, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(append([]*big.Rat{}, e.X...), e.Y...) {
			if p.Cmp(third) != 0 {
				t.Errorf("label %d: %s, want all 1/3", k, key(e.X, e.Y))
				break
			}
		}
	}
}

// TestLemkeHowsonRevisedMatchesTableau checks that the revised implementation (LemkeHowson) and
// the tableau implementation (used by LemkeHowsonAll) end every path at the same equilibrium,
// with 128-bit and with math/big arithmetic, degenerate games included.
func TestLemkeHowsonRevisedMatchesTableau(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 150 {
		m, n := 1+r.IntN(8), 1+r.IntN(8)
		hi := []int64{1, 2, 3, 99, 1e15}[i%5]
		A, B := randomGame(r, m, n, hi)
		if hi == 1e15 { // entries beyond 64 bits: the math/big steps
			for _, M := range [][][]*big.Rat{A, B} {
				for _, row := range M {
					for _, v := range row {
						v.Mul(v, new(big.Rat).SetFloat64(1<<80))
						v.Add(v, big.NewRat(r.Int64N(1e6), 1))
					}
				}
			}
		}
		g, err := newGame(A, B)
		if err != nil {
			t.Fatal(err)
		}
		for k := range m + n {
			s, err := g.lemkeHowson(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			want := g.equilibrium(pointOf(s.tp), pointOf(s.tq))
			rs := g.newLHPair()
			if err := rs.walk(context.Background(), k); err != nil {
				t.Fatal(err)
			}
			got := g.equilibrium(rs.sp.point(), rs.sq.point())
			if eqKey(got) != eqKey(want) {
				t.Errorf("%dx%d 0..%d label %d: revised %s, tableau %s", m, n, hi, k, key(got.X, got.Y), key(want.X, want.Y))
			}
		}
	}
}

package bimatrix

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nashd/nashd/solver/bimatrix/lrsnash"
)

// ints builds a rational matrix from integer rows.
func ints(rows ...[]int64) [][]*big.Rat {
	out := make([][]*big.Rat, len(rows))
	for i, r := range rows {
		out[i] = make([]*big.Rat, len(r))
		for j, v := range r {
			out[i][j] = big.NewRat(v, 1)
		}
	}
	return out
}

func neg(M [][]*big.Rat) [][]*big.Rat {
	out := make([][]*big.Rat, len(M))
	for i, r := range M {
		out[i] = make([]*big.Rat, len(r))
		for j, v := range r {
			out[i][j] = new(big.Rat).Neg(v)
		}
	}
	return out
}

// randomGame draws an m×n game with integer payoffs in [0, hi].
func randomGame(r *rand.Rand, m, n int, hi int64) (A, B [][]*big.Rat) {
	gen := func() [][]*big.Rat {
		M := make([][]*big.Rat, m)
		for i := range M {
			M[i] = make([]*big.Rat, n)
			for j := range M[i] {
				M[i][j] = big.NewRat(r.Int64N(hi+1), 1)
			}
		}
		return M
	}
	return gen(), gen()
}

// checkNash verifies independently of the solver that (X, Y) is a Nash equilibrium of (A, B) with
// payoffs (U, V): X and Y are probability vectors and no pure strategy earns more than U (V).
func checkNash(A, B [][]*big.Rat, e Equilibrium) error {
	m, n := len(A), len(A[0])
	if len(e.X) != m || len(e.Y) != n {
		return fmt.Errorf("strategy lengths %d, %d, want %d, %d", len(e.X), len(e.Y), m, n)
	}
	for _, s := range [][]*big.Rat{e.X, e.Y} {
		var sum big.Rat
		for _, p := range s {
			if p.Sign() < 0 {
				return fmt.Errorf("negative probability %v", p.RatString())
			}
			sum.Add(&sum, p)
		}
		if sum.Cmp(big.NewRat(1, 1)) != 0 {
			return fmt.Errorf("probabilities sum to %v", sum.RatString())
		}
	}
	var u, v big.Rat
	rowPay := make([]*big.Rat, m)
	for i := range m {
		rowPay[i] = new(big.Rat)
		for j := range n {
			rowPay[i].Add(rowPay[i], new(big.Rat).Mul(A[i][j], e.Y[j]))
		}
		u.Add(&u, new(big.Rat).Mul(e.X[i], rowPay[i]))
	}
	colPay := make([]*big.Rat, n)
	for j := range n {
		colPay[j] = new(big.Rat)
		for i := range m {
			colPay[j].Add(colPay[j], new(big.Rat).Mul(B[i][j], e.X[i]))
		}
		v.Add(&v, new(big.Rat).Mul(e.Y[j], colPay[j]))
	}
	if u.Cmp(e.U) != 0 || v.Cmp(e.V) != 0 {
		return fmt.Errorf("payoffs %v, %v, want %v, %v", e.U.RatString(), e.V.RatString(), u.RatString(), v.RatString())
	}
	for i, p := range rowPay {
		if p.Cmp(&u) > 0 {
			return fmt.Errorf("row %d earns %v > %v", i, p.RatString(), u.RatString())
		}
	}
	for j, p := range colPay {
		if p.Cmp(&v) > 0 {
			return fmt.Errorf("column %d earns %v > %v", j, p.RatString(), v.RatString())
		}
	}
	return nil
}

func key(x, y []*big.Rat) string {
	var b strings.Builder
	for _, v := range x {
		b.WriteString(v.RatString() + " ")
	}
	b.WriteString("| ")
	for _, v := range y {
		b.WriteString(v.RatString() + " ")
	}
	return b.String()
}

func formatGame(A, B [][]*big.Rat) string {
	var b strings.Builder
	lrsnash.WriteGame(&b, A, B)
	return b.String()
}

// cmpVec compares two strategies lexicographically.
func cmpVec(a, b []*big.Rat) int {
	return slices.CompareFunc(a, b, (*big.Rat).Cmp)
}

// compareLrs checks Enumerate's set against lrsnash's on (A, B).
func compareLrs(t *testing.T, name string, A, B [][]*big.Rat) {
	t.Helper()
	got, err := Enumerate(A, B)
	if err != nil {
		t.Fatalf("%s: Enumerate: %v", name, err)
	}
	want, err := lrsnash.Run(context.Background(), A, B)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	gotSet := map[string]bool{}
	for _, e := range got {
		if err := checkNash(A, B, e); err != nil {
			t.Errorf("%s: not an equilibrium %s: %v", name, key(e.X, e.Y), err)
		}
		k := key(e.X, e.Y)
		if gotSet[k] {
			t.Errorf("%s: duplicate %s", name, k)
		}
		gotSet[k] = true
	}
	wantSet := map[string]bool{}
	for _, e := range want {
		k := key(e.X, e.Y)
		wantSet[k] = true
		u, v := Payoffs(A, B, e.X, e.Y)
		if u.Cmp(e.U) != 0 || v.Cmp(e.V) != 0 {
			t.Errorf("%s: lrsnash payoffs %v %v for %s, want %v %v", name, e.U, e.V, k, u, v)
		}
	}
	var missing, extra []string
	for k := range wantSet {
		if !gotSet[k] {
			missing = append(missing, k)
		}
	}
	for k := range gotSet {
		if !wantSet[k] {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra) > 0 {
		slices.Sort(missing)
		slices.Sort(extra)
		t.Errorf("%s: %d equilibria, lrsnash %d; missing %q; extra %q\ngame:\n%s", name, len(gotSet), len(wantSet), missing, extra, formatGame(A, B))
	}
	if !slices.IsSortedFunc(got, func(a, b Equilibrium) int {
		if c := cmpVec(a.X, b.X); c != 0 {
			return c
		}
		return cmpVec(a.Y, b.Y)
	}) {
		t.Errorf("%s: result not sorted", name)
	}
}

func TestEnumerateVsLrsnashRandom(t *testing.T) {
	lrsnash.Require(t)
	r := rand.New(rand.NewPCG(1, 2))
	count := 0
	for _, hi := range []int64{1, 2, 3, 9, 99} {
		for m := 2; m <= 8; m++ {
			for n := 2; n <= 8; n++ {
				if hi >= 9 && m*n > 36 && (m+n)%3 != 0 {
					continue // keep the run short: a sample of the larger games
				}
				A, B := randomGame(r, m, n, hi)
				compareLrs(t, fmt.Sprintf("random %dx%d 0..%d", m, n, hi), A, B)
				count++
			}
		}
	}
	t.Logf("%d random games checked against lrsnash", count)
}

var knownGames = []struct {
	name string
	A, B [][]*big.Rat
	want int // number of extreme equilibria
}{
	{"all-zero 2x2", ints([]int64{0, 0}, []int64{0, 0}), ints([]int64{0, 0}, []int64{0, 0}), 4},
	{"nashpy degenerate", ints([]int64{0, -1, 1}, []int64{-1, 0, 1}, []int64{-1, 0, 1}),
		neg(ints([]int64{0, -1, 1}, []int64{-1, 0, 1}, []int64{-1, 0, 1})), 2},
	{"matching pennies", ints([]int64{1, -1}, []int64{-1, 1}), ints([]int64{-1, 1}, []int64{1, -1}), 1},
	{"rock paper scissors", ints([]int64{0, -1, 1}, []int64{1, 0, -1}, []int64{-1, 1, 0}),
		ints([]int64{0, 1, -1}, []int64{-1, 0, 1}, []int64{1, -1, 0}), 1},
	{"shapley 1974", ints([]int64{0, 1, 2}, []int64{2, 0, 1}, []int64{1, 2, 0}),
		ints([]int64{0, 2, 1}, []int64{1, 0, 2}, []int64{2, 1, 0}), 1},
	{"prisoners dilemma", ints([]int64{3, 0}, []int64{5, 1}), ints([]int64{3, 5}, []int64{0, 1}), 1},
	{"battle of the sexes", ints([]int64{2, 0}, []int64{0, 1}), ints([]int64{1, 0}, []int64{0, 2}), 3},
	{"1x3", ints([]int64{1, 1, 0}), ints([]int64{2, 2, 1}), 2},
	{"3x1", ints([]int64{1}, []int64{1}, []int64{0}), ints([]int64{0}, []int64{0}, []int64{0}), 2},
}

func TestEnumerateKnown(t *testing.T) {
	for _, tc := range knownGames {
		got, err := Enumerate(tc.A, tc.B)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != tc.want {
			t.Errorf("%s: %d equilibria, want %d", tc.name, len(got), tc.want)
		}
		for _, e := range got {
			if err := checkNash(tc.A, tc.B, e); err != nil {
				t.Errorf("%s: %s: %v", tc.name, key(e.X, e.Y), err)
			}
		}
	}
}

func TestEnumerateKnownVsLrsnash(t *testing.T) {
	lrsnash.Require(t)
	for _, tc := range knownGames {
		compareLrs(t, tc.name, tc.A, tc.B)
	}
}

func TestEnumerateShapeErrors(t *testing.T) {
	one := ints([]int64{1})
	tests := []struct {
		name string
		A, B [][]*big.Rat
	}{
		{"empty", nil, nil},
		{"no columns", [][]*big.Rat{{}}, [][]*big.Rat{{}}},
		{"row count", ints([]int64{1}, []int64{2}), one},
		{"ragged A", ints([]int64{1, 2}, []int64{3}), ints([]int64{1, 2}, []int64{3, 4})},
		{"ragged B", ints([]int64{1, 2}, []int64{3, 4}), ints([]int64{1, 2}, []int64{3})},
		{"nil entry", [][]*big.Rat{{nil}}, one},
	}
	for _, tc := range tests {
		if _, err := Enumerate(tc.A, tc.B); !errors.Is(err, ErrShape) {
			t.Errorf("%s: err = %v, want ErrShape", tc.name, err)
		}
	}
}

// readNFGBimatrix reads a two-player Gambit .nfg file in the payoff version (strategy names, then
// a flat list of payoffs, player 1's strategy changing fastest). A deliberately small reader for
// the test games here; package solver has the full one.
func readNFGBimatrix(t *testing.T, path string) (A, B [][]*big.Rat) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	// Strategy lists: the second {...} block holding two {...} lists of names.
	open := strings.Index(s, "{ {")
	if open < 0 {
		open = strings.Index(s, "{\n{")
	}
	if open < 0 {
		t.Fatalf("%s: no strategy block", path)
	}
	var counts []int
	i := open + 1
	for len(counts) < 2 {
		a := strings.IndexByte(s[i:], '{') + i
		b := strings.IndexByte(s[a:], '}') + a
		counts = append(counts, strings.Count(s[a:b], "\"")/2)
		i = b + 1
	}
	end := strings.IndexByte(s[i:], '}') + i + 1
	rest := s[end:]
	if q := strings.IndexByte(rest, '"'); q >= 0 { // comment string
		r := strings.IndexByte(rest[q+1:], '"') + q + 1
		rest = rest[r+1:]
	}
	f := strings.Fields(rest)
	m, n := counts[0], counts[1]
	if len(f) != 2*m*n {
		t.Fatalf("%s: %d payoffs, want %d", path, len(f), 2*m*n)
	}
	A, B = make([][]*big.Rat, m), make([][]*big.Rat, m)
	for r := range m {
		A[r], B[r] = make([]*big.Rat, n), make([]*big.Rat, n)
	}
	for p := range m * n {
		r, c := p%m, p/m
		var ok1, ok2 bool
		A[r][c], ok1 = new(big.Rat).SetString(f[2*p])
		B[r][c], ok2 = new(big.Rat).SetString(f[2*p+1])
		if !ok1 || !ok2 {
			t.Fatalf("%s: bad payoff at profile %d", path, p)
		}
	}
	return A, B
}

func TestEnumerateGambitGames(t *testing.T) {
	tests := []struct {
		file string
		want int
	}{
		{"../testdata/gambit/dcg_vonstengel1999_6x6_game_with_75_eq.nfg", 75},
	}
	for _, tc := range tests {
		A, B := readNFGBimatrix(t, tc.file)
		got, err := Enumerate(A, B)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if tc.want >= 0 && len(got) != tc.want {
			t.Errorf("%s: %d equilibria, want %d", tc.file, len(got), tc.want)
		}
		for _, e := range got {
			if err := checkNash(A, B, e); err != nil {
				t.Errorf("%s: %s: %v", tc.file, key(e.X, e.Y), err)
			}
		}
		t.Run("lrsnash", func(t *testing.T) {
			lrsnash.Require(t)
			compareLrs(t, tc.file, A, B)
		})
	}
}

func TestEnumerateContextCancelled(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	A, B := randomGame(r, 12, 12, 99)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := EnumerateContext(ctx, A, B); !errors.Is(err, context.Canceled) {
		t.Errorf("EnumerateContext(cancelled) err = %v, want context.Canceled", err)
	}
}

func TestEnumerateTooLarge(t *testing.T) {
	A := make([][]*big.Rat, 1)
	A[0] = make([]*big.Rat, MaxStrategies)
	for j := range A[0] {
		A[0][j] = big.NewRat(int64(j), 1)
	}
	if _, err := Enumerate(A, A); !errors.Is(err, ErrShape) {
		t.Errorf("1×%d game: err = %v, want ErrShape", MaxStrategies, err)
	}
}

// TestEnumerateVsLrsnashStructured covers structured degenerate games: duplicated and constant
// rows and columns, coordination games (2ⁿ−1 equilibria), zero-sum and identical-interest games,
// and games with one player indifferent everywhere.
func TestEnumerateVsLrsnashStructured(t *testing.T) {
	lrsnash.Require(t)
	r := rand.New(rand.NewPCG(15, 16))
	clone := func(M [][]*big.Rat) [][]*big.Rat {
		out := make([][]*big.Rat, len(M))
		for i, row := range M {
			out[i] = make([]*big.Rat, len(row))
			for j, v := range row {
				out[i][j] = new(big.Rat).Set(v)
			}
		}
		return out
	}
	for i := range 60 {
		m, n := 2+r.IntN(5), 2+r.IntN(5)
		A, B := randomGame(r, m, n, []int64{1, 2, 5}[i%3])
		var name string
		switch i % 6 {
		case 0: // duplicate a row of both matrices and a column of both
			name = "duplicates"
			for _, M := range [][][]*big.Rat{A, B} {
				M[m-1] = clone(M[:1])[0]
				for _, row := range M {
					row[n-1] = new(big.Rat).Set(row[0])
				}
			}
		case 1: // constant column payoffs for the column player
			name = "constant B"
			for _, row := range B {
				for j := range row {
					row[j] = big.NewRat(2, 1)
				}
			}
		case 2: // coordination game on the diagonal
			name = "coordination"
			n = m
			A, B = randomGame(r, m, m, 0)
			for k := range m {
				A[k][k] = big.NewRat(int64(1+r.IntN(3)), 1)
				B[k][k] = big.NewRat(int64(1+r.IntN(3)), 1)
			}
		case 3:
			name = "zero-sum"
			B = neg(A)
		case 4:
			name = "identical interests"
			B = clone(A)
		case 5: // fractions with a common row
			name = "fractions"
			for _, row := range A {
				for j := range row {
					row[j] = new(big.Rat).Quo(row[j], big.NewRat(int64(1+r.IntN(4)), 1))
				}
			}
			A[0] = clone(A[1:2])[0]
		}
		compareLrs(t, fmt.Sprintf("%s %dx%d #%d", name, m, n, i), A, B)
	}
}

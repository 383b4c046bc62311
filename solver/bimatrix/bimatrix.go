package bimatrix

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// Equilibrium is one extreme Nash equilibrium of a bimatrix game (A, B): the row player's mixed
// strategy X (length m), the column player's Y (length n), and the expected payoffs U = XᵀAY to
// the row player and V = XᵀBY to the column player. All values are exact.
type Equilibrium struct {
	X, Y []*big.Rat
	U, V *big.Rat
}

// Errors returned for invalid input.
var (
	// ErrShape reports an empty game, ragged matrices, matrices of different shapes, a nil entry,
	// or a game too large for exact vertex enumeration (more than [MaxStrategies] strategies in all).
	ErrShape = errors.New("bimatrix: bad game shape")
	// ErrLabel reports a Lemke–Howson missing label outside 0..m+n-1.
	ErrLabel = errors.New("bimatrix: missing label out of range")
)

// MaxStrategies is the largest total number of strategies m+n that [Enumerate] accepts (label sets
// are 128-bit sets). Vertex enumeration is exponential anyway: games near this size do not finish.
const MaxStrategies = 128

// game is a validated bimatrix game with payoffs transformed to positive integers.
type game struct {
	m, n int
	a, b [][]*big.Rat // the original payoffs
	// A and B after a positive affine map: integers ≥ 1, in int64 (ai64, bi64) when every entry
	// is below 2⁶², else in math/big (ai, bi).
	ai, bi     [][]*big.Int
	ai64, bi64 [][]int64
}

// newGame validates (A, B) and builds the integer payoffs.
func newGame(A, B [][]*big.Rat) (*game, error) {
	m := len(A)
	if m == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrShape)
	}
	if len(B) != m {
		return nil, fmt.Errorf("%w: A has %d rows, B has %d", ErrShape, m, len(B))
	}
	n := len(A[0])
	if n == 0 {
		return nil, fmt.Errorf("%w: no columns", ErrShape)
	}
	for i := range m {
		if len(A[i]) != n {
			return nil, fmt.Errorf("%w: row %d of A has %d entries, want %d", ErrShape, i, len(A[i]), n)
		}
		if len(B[i]) != n {
			return nil, fmt.Errorf("%w: row %d of B has %d entries, want %d", ErrShape, i, len(B[i]), n)
		}
		for j := range n {
			if A[i][j] == nil || B[i][j] == nil {
				return nil, fmt.Errorf("%w: nil payoff at (%d,%d)", ErrShape, i, j)
			}
		}
	}
	g := &game{m: m, n: n, a: A, b: B}
	g.ai, g.ai64 = positiveIntegers(A)
	g.bi, g.bi64 = positiveIntegers(B)
	return g, nil
}

// positiveIntegers maps M by the positive affine transformation z ↦ (L·z - min)/g + 1, where L is
// the least common multiple of the denominators and g the gcd of the shifted entries, giving
// integers ≥ 1 as small as such a map allows. Best responses, hence equilibria, are unchanged.
// The result is in int64 if every entry is below 2⁶² (then the big result is nil), else in math/big.
func positiveIntegers(M [][]*big.Rat) ([][]*big.Int, [][]int64) {
	if out, ok := positiveInt64(M); ok {
		return nil, out
	}
	l := big.NewInt(1)
	var g big.Int
	for _, row := range M {
		for _, v := range row {
			if v.IsInt() {
				continue
			}
			d := v.Denom()
			g.GCD(nil, nil, l, d)
			l.Mul(l, d)
			l.Quo(l, &g)
		}
	}
	out := make([][]*big.Int, len(M))
	var lo *big.Int
	for i, row := range M {
		out[i] = make([]*big.Int, len(row))
		for j, v := range row {
			z := new(big.Int).Set(v.Num())
			if !l.IsInt64() || l.Int64() != 1 {
				z.Mul(z, l)
				z.Quo(z, v.Denom())
			}
			out[i][j] = z
			if lo == nil || z.Cmp(lo) < 0 {
				lo = z
			}
		}
	}
	lo = new(big.Int).Set(lo)
	g.SetInt64(0)
	var g64 uint64 // the gcd while it and the entries fit in 64 bits
	small := true
	for _, row := range out {
		for _, z := range row {
			z.Sub(z, lo)
			if small && z.IsUint64() {
				g64 = gcd64(g64, z.Uint64())
				continue
			}
			if small {
				small = false
				g.SetUint64(g64)
			}
			g.GCD(nil, nil, &g, z)
		}
	}
	if small {
		g.SetUint64(g64)
	}
	one := big.NewInt(1)
	for _, row := range out {
		for _, z := range row {
			if g.Sign() > 0 && !(g.IsInt64() && g.Int64() == 1) {
				z.Quo(z, &g)
			}
			z.Add(z, one)
		}
	}
	return out, nil
}

// positiveInt64 is positiveIntegers for integer payoffs with |v| < 2⁶⁰.
func positiveInt64(M [][]*big.Rat) ([][]int64, bool) {
	const lim = 1 << 60
	lo := int64(lim)
	for _, row := range M {
		for _, v := range row {
			if !v.IsInt() || !v.Num().IsInt64() {
				return nil, false
			}
			x := v.Num().Int64()
			if x >= lim || x <= -lim {
				return nil, false
			}
			lo = min(lo, x)
		}
	}
	out := make([][]int64, len(M))
	var g uint64
	for i, row := range M {
		out[i] = make([]int64, len(row))
		for j, v := range row {
			out[i][j] = v.Num().Int64() - lo
			g = gcd64(g, uint64(out[i][j]))
		}
	}
	for _, row := range out {
		for j := range row {
			if g > 1 {
				row[j] /= int64(g)
			}
			row[j]++
		}
	}
	return out, true
}

func gcd64(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Enumerate returns all extreme Nash equilibria of the bimatrix game (A, B), degenerate games
// included, sorted by X then Y (lexicographically, entry by entry). A has the row player's payoffs
// and B the column player's, both m×n. Every Nash equilibrium is a convex combination of extreme
// equilibria (in degenerate games, of extreme equilibria sharing a maximal Nash subset).
// Invalid shapes yield an error wrapping [ErrShape].
func Enumerate(A, B [][]*big.Rat) ([]Equilibrium, error) {
	return EnumerateContext(context.Background(), A, B)
}

// EnumerateContext is [Enumerate] with cancellation: it returns ctx.Err() once ctx is done.
func EnumerateContext(ctx context.Context, A, B [][]*big.Rat) ([]Equilibrium, error) {
	g, err := newGame(A, B)
	if err != nil {
		return nil, err
	}
	if g.m+g.n > MaxStrategies {
		return nil, fmt.Errorf("%w: %d+%d strategies, at most %d in all", ErrShape, g.m, g.n, MaxStrategies)
	}
	pairs, err := g.enumerate(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Equilibrium, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, g.equilibrium(p.x, p.y))
	}
	sortEquilibria(out)
	return out, nil
}

// equilibrium builds the normalised equilibrium from unnormalised polytope points.
func (g *game) equilibrium(x, y []*big.Rat) Equilibrium {
	e := Equilibrium{X: normalize(x), Y: normalize(y)}
	e.U, e.V = Payoffs(g.a, g.b, e.X, e.Y)
	return e
}

// normalize returns z / Σz (z ≥ 0, not all zero).
func normalize(z []*big.Rat) []*big.Rat {
	var idx []int
	for i, v := range z {
		if v.Sign() != 0 {
			idx = append(idx, i)
		}
	}
	_, num := commonDenominator(z, idx)
	var s big.Int
	for _, n := range num {
		s.Add(&s, n)
	}
	out := make([]*big.Rat, len(z))
	for i := range out {
		out[i] = new(big.Rat)
	}
	for k, i := range idx {
		out[i].SetFrac(num[k], &s)
	}
	return out
}

// Payoffs returns the expected payoffs XᵀAY and XᵀBY of the mixed profile (X, Y). Shapes must
// match (it panics otherwise: a programmer error).
func Payoffs(A, B [][]*big.Rat, X, Y []*big.Rat) (u, v *big.Rat) {
	return payoff(A, X, Y), payoff(B, X, Y)
}

// payoff returns XᵀMY. Over the supports, with integer payoffs it sums integers over the common
// denominator of X and of Y (one normalisation instead of one per term).
func payoff(M [][]*big.Rat, X, Y []*big.Rat) *big.Rat {
	var sx, sy []int
	for i, p := range X {
		if p.Sign() != 0 {
			sx = append(sx, i)
		}
	}
	for j, p := range Y {
		if p.Sign() != 0 {
			sy = append(sy, j)
		}
	}
	integer := true
	for _, i := range sx {
		for _, j := range sy {
			if !M[i][j].IsInt() {
				integer = false
			}
		}
	}
	if integer {
		dx, nx := commonDenominator(X, sx)
		dy, ny := commonDenominator(Y, sy)
		var sum, t, row big.Int
		for a, i := range sx {
			row.SetInt64(0)
			for b, j := range sy {
				row.Add(&row, t.Mul(M[i][j].Num(), ny[b]))
			}
			sum.Add(&sum, t.Mul(&row, nx[a]))
		}
		return new(big.Rat).SetFrac(&sum, t.Mul(dx, dy))
	}
	u := new(big.Rat)
	var t, row big.Rat
	for _, i := range sx {
		row.SetInt64(0)
		for _, j := range sy {
			row.Add(&row, t.Mul(M[i][j], Y[j]))
		}
		u.Add(u, t.Mul(X[i], &row))
	}
	return u
}

// commonDenominator returns d, the lcm of the denominators of v[idx], and the numerators v[i]·d.
func commonDenominator(v []*big.Rat, idx []int) (*big.Int, []*big.Int) {
	d := big.NewInt(1)
	var g big.Int
	for _, i := range idx {
		q := v[i].Denom()
		if q.Cmp(d) == 0 {
			continue
		}
		g.GCD(nil, nil, d, q)
		d.Mul(d, q)
		d.Quo(d, &g)
	}
	out := make([]*big.Int, len(idx))
	for k, i := range idx {
		n := new(big.Int).Quo(d, v[i].Denom())
		out[k] = n.Mul(n, v[i].Num())
	}
	return d, out
}

// sortEquilibria orders equilibria by X, then Y, lexicographically. Comparisons go through float64
// approximations first: rounding is monotone, so different floats order the rationals; equal
// floats fall back to the exact comparison.
func sortEquilibria(es []Equilibrium) {
	type item struct {
		e Equilibrium
		f []float64
	}
	items := make([]item, len(es))
	for k, e := range es {
		f := make([]float64, 0, len(e.X)+len(e.Y))
		for _, v := range e.X {
			x, _ := v.Float64()
			f = append(f, x)
		}
		for _, v := range e.Y {
			x, _ := v.Float64()
			f = append(f, x)
		}
		items[k] = item{e, f}
	}
	slices.SortFunc(items, func(a, b item) int {
		m := len(a.e.X)
		for i, fa := range a.f {
			fb := b.f[i]
			if fa < fb {
				return -1
			}
			if fa > fb {
				return 1
			}
			x, y := a.e.X, b.e.X
			j := i
			if i >= m {
				x, y, j = a.e.Y, b.e.Y, i-m
			}
			if x[j].Num().Cmp(y[j].Num()) == 0 && x[j].Denom().Cmp(y[j].Denom()) == 0 {
				continue // equal (normalised rationals)
			}
			if c := x[j].Cmp(y[j]); c != 0 {
				return c
			}
		}
		return 0
	})
	for k := range items {
		es[k] = items[k].e
	}
}

package bimatrix

import (
	"context"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nashd/nashd/solver/bimatrix/lrsnash"
)

func randBig(r *rand.Rand, bitsMax int) *big.Int {
	nb := 1 + r.IntN(bitsMax)
	z := new(big.Int)
	for z.BitLen() < nb {
		z.Lsh(z, 32)
		z.Or(z, big.NewInt(int64(r.Uint32())))
	}
	z.Rsh(z, uint(z.BitLen()-nb))
	if r.IntN(2) == 0 {
		z.Neg(z)
	}
	return z
}

func toI128(t *testing.T, z *big.Int) i128 {
	t.Helper()
	m := new(big.Int).Abs(z)
	lo := new(big.Int).And(m, new(big.Int).SetUint64(^uint64(0))).Uint64()
	hi := new(big.Int).Rsh(m, 64).Uint64()
	a := i128{lo, hi}
	if z.Sign() < 0 {
		a = a.negate()
	}
	if a.big().Cmp(z) != 0 {
		t.Fatalf("round trip %v -> %v", z, a.big())
	}
	return a
}

// bigOf256 returns the value of the two's-complement 256-bit u.
func bigOf256(u u256) *big.Int {
	z := new(big.Int)
	for w := 3; w >= 0; w-- {
		z.Lsh(z, 64)
		z.Or(z, new(big.Int).SetUint64(u[w]))
	}
	if int64(u[3]) < 0 {
		z.Sub(z, new(big.Int).Lsh(big.NewInt(1), 256))
	}
	return z
}

// TestInt128Arithmetic checks products and the exact division against math/big.
func TestInt128Arithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		nb := []int{8, 40, 62, 100, 126}[r.IntN(5)]
		p, a := randBig(r, nb), randBig(r, nb)
		f, b := randBig(r, nb), randBig(r, nb)
		d := new(big.Int).Abs(randBig(r, nb))
		if d.Sign() == 0 {
			d.SetInt64(1)
		}
		if r.IntN(4) == 0 {
			d.Lsh(d, uint(r.IntN(70))) // many trailing zeros
			if d.BitLen() > 126 {
				d.Rsh(d, uint(d.BitLen()-126))
			}
		}
		want := new(big.Int).Mul(p, a)
		want.Sub(want, new(big.Int).Mul(f, b))
		if got := bigOf256(mul(toI128(t, p), toI128(t, a)).sub(mul(toI128(t, f), toI128(t, b)))); got.Cmp(want) != 0 {
			t.Fatalf("p·a−f·b = %v, want %v (p=%v a=%v f=%v b=%v)", got, want, p, a, f, b)
		}
		if p.BitLen() < 62 {
			var acc u256
			acc.addMulSmall(toI128(t, p), toI128(t, a))
			acc.addMulSmall(toI128(t, p), toI128(t, b))
			want := new(big.Int).Add(a, b)
			want.Mul(want, p)
			if got := bigOf256(acc); got.Cmp(want) != 0 {
				t.Fatalf("addMulSmall: p·(a+b) = %v, want %v", got, want)
			}
		}
		q := randBig(r, 1+r.IntN(126))
		n := new(big.Int).Mul(q, d)
		// n = q·d: the exact division gives q back (quo256; quo128 too when n fits 128 bits).
		dv := newDivisor(toI128(t, d))
		var u u256
		m := new(big.Int).Abs(n)
		for w := range 4 {
			u[w] = new(big.Int).And(new(big.Int).Rsh(m, uint(64*w)), new(big.Int).SetUint64(^uint64(0))).Uint64()
		}
		if n.Sign() < 0 {
			u = u.negate()
		}
		got, ok := dv.quo256(u)
		if q.BitLen() < maxBits-1 && !ok {
			t.Fatalf("%v/%v: reported overflow", n, d)
		}
		if ok && got.big().Cmp(q) != 0 {
			t.Fatalf("%v/%v = %v, want %v", n, d, got.big(), q)
		}
		if n.BitLen() < 120 {
			lo, hi := u[0], u[1]
			if got := dv.quo128(lo, hi); got.big().Cmp(q) != 0 {
				t.Fatalf("quo128 %v/%v = %v, want %v", n, d, got.big(), q)
			}
		}
	}
}

// TestTab128MatchesBig enumerates vertices with 128-bit and math/big tableaux, on payoff ranges
// that exercise the 64-bit fast path, the 256-bit path and the overflow restart.
func TestTab128MatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 24 {
		n := 3 + i%6
		hi := []int64{3, 99, 1e6, 1e9}[i%4]
		A, B := randomGame(r, n, n, hi)
		g, err := newGame(A, B)
		if err != nil {
			t.Fatal(err)
		}
		P := g.polytopeP()
		tb, ok := newTab128(P)
		if !ok {
			t.Fatal("newTab128 refused small payoffs")
		}
		fast, err := verticesIn(context.Background(), tb)
		if err == errOverflow {
			t.Logf("%dx%d 0..%d: 128-bit overflow, restarted in math/big", n, n, hi)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		slow, err := verticesIn(context.Background(), newBigTableau(P))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fast, slow) {
			t.Errorf("%dx%d 0..%d: 128-bit and big vertex lists differ (%d vs %d)", n, n, hi, len(fast), len(slow))
		}
	}
}

func TestEnumerateHugePayoffsVsLrsnash(t *testing.T) {
	lrsnash.Require(t)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 6 {
		n := 3 + i
		A, B := randomGame(r, n, n, 1e15)
		if i%2 == 0 { // fractions with large denominators
			for _, row := range A {
				for _, v := range row {
					v.Quo(v, big.NewRat(int64(r.IntN(1e6)+1), 1))
				}
			}
		}
		compareLrs(t, "huge payoffs", A, B)
	}
}

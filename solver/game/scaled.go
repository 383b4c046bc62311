package game

import (
	"math"
	"math/big"
	"sync"
)

// scaledCache holds the integer form of a game's payoffs (see [Normal.Scaled]).
type scaledCache struct {
	once   sync.Once
	vals   []int64
	factor *big.Int
	ok     bool
}

// Scaled returns every payoff multiplied by one common positive factor (the least common
// multiple of the denominators) as int64, indexed like the payoff table (profile k, player i at
// k*NumPlayers()+i), when all of them fit with room for sums of NumPlayers() payoffs; ok is
// false otherwise. Since the factor is common and positive, comparisons and sums of the integers
// order exactly like those of the rationals: algorithms that only compare payoffs use them to
// avoid big.Rat arithmetic. Computed once per game and shared; do not modify.
func (g *Normal) Scaled() (vals []int64, ok bool) {
	c := g.scaled
	if c == nil { // a Normal not built by a constructor: compute without caching
		c = new(scaledCache)
	}
	c.once.Do(func() {
		n := int64(len(g.players))
		limit := new(big.Int).SetInt64(math.MaxInt64 / 2 / n)
		lcm := big.NewInt(1)
		gcd := new(big.Int)
		for _, x := range g.pay {
			d := x.Denom()
			if d.IsInt64() && d.Int64() == 1 {
				continue
			}
			gcd.GCD(nil, nil, lcm, d)
			lcm.Mul(lcm, new(big.Int).Quo(d, gcd))
			if lcm.Cmp(limit) > 0 {
				return
			}
		}
		vals := make([]int64, len(g.pay))
		t := new(big.Int)
		for k, x := range g.pay {
			t.Quo(t.Mul(x.Num(), lcm), x.Denom())
			if t.CmpAbs(limit) > 0 {
				return
			}
			vals[k] = t.Int64()
		}
		c.vals, c.factor, c.ok = vals, lcm, true
	})
	return c.vals, c.ok
}

// ScaleFactor returns the common factor of [Normal.Scaled] (nil when Scaled is not ok): the
// payoff at entry e is Scaled()[e] / ScaleFactor().
func (g *Normal) ScaleFactor() *big.Int {
	if _, ok := g.Scaled(); !ok {
		return nil
	}
	return new(big.Int).Set(g.scaled.factor)
}

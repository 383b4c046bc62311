package strategic

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/nashd/nashd/solver/game"
)

// ErrProfile reports a malformed strategy profile.
var ErrProfile = errors.New("strategic: invalid strategy profile")

// Profile is a mixed-strategy profile: Profile[i][s] is the probability that player i plays
// strategy s.
type Profile [][]*big.Rat

// Pure returns the mixed profile that puts probability one on each player's strategy in p.
func Pure(g *game.Normal, p []int) Profile {
	out := make(Profile, g.NumPlayers())
	for i := range out {
		out[i] = make([]*big.Rat, g.NumStrategies(i))
		for s := range out[i] {
			out[i][s] = new(big.Rat)
		}
		out[i][p[i]].SetInt64(1)
	}
	return out
}

// Check returns an error unless p is a probability distribution for every player of g.
func (p Profile) Check(g *game.Normal) error {
	if len(p) != g.NumPlayers() {
		return fmt.Errorf("%w: %d strategies for %d players", ErrProfile, len(p), g.NumPlayers())
	}
	one := big.NewRat(1, 1)
	for i, d := range p {
		if len(d) != g.NumStrategies(i) {
			return fmt.Errorf("%w: player %d has %d probabilities for %d strategies", ErrProfile, i+1, len(d), g.NumStrategies(i))
		}
		sum := new(big.Rat)
		for _, x := range d {
			if x == nil || x.Sign() < 0 {
				return fmt.Errorf("%w: player %d has a negative or missing probability", ErrProfile, i+1)
			}
			sum.Add(sum, x)
		}
		if sum.Cmp(one) != 0 {
			return fmt.Errorf("%w: player %d's probabilities sum to %s", ErrProfile, i+1, sum.RatString())
		}
	}
	return nil
}

// IsPure returns the pure profile when every player puts probability one on a strategy.
func (p Profile) IsPure() ([]int, bool) {
	out := make([]int, len(p))
	for i, d := range p {
		out[i] = -1
		for s, x := range d {
			if x.Sign() != 0 {
				if out[i] >= 0 || x.Cmp(big.NewRat(1, 1)) != 0 {
					return nil, false
				}
				out[i] = s
			}
		}
		if out[i] < 0 {
			return nil, false
		}
	}
	return out, true
}

// StrategyValues returns, for every player i and pure strategy s, player i's expected payoff
// from playing s against the others' mixed strategies in p (which must pass [Profile.Check]).
func StrategyValues(g *game.Normal, p Profile) [][]*big.Rat {
	if v, ok := strategyValuesInt(g, p); ok {
		return v
	}
	n := g.NumPlayers()
	out := make([][]*big.Rat, n)
	supp := make([][]int, n)
	for i, d := range p {
		for s, x := range d {
			if x.Sign() != 0 {
				supp[i] = append(supp[i], s)
			}
		}
	}
	w := new(big.Rat)
	t := new(big.Rat)
	prof := make([]int, n)
	for i := 0; i < n; i++ {
		out[i] = make([]*big.Rat, g.NumStrategies(i))
		for s := range out[i] {
			out[i][s] = new(big.Rat)
		}
		// iterate over the others' supports (odometer), all of i's strategies
		idx := make([]int, n)
		for {
			w.SetInt64(1)
			for j := 0; j < n; j++ {
				if j != i {
					prof[j] = supp[j][idx[j]]
					w.Mul(w, p[j][prof[j]])
				}
			}
			for s := range out[i] {
				prof[i] = s
				out[i][s].Add(out[i][s], t.Mul(w, g.Payoff(g.Index(prof), i)))
			}
			j := 0
			for ; j < n; j++ {
				if j == i {
					continue
				}
				idx[j]++
				if idx[j] < len(supp[j]) {
					break
				}
				idx[j] = 0
			}
			if j == n {
				break
			}
		}
	}
	return out
}

// maxNumerator bounds the probability numerators of the integer path of StrategyValues.
const maxNumerator = 1 << 31

// strategyValuesInt computes StrategyValues in int64 arithmetic: with payoffs u = v/L
// (game.Normal.Scaled) and probabilities σ_j(s) = a_j(s)/D_j over a common denominator per
// player, player i's value of s is Σ_o (Π_{j≠i} a_j(o_j))·v(s,o) / (L·Π_{j≠i} D_j). It reports
// false when a number does not fit (the caller then uses big.Rat arithmetic).
func strategyValuesInt(g *game.Normal, p Profile) ([][]*big.Rat, bool) {
	sc, ok := g.Scaled()
	if !ok {
		return nil, false
	}
	n := g.NumPlayers()
	den := make([]*big.Int, n)
	num := make([][]int64, n)
	supp := make([][]int, n)
	for j, d := range p {
		D := big.NewInt(1)
		gcd := new(big.Int)
		for _, x := range d {
			gcd.GCD(nil, nil, D, x.Denom())
			D.Mul(D, new(big.Int).Quo(x.Denom(), gcd))
			if D.Cmp(big.NewInt(maxNumerator)) > 0 {
				return nil, false
			}
		}
		den[j] = D
		num[j] = make([]int64, len(d))
		for s, x := range d {
			a := new(big.Int).Mul(x.Num(), D)
			a.Quo(a, x.Denom())
			num[j][s] = a.Int64()
			if num[j][s] != 0 {
				supp[j] = append(supp[j], s)
			}
		}
	}
	L := g.ScaleFactor()
	out := make([][]*big.Rat, n)
	prof := make([]int, n)
	idx := make([]int, n)
	for i := 0; i < n; i++ {
		m := g.NumStrategies(i)
		acc := make([]int64, m)
		for j := range idx {
			idx[j] = 0
		}
		for {
			w := int64(1)
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				prof[j] = supp[j][idx[j]]
				hi, lo := bits.Mul64(uint64(w), uint64(num[j][prof[j]]))
				if hi != 0 || lo > math.MaxInt64 {
					return nil, false
				}
				w = int64(lo)
			}
			prof[i] = 0
			base := g.Index(prof)
			st := g.Stride(i)
			for s := 0; s < m; s++ {
				v := sc[(base+s*st)*n+i]
				x, ok := mulInt64(w, v)
				if !ok {
					return nil, false
				}
				if (x > 0 && acc[s] > math.MaxInt64-x) || (x < 0 && acc[s] < math.MinInt64-x) {
					return nil, false
				}
				acc[s] += x
			}
			j := 0
			for ; j < n; j++ {
				if j == i {
					continue
				}
				idx[j]++
				if idx[j] < len(supp[j]) {
					break
				}
				idx[j] = 0
			}
			if j == n {
				break
			}
		}
		d := new(big.Int).Set(L)
		for j := 0; j < n; j++ {
			if j != i {
				d.Mul(d, den[j])
			}
		}
		out[i] = make([]*big.Rat, m)
		for s := range acc {
			out[i][s] = new(big.Rat).SetFrac(big.NewInt(acc[s]), d)
		}
	}
	return out, true
}

// mulInt64 multiplies w ≥ 0 by v, reporting overflow.
func mulInt64(w, v int64) (int64, bool) {
	neg := v < 0
	uv := uint64(v)
	if neg {
		uv = uint64(-v)
		if v == math.MinInt64 {
			return 0, false
		}
	}
	hi, lo := bits.Mul64(uint64(w), uv)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

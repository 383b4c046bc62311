package strategic

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/game"
)

// ErrProfile reports a malformed strategy profile.
var ErrProfile = errors.New("invalid strategy profile")

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

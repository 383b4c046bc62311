package alloc

import (
	"math/big"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/welfare"
)

// Split gives Shares[i][j] units of item j to player i; Payoffs are the players' values.
type Split struct {
	Shares  [][]int
	Payoffs []*big.Rat
}

// Value returns player i's value for player k's bundle in split s.
func Value(a *game.Allocation, s Split, i, k int) *big.Rat {
	v := new(big.Rat)
	t := new(big.Rat)
	for j, c := range s.Shares[k] {
		if c != 0 {
			v.Add(v, t.Mul(a.Values[i][j], new(big.Rat).SetInt64(int64(c))))
		}
	}
	return v
}

// Enumerate lists every split of all items (each unit goes to some player), in lexicographic
// order of the shares (player 1's share of item 1 varies slowest). The number of splits is
// Π_j C(count_j + n − 1, n − 1), bounded by [game.MaxSplits].
func Enumerate(a *game.Allocation) []Split {
	n, m := len(a.Players), len(a.Items)
	// per item: all compositions of count into n parts
	per := make([][][]int, m)
	for j, c := range a.Counts {
		per[j] = compositions(c, n)
	}
	var out []Split
	idx := make([]int, m)
	for {
		s := Split{Shares: make([][]int, n)}
		for i := range s.Shares {
			s.Shares[i] = make([]int, m)
			for j := range idx {
				s.Shares[i][j] = per[j][idx[j]][i]
			}
		}
		for i := 0; i < n; i++ {
			s.Payoffs = append(s.Payoffs, Value(a, s, i, i))
		}
		out = append(out, s)
		j := m - 1
		for ; j >= 0; j-- {
			idx[j]++
			if idx[j] < len(per[j]) {
				break
			}
			idx[j] = 0
		}
		if j < 0 {
			return out
		}
	}
}

// compositions lists the ways to write c as an ordered sum of n non-negative integers, the
// first part largest first.
func compositions(c, n int) [][]int {
	if n == 1 {
		return [][]int{{c}}
	}
	var out [][]int
	for first := c; first >= 0; first-- {
		for _, rest := range compositions(c-first, n-1) {
			out = append(out, append([]int{first}, rest...))
		}
	}
	return out
}

// EnvyFree reports whether no player values another's bundle strictly above their own.
func EnvyFree(a *game.Allocation, s Split) bool {
	for i := range a.Players {
		own := s.Payoffs[i]
		for k := range a.Players {
			if k != i && Value(a, s, i, k).Cmp(own) > 0 {
				return false
			}
		}
	}
	return true
}

// Analysis summarises all splits of an allocation game.
type Analysis struct {
	Splits []Split
	// ParetoOptimal and EnvyFree list split indices with those properties.
	ParetoOptimal []int
	EnvyFree      []int
	// BestEnvyFree lists the envy-free splits of maximal total value (empty when no split is
	// envy-free); MaxEnvyFreeWelfare is that total (nil when none).
	BestEnvyFree       []int
	MaxEnvyFreeWelfare *big.Rat
	// MaxWelfare is the largest total value of any split.
	MaxWelfare *big.Rat
}

// Analyze enumerates the splits and classifies them. Pareto optimality is among splits of all
// items: no other split gives everyone at least as much and someone more.
func Analyze(a *game.Allocation) *Analysis {
	an := &Analysis{Splits: Enumerate(a)}
	tot := make([]*big.Rat, len(an.Splits))
	for k, s := range an.Splits {
		tot[k] = new(big.Rat)
		for _, p := range s.Payoffs {
			tot[k].Add(tot[k], p)
		}
		if an.MaxWelfare == nil || tot[k].Cmp(an.MaxWelfare) > 0 {
			an.MaxWelfare = tot[k]
		}
		if EnvyFree(a, s) {
			an.EnvyFree = append(an.EnvyFree, k)
			if c := cmpNil(tot[k], an.MaxEnvyFreeWelfare); c > 0 {
				an.MaxEnvyFreeWelfare, an.BestEnvyFree = tot[k], []int{k}
			} else if c == 0 {
				an.BestEnvyFree = append(an.BestEnvyFree, k)
			}
		}
	}
	for k, s := range an.Splits {
		opt := true
		for l, t := range an.Splits {
			if l != k && welfare.Dominates(t.Payoffs, s.Payoffs) {
				opt = false
				break
			}
		}
		if opt {
			an.ParetoOptimal = append(an.ParetoOptimal, k)
		}
	}
	return an
}

func cmpNil(v, best *big.Rat) int {
	if best == nil {
		return 1
	}
	return v.Cmp(best)
}

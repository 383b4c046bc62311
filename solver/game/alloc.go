package game

import (
	"errors"
	"fmt"
	"math/big"
)

// MaxSplits bounds the number of ways an [Allocation] can be split.
const MaxSplits = 1 << 20

// ErrAllocation reports a malformed allocation game.
var ErrAllocation = errors.New("game: invalid allocation game")

// Allocation is a division problem: Counts[j] indivisible units of item type j are split
// among the players; player i values one unit of item j at Values[i][j] (private values, linear
// utility). Disagreement is each player's payoff when no split is agreed (zero by default).
// Deal or No Deal (Lewis et al. 2017) has 2 players, 3 item types and values summing to 10.
type Allocation struct {
	Players      []string
	Items        []string
	Counts       []int
	Values       [][]*big.Rat
	Disagreement []*big.Rat
}

// NewAllocation validates the shapes (one value per player and item, non-negative counts),
// that the number of splits is at most [MaxSplits], and fills a zero disagreement point when
// none is given.
func NewAllocation(players, items []string, counts []int, values [][]*big.Rat, disagreement []*big.Rat) (*Allocation, error) {
	if len(players) < 2 {
		return nil, fmt.Errorf("%w: need at least 2 players, have %d", ErrAllocation, len(players))
	}
	if len(items) == 0 || len(counts) != len(items) {
		return nil, fmt.Errorf("%w: %d counts for %d items", ErrAllocation, len(counts), len(items))
	}
	if err := UniqueNames("item", items); err != nil {
		return nil, err
	}
	splits := 1
	for j, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("%w: item %q has a negative count", ErrAllocation, items[j])
		}
		w := binomial(c+len(players)-1, len(players)-1)
		if w <= 0 || splits > MaxSplits/w {
			return nil, fmt.Errorf("%w: more than %d possible splits", ErrAllocation, MaxSplits)
		}
		splits *= w
	}
	if len(values) != len(players) {
		return nil, fmt.Errorf("%w: valuations for %d players, have %d players", ErrAllocation, len(values), len(players))
	}
	a := &Allocation{Players: append([]string(nil), players...), Items: append([]string(nil), items...), Counts: append([]int(nil), counts...)}
	for i, v := range values {
		if len(v) != len(items) {
			return nil, fmt.Errorf("%w: player %q has %d values for %d items", ErrAllocation, players[i], len(v), len(items))
		}
		row := make([]*big.Rat, len(v))
		for j, x := range v {
			if x == nil {
				return nil, fmt.Errorf("%w: player %q: missing value", ErrAllocation, players[i])
			}
			row[j] = new(big.Rat).Set(x)
		}
		a.Values = append(a.Values, row)
	}
	switch {
	case disagreement == nil:
		for range players {
			a.Disagreement = append(a.Disagreement, new(big.Rat))
		}
	case len(disagreement) != len(players):
		return nil, fmt.Errorf("%w: disagreement point has %d entries for %d players", ErrAllocation, len(disagreement), len(players))
	default:
		for _, x := range disagreement {
			if x == nil {
				return nil, fmt.Errorf("%w: missing disagreement payoff", ErrAllocation)
			}
			a.Disagreement = append(a.Disagreement, new(big.Rat).Set(x))
		}
	}
	return a, nil
}

// binomial returns C(n,k), or -1 when it exceeds MaxSplits.
func binomial(n, k int) int {
	r := 1
	for i := 1; i <= k; i++ {
		r = r * (n - k + i) / i
		if r > MaxSplits {
			return -1
		}
	}
	return r
}

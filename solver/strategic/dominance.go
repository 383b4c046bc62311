package strategic

import (
	"context"
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/lp"
)

// DominanceOptions selects the kind of dominance [IteratedElimination] removes.
type DominanceOptions struct {
	// Weak removes weakly dominated strategies (never worse, sometimes strictly better) instead
	// of strictly dominated ones. The result of weak elimination depends on the order; the order
	// used is documented on IteratedElimination.
	Weak bool
	// Mixed also removes strategies strictly dominated by a mixture of the player's other
	// remaining strategies (found by LP). Ignored when Weak is set.
	Mixed bool
}

// Elimination records one removed strategy.
type Elimination struct {
	Round    int // 1-based round
	Player   int
	Strategy int // index in the original game
	// By is the dominating pure strategy (original index), or −1 for a mixed dominator.
	By int
	// Mixture is the dominating mixed strategy over the player's original strategies when
	// By == −1.
	Mixture []*big.Rat
}

// IteratedElimination removes dominated strategies until none is left (textbook iterated
// dominance, e.g. Fudenberg & Tirole, "Game Theory", 1991, §2.1; mixed dominance by LP as in
// Gambit's gambit-enumpure/elimination code). Each round visits the players in order; for the
// current player it removes, at once, every strategy dominated in the current reduced game
// (dominance is a strict partial order, so undominated strategies always remain), then moves on
// to the next player with the reduced game. Rounds repeat until a round removes nothing.
// It returns the eliminations in order and the surviving strategies (original indices).
// Strict elimination (pure or mixed) keeps every Nash equilibrium; weak elimination keeps at
// least one.
func IteratedElimination(ctx context.Context, g *game.Normal, opts DominanceOptions) ([]Elimination, [][]int, error) {
	n := g.NumPlayers()
	alive := make([][]int, n)
	for i := range alive {
		for s := 0; s < g.NumStrategies(i); s++ {
			alive[i] = append(alive[i], s)
		}
	}
	var out []Elimination
	for round := 1; ; round++ {
		removed := false
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			if len(alive[i]) < 2 {
				continue
			}
			others := opponentProfiles(g, alive, i)
			var keep []int
			for _, s := range alive[i] {
				e, ok, err := dominated(ctx, g, alive[i], others, i, s, opts)
				if err != nil {
					return nil, nil, err
				}
				if ok {
					e.Round = round
					out = append(out, e)
					removed = true
				} else {
					keep = append(keep, s)
				}
			}
			alive[i] = keep
		}
		if !removed {
			return out, alive, nil
		}
	}
}

// opponentProfiles lists, for player i, the base indices (player i's stride term omitted) of
// all profiles of the other players' surviving strategies.
func opponentProfiles(g *game.Normal, alive [][]int, i int) []int {
	bases := []int{0}
	for j := range alive {
		if j == i {
			continue
		}
		var next []int
		for _, b := range bases {
			for _, s := range alive[j] {
				next = append(next, b+s*g.Stride(j))
			}
		}
		bases = next
	}
	return bases
}

func dominated(ctx context.Context, g *game.Normal, mine, others []int, i, s int, opts DominanceOptions) (Elimination, bool, error) {
	st := g.Stride(i)
	for _, t := range mine {
		if t == s {
			continue
		}
		ge, gt, allGt := true, false, true
		for _, b := range others {
			switch g.Payoff(b+t*st, i).Cmp(g.Payoff(b+s*st, i)) {
			case -1:
				ge, allGt = false, false
			case 0:
				allGt = false
			case 1:
				gt = true
			}
			if !ge {
				break
			}
		}
		if (opts.Weak && ge && gt) || (!opts.Weak && allGt) {
			return Elimination{Player: i, Strategy: s, By: t}, true, nil
		}
	}
	if opts.Weak || !opts.Mixed || len(mine) < 3 {
		return Elimination{}, false, nil
	}
	mix, ok, err := mixedDominator(ctx, g, mine, others, i, s)
	if err != nil || !ok {
		return Elimination{}, false, err
	}
	return Elimination{Player: i, Strategy: s, By: -1, Mixture: mix}, true, nil
}

// mixedDominator solves max ε s.t. Σ_t σ_t u_i(t,o) − u_i(s,o) ≥ ε for every opponent profile o,
// Σ σ = 1, σ ≥ 0 over the player's other strategies; s is strictly dominated iff ε* > 0. ε is
// written e⁺ − e⁻ with e⁺ ≤ 1 to keep the LP bounded.
func mixedDominator(ctx context.Context, g *game.Normal, mine, others []int, i, s int) ([]*big.Rat, bool, error) {
	if len(others)*len(mine) > MaxLPVariables*10 {
		return nil, false, nil
	}
	var cols []int
	for _, t := range mine {
		if t != s {
			cols = append(cols, t)
		}
	}
	k := len(cols)
	st := g.Stride(i)
	p := lp.Problem{Objective: make([]*big.Rat, k+2)}
	p.Objective[k] = big.NewRat(1, 1)
	p.Objective[k+1] = big.NewRat(-1, 1)
	for _, b := range others {
		coef := make([]*big.Rat, k+2)
		for c, t := range cols {
			coef[c] = g.Payoff(b+t*st, i)
		}
		coef[k] = big.NewRat(-1, 1)
		coef[k+1] = big.NewRat(1, 1)
		p.Constraints = append(p.Constraints, lp.Constraint{Coef: coef, Op: lp.GE, RHS: g.Payoff(b+s*st, i)})
	}
	ones := make([]*big.Rat, k+2)
	for c := 0; c < k; c++ {
		ones[c] = big.NewRat(1, 1)
	}
	p.Constraints = append(p.Constraints, lp.Constraint{Coef: ones, Op: lp.EQ, RHS: big.NewRat(1, 1)})
	cap := make([]*big.Rat, k+2)
	cap[k] = big.NewRat(1, 1)
	p.Constraints = append(p.Constraints, lp.Constraint{Coef: cap, Op: lp.LE, RHS: big.NewRat(1, 1)})
	sol, err := lp.Maximize(ctx, p)
	if err != nil {
		return nil, false, fmt.Errorf("mixed dominance LP: %w", err)
	}
	if sol.Value.Sign() <= 0 {
		return nil, false, nil
	}
	mix := make([]*big.Rat, g.NumStrategies(i))
	for t := range mix {
		mix[t] = new(big.Rat)
	}
	for c, t := range cols {
		mix[t].Set(sol.X[c])
	}
	return mix, true, nil
}

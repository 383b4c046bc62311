package strategic

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/lp"
)

// ErrNotConstantSum is returned by [ZeroSum] for games whose payoffs do not sum to a constant.
var ErrNotConstantSum = errors.New("strategic: not a two-player constant-sum game")

// ErrTooLarge is returned when a game is too large for an exact LP method.
var ErrTooLarge = errors.New("strategic: game too large for this method")

// MaxLPVariables bounds the size of the exact linear programs built here.
const MaxLPVariables = 5000

// ZeroSumSolution is the solution of a constant-sum game: the row player's value (the column
// player gets Constant − Value) and a pair of optimal (maximin) strategies.
type ZeroSumSolution struct {
	Value    *big.Rat
	Constant *big.Rat
	X, Y     []*big.Rat
}

// ZeroSum solves a two-player constant-sum game exactly by two linear programs (von Neumann
// 1928; the LP formulation of Dantzig 1951, as in gambit-lp): the row player maximises v subject
// to x·A_j ≥ v for every column j, the column player minimises w subject to A_i·y ≤ w. Payoffs
// are shifted to be positive first, so v, w ≥ 0 are valid LP variables. Both optima are equal
// (checked); X and Y are vertices of the sets of optimal strategies.
func ZeroSum(ctx context.Context, g *game.Normal) (*ZeroSumSolution, error) {
	if g.NumPlayers() != 2 {
		return nil, ErrNotConstantSum
	}
	ok, c := g.IsConstantSum()
	if !ok {
		return nil, ErrNotConstantSum
	}
	A, _, _ := g.Matrices()
	m, n := len(A), len(A[0])
	if (m+1)*(n+1) > MaxLPVariables*10 {
		return nil, ErrTooLarge
	}
	minA := new(big.Rat).Set(A[0][0])
	for _, row := range A {
		for _, x := range row {
			if x.Cmp(minA) < 0 {
				minA.Set(x)
			}
		}
	}
	shift := new(big.Rat).Sub(big.NewRat(1, 1), minA) // A + shift ≥ 1
	one := big.NewRat(1, 1)
	// Row player: variables x_1..x_m, v.
	p := lp.Problem{Objective: make([]*big.Rat, m+1)}
	p.Objective[m] = one
	for j := 0; j < n; j++ {
		coef := make([]*big.Rat, m+1)
		for i := 0; i < m; i++ {
			coef[i] = new(big.Rat).Add(A[i][j], shift)
		}
		coef[m] = big.NewRat(-1, 1)
		p.Constraints = append(p.Constraints, lp.Constraint{Coef: coef, Op: lp.GE, RHS: new(big.Rat)})
	}
	sum := make([]*big.Rat, m+1)
	for i := 0; i < m; i++ {
		sum[i] = one
	}
	p.Constraints = append(p.Constraints, lp.Constraint{Coef: sum, Op: lp.EQ, RHS: one})
	sx, err := lp.Maximize(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("zero-sum LP (row player): %w", err)
	}
	// Column player: variables y_1..y_n, w; maximise −w.
	q := lp.Problem{Objective: make([]*big.Rat, n+1)}
	q.Objective[n] = big.NewRat(-1, 1)
	for i := 0; i < m; i++ {
		coef := make([]*big.Rat, n+1)
		for j := 0; j < n; j++ {
			coef[j] = new(big.Rat).Add(A[i][j], shift)
		}
		coef[n] = big.NewRat(-1, 1)
		q.Constraints = append(q.Constraints, lp.Constraint{Coef: coef, Op: lp.LE, RHS: new(big.Rat)})
	}
	sum = make([]*big.Rat, n+1)
	for j := 0; j < n; j++ {
		sum[j] = one
	}
	q.Constraints = append(q.Constraints, lp.Constraint{Coef: sum, Op: lp.EQ, RHS: one})
	sy, err := lp.Maximize(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("zero-sum LP (column player): %w", err)
	}
	if new(big.Rat).Add(sx.Value, sy.Value).Sign() != 0 {
		return nil, fmt.Errorf("zero-sum LP: primal %s and dual %s optima differ (internal error)", sx.Value.RatString(), new(big.Rat).Neg(sy.Value).RatString())
	}
	return &ZeroSumSolution{
		Value:    new(big.Rat).Sub(sx.Value, shift),
		Constant: c,
		X:        sx.X[:m],
		Y:        sy.X[:n],
	}, nil
}

// Correlated is a correlated equilibrium: a probability for every pure profile (indexed as in
// [game.Normal.Index]), with the resulting expected payoffs and their sum.
type Correlated struct {
	Probs   []*big.Rat
	Payoffs []*big.Rat
	Welfare *big.Rat
}

// MaxWelfareCorrelated returns a correlated equilibrium (Aumann 1974) that maximises the sum
// of expected payoffs, by the linear program over distributions p on pure profiles: for every
// player i and strategies s ≠ s', Σ_{k: k_i = s} p_k (u_i(k) − u_i(k with s')) ≥ 0 (no gain from
// disobeying a recommendation), Σ p = 1, p ≥ 0 (Papadimitriou & Roughgarden, "Computing
// correlated equilibria in multi-player games", JACM 2008; OpenSpiel's
// correlated_equilibrium). Exact; limited to games with at most [MaxLPVariables] profiles.
func MaxWelfareCorrelated(ctx context.Context, g *game.Normal) (*Correlated, error) {
	P, n := g.NumProfiles(), g.NumPlayers()
	if P > MaxLPVariables {
		return nil, fmt.Errorf("%w: %d profiles (at most %d)", ErrTooLarge, P, MaxLPVariables)
	}
	p := lp.Problem{Objective: make([]*big.Rat, P)}
	for k := 0; k < P; k++ {
		w := new(big.Rat)
		for i := 0; i < n; i++ {
			w.Add(w, g.Payoff(k, i))
		}
		p.Objective[k] = w
	}
	prof := make([]int, n)
	for i := 0; i < n; i++ {
		m, st := g.NumStrategies(i), g.Stride(i)
		for s := 0; s < m; s++ {
			for s2 := 0; s2 < m; s2++ {
				if s == s2 {
					continue
				}
				coef := make([]*big.Rat, P)
				nz := false
				for k := 0; k < P; k++ {
					g.Profile(k, prof)
					if prof[i] != s {
						continue
					}
					d := new(big.Rat).Sub(g.Payoff(k, i), g.Payoff(k+(s2-s)*st, i))
					if d.Sign() != 0 {
						coef[k] = d
						nz = true
					}
				}
				if nz {
					p.Constraints = append(p.Constraints, lp.Constraint{Coef: coef, Op: lp.GE, RHS: new(big.Rat)})
				}
			}
		}
	}
	ones := make([]*big.Rat, P)
	for k := range ones {
		ones[k] = big.NewRat(1, 1)
	}
	p.Constraints = append(p.Constraints, lp.Constraint{Coef: ones, Op: lp.EQ, RHS: big.NewRat(1, 1)})
	sol, err := lp.Maximize(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("correlated equilibrium LP: %w", err)
	}
	ce := &Correlated{Probs: sol.X, Payoffs: make([]*big.Rat, n), Welfare: sol.Value}
	t := new(big.Rat)
	for i := 0; i < n; i++ {
		ce.Payoffs[i] = new(big.Rat)
		for k, x := range sol.X {
			if x.Sign() != 0 {
				ce.Payoffs[i].Add(ce.Payoffs[i], t.Mul(x, g.Payoff(k, i)))
			}
		}
	}
	return ce, nil
}

// IsCorrelatedEquilibrium checks the obedience constraints of a distribution over profiles
// exactly (an independent check of [MaxWelfareCorrelated]).
func IsCorrelatedEquilibrium(g *game.Normal, probs []*big.Rat) bool {
	n := g.NumPlayers()
	prof := make([]int, n)
	sum := new(big.Rat)
	for _, x := range probs {
		if x.Sign() < 0 {
			return false
		}
		sum.Add(sum, x)
	}
	if sum.Cmp(big.NewRat(1, 1)) != 0 {
		return false
	}
	t := new(big.Rat)
	for i := 0; i < n; i++ {
		m, st := g.NumStrategies(i), g.Stride(i)
		for s := 0; s < m; s++ {
			for s2 := 0; s2 < m; s2++ {
				gain := new(big.Rat)
				for k, x := range probs {
					g.Profile(k, prof)
					if prof[i] != s || x.Sign() == 0 {
						continue
					}
					t.Sub(g.Payoff(k+(s2-s)*st, i), g.Payoff(k, i))
					gain.Add(gain, t.Mul(t, x))
				}
				if gain.Sign() > 0 {
					return false
				}
			}
		}
	}
	return true
}

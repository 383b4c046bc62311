package lp

import (
	"context"
	"errors"
	"fmt"
	"math/big"
)

// Errors for data-dependent failures.
var (
	ErrInfeasible = errors.New("lp: infeasible")
	ErrUnbounded  = errors.New("lp: unbounded")
)

// Op is the relation of a constraint.
type Op int

// Constraint relations.
const (
	LE Op = iota // Σ a_j x_j ≤ b
	GE           // Σ a_j x_j ≥ b
	EQ           // Σ a_j x_j = b
)

// Constraint is one row Σ Coef[j]·x_j Op RHS. Nil coefficients count as zero.
type Constraint struct {
	Coef []*big.Rat
	Op   Op
	RHS  *big.Rat
}

// Problem is: maximise Objective·x subject to Constraints and x ≥ 0. Every Coef has
// len(Objective) entries (a programmer error otherwise: Maximize panics).
type Problem struct {
	Objective   []*big.Rat
	Constraints []Constraint
}

// Solution is an optimal vertex.
type Solution struct {
	X     []*big.Rat
	Value *big.Rat
}

// degenerateLimit is the number of consecutive pivots without improvement of the objective
// after which Bland's rule replaces Dantzig's rule.
const degenerateLimit = 50

type tableau struct {
	rows  [][]*big.Rat // m rows × (ncol+1); last column is the right-hand side
	obj   []*big.Rat   // reduced costs (ncol) and, in obj[ncol], minus the objective value
	basis []int
	ncol  int
	bland bool
	tmp   *big.Rat
}

// Maximize solves p exactly. It returns ErrInfeasible or ErrUnbounded for such problems and
// ctx.Err() when cancelled.
func Maximize(ctx context.Context, p Problem) (Solution, error) {
	n := len(p.Objective)
	m := len(p.Constraints)
	for i, c := range p.Constraints {
		if len(c.Coef) != n {
			panic(fmt.Sprintf("lp: constraint %d has %d coefficients for %d variables", i, len(c.Coef), n))
		}
	}
	// Columns: n originals, then one slack/surplus per inequality, then one artificial per
	// row that needs it.
	nslack := 0
	for _, c := range p.Constraints {
		if c.Op != EQ {
			nslack++
		}
	}
	type rowInfo struct {
		sign  int // +1 or -1: the row is multiplied by sign so that RHS ≥ 0
		slack int // column of slack/surplus, -1 if none
		art   bool
	}
	info := make([]rowInfo, m)
	nart := 0
	s := n
	for i, c := range p.Constraints {
		rhs := ratOrZero(c.RHS)
		info[i].sign = 1
		if rhs.Sign() < 0 {
			info[i].sign = -1
		}
		info[i].slack = -1
		if c.Op != EQ {
			info[i].slack = s
			s++
		}
		op := c.Op
		if info[i].sign < 0 {
			switch op {
			case LE:
				op = GE
			case GE:
				op = LE
			}
		}
		// A ≤ row with RHS ≥ 0 starts with its slack in the basis; the others need an artificial.
		info[i].art = op != LE
		if info[i].art {
			nart++
		}
	}
	ncol := n + nslack + nart
	t := &tableau{ncol: ncol, tmp: new(big.Rat), basis: make([]int, m)}
	a := n + nslack
	for i, c := range p.Constraints {
		row := make([]*big.Rat, ncol+1)
		for j := range row {
			row[j] = new(big.Rat)
		}
		sg := big.NewRat(int64(info[i].sign), 1)
		for j, x := range c.Coef {
			if x != nil {
				row[j].Mul(x, sg)
			}
		}
		row[ncol].Mul(ratOrZero(c.RHS), sg)
		if info[i].slack >= 0 {
			v := int64(1)
			if c.Op == GE {
				v = -1
			}
			row[info[i].slack].SetInt64(v * int64(info[i].sign))
		}
		if info[i].art {
			row[a].SetInt64(1)
			t.basis[i] = a
			a++
		} else {
			t.basis[i] = info[i].slack
		}
		t.rows = append(t.rows, row)
	}
	// Phase 1: maximise −Σ artificials.
	if nart > 0 {
		cost := make([]*big.Rat, ncol)
		for j := range cost {
			cost[j] = new(big.Rat)
		}
		for j := n + nslack; j < ncol; j++ {
			cost[j].SetInt64(-1)
		}
		t.setObjective(cost)
		if err := t.solve(ctx, ncol); err != nil {
			if errors.Is(err, ErrUnbounded) {
				return Solution{}, fmt.Errorf("lp: phase 1 unbounded (internal error)")
			}
			return Solution{}, err
		}
		if t.obj[ncol].Sign() != 0 { // −(phase-1 optimum) ≠ 0: artificials cannot reach zero
			return Solution{}, ErrInfeasible
		}
		// Drive artificials out of the basis; drop redundant rows.
		for i := 0; i < len(t.rows); i++ {
			if t.basis[i] < n+nslack {
				continue
			}
			pivoted := false
			for j := 0; j < n+nslack; j++ {
				if t.rows[i][j].Sign() != 0 {
					t.pivot(i, j)
					pivoted = true
					break
				}
			}
			if !pivoted {
				t.rows = append(t.rows[:i], t.rows[i+1:]...)
				t.basis = append(t.basis[:i], t.basis[i+1:]...)
				i--
			}
		}
	}
	// Phase 2 over the original and slack columns only.
	cost := make([]*big.Rat, ncol)
	for j := range cost {
		cost[j] = new(big.Rat)
	}
	for j, x := range p.Objective {
		if x != nil {
			cost[j].Set(x)
		}
	}
	t.setObjective(cost)
	t.bland = false
	if err := t.solve(ctx, n+nslack); err != nil {
		return Solution{}, err
	}
	sol := Solution{X: make([]*big.Rat, n), Value: new(big.Rat).Neg(t.obj[ncol])}
	for j := range sol.X {
		sol.X[j] = new(big.Rat)
	}
	for i, b := range t.basis {
		if b < n {
			sol.X[b].Set(t.rows[i][ncol])
		}
	}
	return sol, nil
}

func ratOrZero(r *big.Rat) *big.Rat {
	if r == nil {
		return new(big.Rat)
	}
	return r
}

// setObjective sets the reduced-cost row for cost vector c given the current basis.
func (t *tableau) setObjective(c []*big.Rat) {
	t.obj = make([]*big.Rat, t.ncol+1)
	for j := 0; j < t.ncol; j++ {
		t.obj[j] = new(big.Rat).Set(c[j])
	}
	t.obj[t.ncol] = new(big.Rat)
	for i, b := range t.basis {
		if c[b].Sign() == 0 {
			continue
		}
		for j := 0; j <= t.ncol; j++ {
			if t.rows[i][j].Sign() != 0 {
				t.obj[j].Sub(t.obj[j], t.tmp.Mul(c[b], t.rows[i][j]))
			}
		}
	}
}

// solve pivots until no column below limit has a positive reduced cost.
func (t *tableau) solve(ctx context.Context, limit int) error {
	stall := 0
	ratio := new(big.Rat)
	best := new(big.Rat)
	for iter := 0; ; iter++ {
		if iter%16 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		enter := -1
		for j := 0; j < limit; j++ {
			if t.obj[j].Sign() > 0 {
				if t.bland {
					enter = j
					break
				}
				if enter < 0 || t.obj[j].Cmp(t.obj[enter]) > 0 {
					enter = j
				}
			}
		}
		if enter < 0 {
			return nil
		}
		leave := -1
		for i, row := range t.rows {
			if row[enter].Sign() <= 0 {
				continue
			}
			ratio.Quo(row[t.ncol], row[enter])
			if leave < 0 {
				leave = i
				best.Set(ratio)
				continue
			}
			if c := ratio.Cmp(best); c < 0 || (c == 0 && t.basis[i] < t.basis[leave]) {
				leave = i
				best.Set(ratio)
			}
		}
		if leave < 0 {
			return ErrUnbounded
		}
		if best.Sign() == 0 {
			stall++
			if stall > degenerateLimit {
				t.bland = true
			}
		} else {
			stall = 0
		}
		t.pivot(leave, enter)
	}
}

func (t *tableau) pivot(r, c int) {
	row := t.rows[r]
	inv := new(big.Rat).Inv(row[c])
	for j := range row {
		if row[j].Sign() != 0 {
			row[j].Mul(row[j], inv)
		}
	}
	elim := func(other []*big.Rat) {
		f := other[c]
		if f.Sign() == 0 {
			return
		}
		f = new(big.Rat).Set(f)
		for j := range other {
			if row[j].Sign() != 0 {
				other[j].Sub(other[j], t.tmp.Mul(f, row[j]))
			}
		}
	}
	for i, o := range t.rows {
		if i != r {
			elim(o)
		}
	}
	elim(t.obj)
	t.basis[r] = c
}

package lp

import (
	"context"
	"errors"
	"math/big"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

func r(a, b int64) *big.Rat { return big.NewRat(a, b) }

func TestMaximizeSmall(t *testing.T) {
	// max 3x + 5y  s.t. x ≤ 4, 2y ≤ 12, 3x + 2y ≤ 18 → (2, 6), 36 (Hillier–Lieberman).
	p := Problem{
		Objective: []*big.Rat{r(3, 1), r(5, 1)},
		Constraints: []Constraint{
			{Coef: []*big.Rat{r(1, 1), r(0, 1)}, Op: LE, RHS: r(4, 1)},
			{Coef: []*big.Rat{r(0, 1), r(2, 1)}, Op: LE, RHS: r(12, 1)},
			{Coef: []*big.Rat{r(3, 1), r(2, 1)}, Op: LE, RHS: r(18, 1)},
		},
	}
	s, err := Maximize(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Value.Cmp(r(36, 1)) != 0 || s.X[0].Cmp(r(2, 1)) != 0 || s.X[1].Cmp(r(6, 1)) != 0 {
		t.Errorf("got %v %v", s.Value, s.X)
	}
	// Equalities, ≥ and negative right-hand sides: min x + y s.t. x + 2y = 3, x − y ≥ −3/2 → y = 3/2, x = 0.
	p = Problem{
		Objective: []*big.Rat{r(-1, 1), r(-1, 1)},
		Constraints: []Constraint{
			{Coef: []*big.Rat{r(1, 1), r(2, 1)}, Op: EQ, RHS: r(3, 1)},
			{Coef: []*big.Rat{r(1, 1), r(-1, 1)}, Op: GE, RHS: r(-3, 2)},
		},
	}
	if s, err = Maximize(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if s.Value.Cmp(r(-3, 2)) != 0 || s.X[1].Cmp(r(3, 2)) != 0 {
		t.Errorf("got %v %v", s.Value, s.X)
	}
}

func TestInfeasibleUnbounded(t *testing.T) {
	inf := Problem{Objective: []*big.Rat{r(1, 1)}, Constraints: []Constraint{
		{Coef: []*big.Rat{r(1, 1)}, Op: LE, RHS: r(1, 1)},
		{Coef: []*big.Rat{r(1, 1)}, Op: GE, RHS: r(2, 1)},
	}}
	if _, err := Maximize(context.Background(), inf); !errors.Is(err, ErrInfeasible) {
		t.Errorf("infeasible: err = %v", err)
	}
	unb := Problem{Objective: []*big.Rat{r(1, 1), r(0, 1)}, Constraints: []Constraint{
		{Coef: []*big.Rat{r(1, 1), r(-1, 1)}, Op: LE, RHS: r(1, 1)},
	}}
	if _, err := Maximize(context.Background(), unb); !errors.Is(err, ErrUnbounded) {
		t.Errorf("unbounded: err = %v", err)
	}
}

// TestAgainstGonum compares optimal values with gonum's floating-point simplex on seeded random
// feasible bounded problems (max c·x, Ax ≤ b, b > 0, A ≥ 0 with a positive entry per column),
// and checks that the exact solution is feasible in rational arithmetic.
func TestAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 40; trial++ {
		m, n := 2+rng.Intn(6), 2+rng.Intn(6)
		p := Problem{Objective: make([]*big.Rat, n)}
		c := make([]float64, n+m)
		for j := 0; j < n; j++ {
			v := int64(rng.Intn(10))
			p.Objective[j] = r(v, 1)
			c[j] = -float64(v)
		}
		A := mat.NewDense(m, n+m, nil)
		b := make([]float64, m)
		for i := 0; i < m; i++ {
			row := make([]*big.Rat, n)
			for j := 0; j < n; j++ {
				v := int64(rng.Intn(10))
				if i == j%m {
					v++ // bounded: every column has a positive entry
				}
				row[j] = r(v, 1)
				A.Set(i, j, float64(v))
			}
			A.Set(i, n+i, 1)
			bv := int64(1 + rng.Intn(20))
			b[i] = float64(bv)
			p.Constraints = append(p.Constraints, Constraint{Coef: row, Op: LE, RHS: r(bv, 1)})
		}
		s, err := Maximize(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		opt, _, err := lp.Simplex(c, A, b, 1e-10, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Value.Float64()
		if d := got + opt; d > 1e-7 || d < -1e-7 {
			t.Errorf("trial %d: exact optimum %v, gonum %v", trial, got, -opt)
		}
		for i, con := range p.Constraints {
			lhs := new(big.Rat)
			for j, a := range con.Coef {
				lhs.Add(lhs, new(big.Rat).Mul(a, s.X[j]))
			}
			if lhs.Cmp(con.RHS) > 0 || s.X[i%n].Sign() < 0 {
				t.Errorf("trial %d: constraint %d violated", trial, i)
			}
		}
	}
}

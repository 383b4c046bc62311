package bimatrix

import (
	"math/big"
	"math/bits"
)

// partnerSolver finds, for a nondegenerate vertex x of P, the unique point y of Q whose tight
// inequalities are the labels x lacks: y_j = 0 for the columns j that are not best responses to x,
// and (Ay)_i = 1 for the rows i in the support of x. That is the square system A[R,S]·y_S = 1 with
// R = supp(x) and S the best responses, solved exactly by solveBareiss (fraction-free). y is an equilibrium partner when y_S ≥ 0 and
// (Ay)_i ≤ 1 for the other rows.
type partnerSolver struct {
	q    *polytope // Q: M = A (m×n)
	mi   [][]i128  // M in 128 bits, nil if an entry does not fit
	rows []int
	cols []int
	a    []i128 // k×(k+1) working matrix
	ab   []big.Int
}

// solveResult says whether the system was solved: ok (y feasible or not), singular, or overflow.
type solveResult int

const (
	solvedFeasible solveResult = iota
	solvedInfeasible
	solveSingular
)

// partner returns y (unnormalised, length n) and solvedFeasible, or solvedInfeasible, or
// solveSingular when the face is not a single point (the caller then enumerates Q).
// need is the set of labels x lacks; m is the number of rows.
func (s *partnerSolver) partner(need labelSet, m int) ([]*big.Rat, solveResult) {
	q := s.q
	s.rows, s.cols = s.rows[:0], s.cols[:0]
	for i := range m {
		if need.has(i) {
			s.rows = append(s.rows, i)
		}
	}
	for j := range q.d {
		if !need.has(m + j) {
			s.cols = append(s.cols, j)
		}
	}
	k := len(s.rows)
	if k != len(s.cols) {
		return nil, solveSingular
	}
	if y, res, ok := s.solve128(k); ok {
		return y, res
	}
	return s.solveBig(k)
}

func newPartnerSolver(q *polytope) *partnerSolver {
	return &partnerSolver{q: q, mi: matrix128(q)}
}

func (s *partnerSolver) solve128(k int) ([]*big.Rat, solveResult, bool) {
	if s.mi == nil {
		return nil, 0, false
	}
	w := k + 1
	if cap(s.a) < k*w {
		s.a = make([]i128, k*w)
	}
	a := s.a[:k*w]
	for r, i := range s.rows {
		for c, j := range s.cols {
			a[r*w+c] = s.mi[i][j]
		}
		a[r*w+k] = i128{1, 0}
	}
	det, ok := solveBareiss(a, k, w)
	if !ok {
		return nil, 0, false
	}
	if det.isZero() {
		return nil, solveSingular, true
	}
	// Column k now holds det·y with det > 0.
	for r := range k {
		if a[r*w+k].neg() {
			return nil, solvedInfeasible, true
		}
	}
	// Rows outside R: Σ_j A_ij·num_j ≤ det.
	m := s.q.k
	ri := 0
	for i := range m {
		if ri < k && s.rows[ri] == i {
			ri++
			continue
		}
		var sum u256
		for r, j := range s.cols {
			sum.addMulSmall(s.mi[i][j], a[r*w+k])
		}
		if sum.cmpSigned(u256{det.lo, det.hi, 0, 0}) > 0 {
			return nil, solvedInfeasible, true
		}
	}
	y := make([]*big.Rat, s.q.d)
	for j := range y {
		y[j] = new(big.Rat)
	}
	d := det.big()
	for r, j := range s.cols {
		y[j].SetFrac(a[r*w+k].big(), d)
	}
	return y, solvedFeasible, true
}

func (a u256) add(b u256) u256 {
	var r u256
	var c uint64
	r[0], c = bits.Add64(a[0], b[0], 0)
	r[1], c = bits.Add64(a[1], b[1], c)
	r[2], c = bits.Add64(a[2], b[2], c)
	r[3], _ = bits.Add64(a[3], b[3], c)
	return r
}

// solveBig is solve128 in math/big with rationals (rare: huge payoffs or minors).
func (s *partnerSolver) solveBig(k int) ([]*big.Rat, solveResult) {
	rows := make([][]*big.Rat, k)
	for r, i := range s.rows {
		rows[r] = make([]*big.Rat, k+1)
		for c, j := range s.cols {
			rows[r][c] = s.q.rat(i, j)
		}
		rows[r][k] = big.NewRat(1, 1)
	}
	var t big.Rat
	for p := range k {
		piv := -1
		for r := p; r < k; r++ {
			if rows[r][p].Sign() != 0 {
				piv = r
				break
			}
		}
		if piv < 0 {
			return nil, solveSingular
		}
		rows[p], rows[piv] = rows[piv], rows[p]
		inv := new(big.Rat).Inv(rows[p][p])
		for c := p; c <= k; c++ {
			rows[p][c].Mul(rows[p][c], inv)
		}
		for r := range k {
			if r == p || rows[r][p].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(rows[r][p])
			for c := p; c <= k; c++ {
				rows[r][c].Sub(rows[r][c], t.Mul(f, rows[p][c]))
			}
		}
	}
	y := make([]*big.Rat, s.q.d)
	for j := range y {
		y[j] = new(big.Rat)
	}
	for r, j := range s.cols {
		if rows[r][k].Sign() < 0 {
			return nil, solvedInfeasible
		}
		y[j].Set(rows[r][k])
	}
	one := big.NewRat(1, 1)
	ri := 0
	for i := range s.q.k {
		if ri < k && s.rows[ri] == i {
			ri++
			continue
		}
		var sum big.Rat
		for _, j := range s.cols {
			sum.Add(&sum, t.Mul(s.q.rat(i, j), y[j]))
		}
		if sum.Cmp(one) > 0 {
			return nil, solvedInfeasible
		}
	}
	return y, solvedFeasible
}

package bimatrix

import (
	"context"
	"fmt"
	"math/big"
	"slices"
)

// Lemke–Howson in revised form. A basis of the polytope {z ≥ 0 : Mz ≤ 1} is described by the
// structural variables that are basic (basicX) and the constraints whose slacks are nonbasic
// (tight), two lists of equal length kk. With G = M[tight, basicX] and H = M[others, basicX] the
// basis matrix and its inverse are
//
//	Bm = | G 0 |    Bm⁻¹ = |  G⁻¹    0 |
//	     | H I |           | −H·G⁻¹  I |
//
// so one pivot needs only a kk×kk solve (fraction-free Gauss–Jordan: every value is a minor of M,
// hence an integer) plus one pass over the other rows, instead of updating the whole tableau. kk is
// the support size of the current strategy, small in random games, so a step on a 100×100 game
// costs a few microseconds. Values are 128-bit; a step that overflows is redone in math/big (the
// state is combinatorial, so nothing needs undoing). The ratio test is lexicographic with the same
// perturbation as [tableau] (constraint t perturbed by εᵗ), so both follow the same path.
type lhSide struct {
	p      *polytope
	mi     [][]i128 // M in 128 bits, nil if an entry does not fit
	basicX []int
	tight  []int
	pos    []int // constraint → position in tight, or -1
	basic  []bool

	// scratch
	a    []i128
	cand []lhCand
	ties []int
}

// lhCand is a basic variable with its value and rate of decrease along the entering direction,
// both multiplied by D = det G.
type lhCand struct {
	v        int
	val, dir i128
}

func newLHSide(p *polytope) *lhSide {
	s := &lhSide{p: p, pos: make([]int, p.k), basic: make([]bool, p.d+p.k), mi: matrix128(p)}
	for j := range s.pos {
		s.pos[j] = -1
		s.basic[p.d+j] = true
	}
	return s
}

// exchange records that e entered and w left.
func (s *lhSide) exchange(e, w int) {
	d := s.p.d
	s.basic[e], s.basic[w] = true, false
	if e < d {
		s.basicX = append(s.basicX, e)
	} else {
		c := e - d
		q := s.pos[c]
		s.tight = slices.Delete(s.tight, q, q+1)
		s.reindex()
	}
	if w < d {
		i := slices.Index(s.basicX, w)
		s.basicX = slices.Delete(s.basicX, i, i+1)
	} else {
		s.tight = append(s.tight, w-d)
		s.reindex()
	}
}

func (s *lhSide) reindex() {
	for j := range s.pos {
		s.pos[j] = -1
	}
	for q, c := range s.tight {
		s.pos[c] = q
	}
}

// step returns the variable that leaves when nonbasic variable e enters, and updates the basis.
func (s *lhSide) step(e int) (int, error) {
	if s.basic[e] {
		return -1, fmt.Errorf("bimatrix: Lemke–Howson: variable %d is basic (internal error)", e)
	}
	w, ok := s.leaving128(e)
	if !ok {
		w = s.leavingBig(e)
	}
	if w < 0 {
		return -1, fmt.Errorf("bimatrix: Lemke–Howson: unbounded ray (internal error)")
	}
	s.exchange(e, w)
	return w, nil
}

// fill writes [G | rhs columns] into a kk×w matrix; col(r, c) gives the extra columns.
func (s *lhSide) fill128(extra int, col func(r, c int) i128) []i128 {
	kk := len(s.basicX)
	w := kk + extra
	if cap(s.a) < kk*w {
		s.a = make([]i128, kk*w)
	}
	a := s.a[:kk*w]
	for r, c := range s.tight {
		for q, v := range s.basicX {
			a[r*w+q] = s.mi[c][v]
		}
		for x := range extra {
			a[r*w+kk+x] = col(r, x)
		}
	}
	return a
}

// gaussJordan128 reduces the kk×w matrix [G | R] in place to [D·I | D·G⁻¹R] with D = |det G| > 0,
// by fraction-free Gauss–Jordan elimination. ok is false on overflow; D is 0 if G is singular.
func gaussJordan128(a []i128, kk, w int) (det i128, ok bool) {
	prev := newDivisor(i128{1, 0})
	det = i128{1, 0}
	for p := range kk {
		piv := -1
		for r := p; r < kk; r++ {
			if !a[r*w+p].isZero() {
				piv = r
				break
			}
		}
		if piv < 0 {
			return i128{}, true
		}
		if piv != p {
			for c := range w {
				a[p*w+c], a[piv*w+c] = a[piv*w+c], a[p*w+c]
			}
		}
		pv := a[p*w+p]
		for r := range kk {
			if r == p {
				continue
			}
			f := a[r*w+p]
			for c := range w {
				if c == p {
					continue
				}
				v, ok := prev.bareiss(pv, a[r*w+c], f, a[p*w+c])
				if !ok {
					return i128{}, false
				}
				a[r*w+c] = v
			}
			a[r*w+p] = i128{}
		}
		det = pv
		if pv.neg() { // negate every row so that the divisor stays positive
			for i := range a[:kk*w] {
				a[i] = a[i].negate()
			}
			det = pv.negate()
		}
		prev = newDivisor(det)
	}
	return det, true
}

// fit returns n as an i128 if |n| < 2^maxBits.
func fit(n u256) (i128, bool) {
	m := n
	if int64(n[3]) < 0 {
		m = n.negate()
	}
	if m.bitLen() >= maxBits {
		return i128{}, false
	}
	return i128{n[0], n[1]}, true
}

// leaving128 runs the lexicographic ratio test for entering variable e in 128-bit arithmetic.
func (s *lhSide) leaving128(e int) (int, bool) {
	if s.mi == nil {
		return 0, false
	}
	d := s.p.d
	kk := len(s.basicX)
	a := s.fill128(2, func(r, x int) i128 {
		if x == 0 {
			return i128{1, 0}
		}
		c := s.tight[r]
		if e < d {
			return s.mi[c][e]
		}
		if e-d == c {
			return i128{1, 0}
		}
		return i128{}
	})
	w := kk + 2
	det, ok := solveBareiss(a, kk, w)
	if !ok {
		return 0, false
	}
	if det.isZero() {
		panic("bimatrix: singular basis")
	}
	cand := s.cand[:0]
	for l, v := range s.basicX {
		cand = append(cand, lhCand{v, a[l*w+kk], a[l*w+kk+1]})
	}
	dU := u256{det.lo, det.hi, 0, 0}
	for j := range s.p.k {
		if s.pos[j] >= 0 {
			continue
		}
		var sv, sd u256
		for l, v := range s.basicX {
			sv.addMulSmall(s.mi[j][v], a[l*w+kk])
			sd.addMulSmall(s.mi[j][v], a[l*w+kk+1])
		}
		val, ok1 := fit(dU.sub(sv))
		var dir i128
		var ok2 bool
		if e < d {
			dir, ok2 = fit(mul(det, s.mi[j][e]).sub(sd))
		} else {
			dir, ok2 = fit(u256{}.sub(sd))
		}
		if !ok1 || !ok2 {
			return 0, false
		}
		cand = append(cand, lhCand{d + j, val, dir})
	}
	s.cand = cand
	ties := s.ties[:0]
	for i, c := range cand {
		if c.dir.sign() <= 0 {
			continue
		}
		if len(ties) == 0 {
			ties = append(ties, i)
			continue
		}
		b := cand[ties[0]]
		switch cmpProd(c.val, b.dir, b.val, c.dir) {
		case -1:
			ties = append(ties[:0], i)
		case 0:
			ties = append(ties, i)
		}
	}
	s.ties = ties
	switch len(ties) {
	case 0:
		return -1, true
	case 1:
		return cand[ties[0]].v, true
	}
	return s.lexTies128(det)
}

// lexTies128 breaks a tie among s.ties by the rows of D·Bm⁻¹, constraint by constraint.
func (s *lhSide) lexTies128(det i128) (int, bool) {
	d := s.p.d
	kk := len(s.basicX)
	w := 2 * kk
	a := s.fill128(kk, func(r, x int) i128 {
		if r == x {
			return i128{1, 0}
		}
		return i128{}
	})
	det2, ok := gaussJordan128(a, kk, w)
	if !ok || det2 != det {
		return 0, false
	}
	// entry returns row cand[i] of D·Bm⁻¹ at constraint t.
	entry := func(i, t int) (i128, bool) {
		c := s.cand[i]
		q := s.pos[t]
		if c.v < d {
			if q < 0 {
				return i128{}, true
			}
			l := slices.Index(s.basicX, c.v)
			return a[l*w+kk+q], true
		}
		j := c.v - d
		if q < 0 {
			if t == j {
				return det, true
			}
			return i128{}, true
		}
		var sum u256
		for l, v := range s.basicX {
			sum.addMulSmall(s.mi[j][v], a[l*w+kk+q])
		}
		return fit(u256{}.sub(sum))
	}
	ties := s.ties
	for t := 0; len(ties) > 1 && t < s.p.k; t++ {
		keep := ties[:1]
		for _, i := range ties[1:] {
			b := keep[0]
			ei, ok1 := entry(i, t)
			eb, ok2 := entry(b, t)
			if !ok1 || !ok2 {
				return 0, false
			}
			switch cmpProd(ei, s.cand[b].dir, eb, s.cand[i].dir) {
			case -1:
				keep = append(keep[:0], i)
			case 0:
				keep = append(keep, i)
			}
		}
		ties = keep
	}
	return s.cand[ties[0]].v, true
}

// leavingBig is leaving128 in math/big, fraction-free like it.
func (s *lhSide) leavingBig(e int) int {
	d := s.p.d
	kk := len(s.basicX)
	M := s.p.M()
	fill := func(extra int, col func(r, x int) int64) [][]big.Int {
		a := make([][]big.Int, kk)
		for r, c := range s.tight {
			a[r] = make([]big.Int, kk+extra)
			for q, v := range s.basicX {
				a[r][q].Set(M[c][v])
			}
			for x := range extra {
				if e < d && extra == 2 && x == 1 {
					a[r][kk+x].Set(M[c][e])
				} else {
					a[r][kk+x].SetInt64(col(r, x))
				}
			}
		}
		return a
	}
	a := fill(2, func(r, x int) int64 {
		if x == 0 || e-d == s.tight[r] {
			return 1
		}
		return 0
	})
	det := gaussJordanBig(a, kk)
	type cand struct {
		v        int
		val, dir *big.Int
	}
	var cands []cand
	for l, v := range s.basicX {
		cands = append(cands, cand{v, &a[l][kk], &a[l][kk+1]})
	}
	var t big.Int
	for j := range s.p.k {
		if s.pos[j] >= 0 {
			continue
		}
		val, dir := new(big.Int).Set(det), new(big.Int)
		if e < d {
			dir.Mul(det, M[j][e])
		}
		for l, v := range s.basicX {
			val.Sub(val, t.Mul(M[j][v], &a[l][kk]))
			dir.Sub(dir, t.Mul(M[j][v], &a[l][kk+1]))
		}
		cands = append(cands, cand{d + j, val, dir})
	}
	var x, y big.Int
	var ties []int
	for i, c := range cands {
		if c.dir.Sign() <= 0 {
			continue
		}
		if len(ties) == 0 {
			ties = append(ties, i)
			continue
		}
		b := cands[ties[0]]
		switch x.Mul(c.val, b.dir).Cmp(y.Mul(b.val, c.dir)) {
		case -1:
			ties = append(ties[:0], i)
		case 0:
			ties = append(ties, i)
		}
	}
	if len(ties) == 0 {
		return -1
	}
	if len(ties) == 1 {
		return cands[ties[0]].v
	}
	inv := fill(kk, func(r, x int) int64 {
		if r == x {
			return 1
		}
		return 0
	})
	gaussJordanBig(inv, kk)
	entry := func(i, t int) *big.Int {
		c := cands[i]
		q := s.pos[t]
		z := new(big.Int)
		if c.v < d {
			if q >= 0 {
				z.Set(&inv[slices.Index(s.basicX, c.v)][kk+q])
			}
			return z
		}
		j := c.v - d
		if q < 0 {
			if t == j {
				z.Set(det)
			}
			return z
		}
		var p big.Int
		for l, v := range s.basicX {
			z.Sub(z, p.Mul(M[j][v], &inv[l][kk+q]))
		}
		return z
	}
	for t := 0; len(ties) > 1 && t < s.p.k; t++ {
		keep := ties[:1]
		for _, i := range ties[1:] {
			b := keep[0]
			switch x.Mul(entry(i, t), cands[b].dir).Cmp(y.Mul(entry(b, t), cands[i].dir)) {
			case -1:
				keep = append(keep[:0], i)
			case 0:
				keep = append(keep, i)
			}
		}
		ties = keep
	}
	return cands[ties[0]].v
}

// gaussJordanBig is gaussJordan128 in math/big; it returns D (G must be nonsingular).
func gaussJordanBig(a [][]big.Int, kk int) *big.Int {
	prev := big.NewInt(1)
	var x, y big.Int
	for p := range kk {
		piv := p
		for a[piv][p].Sign() == 0 {
			piv++
		}
		a[p], a[piv] = a[piv], a[p]
		pv := new(big.Int).Set(&a[p][p])
		for r := range kk {
			if r == p {
				continue
			}
			f := new(big.Int).Set(&a[r][p])
			for c := range a[r] {
				if c == p {
					continue
				}
				x.Mul(pv, &a[r][c])
				y.Mul(f, &a[p][c])
				a[r][c].Quo(x.Sub(&x, &y), prev)
			}
			a[r][p].SetInt64(0)
		}
		if pv.Sign() < 0 {
			for r := range a {
				for c := range a[r] {
					a[r][c].Neg(&a[r][c])
				}
			}
			pv.Neg(pv)
		}
		prev = pv
	}
	return prev
}

// point returns the structural variables' values at the current basis.
func (s *lhSide) point() []*big.Rat {
	kk := len(s.basicX)
	z := make([]*big.Rat, s.p.d)
	for j := range z {
		z[j] = new(big.Rat)
	}
	if kk == 0 {
		return z
	}
	rows := make([][]*big.Rat, kk)
	for r, c := range s.tight {
		rows[r] = make([]*big.Rat, kk+1)
		for q, v := range s.basicX {
			rows[r][q] = s.p.rat(c, v)
		}
		rows[r][kk] = big.NewRat(1, 1)
	}
	var t big.Rat
	for p := range kk {
		piv := p
		for rows[piv][p].Sign() == 0 {
			piv++
		}
		rows[p], rows[piv] = rows[piv], rows[p]
		inv := new(big.Rat).Inv(rows[p][p])
		for c := p; c <= kk; c++ {
			rows[p][c].Mul(rows[p][c], inv)
		}
		for r := range kk {
			if r == p || rows[r][p].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(rows[r][p])
			for c := p; c <= kk; c++ {
				rows[r][c].Sub(rows[r][c], t.Mul(f, rows[p][c]))
			}
		}
	}
	for l, v := range s.basicX {
		z[v].Set(rows[l][kk])
	}
	return z
}

// lhPair is a pair of bases of P and Q on a Lemke–Howson path.
type lhPair struct {
	m, n   int
	sp, sq *lhSide
}

func (g *game) newLHPair() *lhPair {
	return &lhPair{m: g.m, n: g.n, sp: newLHSide(g.polytopeP()), sq: newLHSide(g.polytopeQ())}
}

// varP and varQ return the variable carrying label l in P and in Q.
func (s *lhPair) varP(l int) int { return l }
func (s *lhPair) varQ(l int) int {
	if l < s.m {
		return s.n + l
	}
	return l - s.m
}

func (s *lhPair) clone() *lhPair {
	c := func(x *lhSide) *lhSide {
		return &lhSide{p: x.p, mi: x.mi, basicX: slices.Clone(x.basicX), tight: slices.Clone(x.tight),
			pos: slices.Clone(x.pos), basic: slices.Clone(x.basic)}
	}
	return &lhPair{m: s.m, n: s.n, sp: c(s.sp), sq: c(s.sq)}
}

// key identifies the pair of bases.
func (s *lhPair) key() string {
	b := make([]byte, 0, len(s.sp.basic)+len(s.sq.basic))
	for _, x := range [][]bool{s.sp.basic, s.sq.basic} {
		for _, v := range x {
			if v {
				b = append(b, '1')
			} else {
				b = append(b, '0')
			}
		}
	}
	return string(b)
}

// walk follows the Lemke–Howson path from s dropping label k: the variable with label k enters in
// the polytope where it is nonbasic, and the duplicate label leaving one polytope enters in the
// other, until label k leaves. Every ratio test is lexicographic, so the path is that of the
// perturbed, nondegenerate game and terminates.
func (s *lhPair) walk(ctx context.Context, k int) error {
	cur, other := s.sp, s.sq
	curVar, otherVar := s.varP, s.varQ
	if s.sp.basic[s.varP(k)] { // label k is basic in P: it enters in Q
		cur, other = s.sq, s.sp
		curVar, otherVar = s.varQ, s.varP
	}
	enter := k
	for steps := 1; ; steps++ {
		if steps%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		w, err := cur.step(curVar(enter))
		if err != nil {
			return err
		}
		leave := cur.p.label[w]
		if leave == k {
			return nil
		}
		enter = leave
		cur, other = other, cur
		curVar, otherVar = otherVar, curVar
	}
}

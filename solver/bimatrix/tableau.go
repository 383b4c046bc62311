package bimatrix

import (
	"errors"
	"math/big"
	"math/bits"
)

// labelSet is a set of labels (or of tableau variables) 0..127.
type labelSet [2]uint64

func (s labelSet) has(i int) bool         { return s[i>>6]>>(uint(i)&63)&1 != 0 }
func (s *labelSet) add(i int)             { s[i>>6] |= 1 << (uint(i) & 63) }
func (s *labelSet) flip(i int)            { s[i>>6] ^= 1 << (uint(i) & 63) }
func (s labelSet) or(t labelSet) labelSet { return labelSet{s[0] | t[0], s[1] | t[1]} }
func (s labelSet) andNot(t labelSet) labelSet {
	return labelSet{s[0] &^ t[0], s[1] &^ t[1]}
}
func (s labelSet) count() int { return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) }
func (s labelSet) superset(t labelSet) bool {
	return t[0]&^s[0] == 0 && t[1]&^s[1] == 0
}

// fullSet returns {0..n-1}.
func fullSet(n int) labelSet {
	var s labelSet
	for i := range n {
		s.add(i)
	}
	return s
}

// polytope is {z ∈ R^d : z ≥ 0, Mz ≤ 1} with M a k×d matrix of positive integers. Its tableau
// variables are the structural z_0..z_{d-1} (indices 0..d-1) and the slacks of the k inequalities
// (indices d..d+k-1); label maps a variable to its game label.
type polytope struct {
	d, k  int
	m64   [][]int64    // M if every entry is below 2⁶², else nil
	mBig  [][]*big.Int // M in math/big; built from m64 on first use (M)
	label []int
	zero  labelSet // labels of the structural variables (the vertex z = 0), if m+n ≤ MaxStrategies
}

// M returns the constraint matrix in math/big.
func (p *polytope) M() [][]*big.Int {
	if p.mBig == nil {
		p.mBig = make([][]*big.Int, p.k)
		for i, row := range p.m64 {
			p.mBig[i] = make([]*big.Int, p.d)
			for j, v := range row {
				p.mBig[i][j] = big.NewInt(v)
			}
		}
	}
	return p.mBig
}

// rat returns M[i][j] as a new rational.
func (p *polytope) rat(i, j int) *big.Rat {
	if p.m64 != nil {
		return new(big.Rat).SetInt64(p.m64[i][j])
	}
	return new(big.Rat).SetInt(p.mBig[i][j])
}

// polytopeP is P = {x ≥ 0 : Bᵀx ≤ 1} (x_i has label i, the slack of column j label m+j).
func (g *game) polytopeP() *polytope {
	p := &polytope{d: g.m, k: g.n, label: make([]int, g.m+g.n)}
	if g.bi64 != nil {
		p.m64 = make([][]int64, g.n)
		for j := range g.n {
			p.m64[j] = make([]int64, g.m)
			for i := range g.m {
				p.m64[j][i] = g.bi64[i][j]
			}
		}
	} else {
		p.mBig = make([][]*big.Int, g.n)
		for j := range g.n {
			p.mBig[j] = make([]*big.Int, g.m)
			for i := range g.m {
				p.mBig[j][i] = g.bi[i][j]
			}
		}
	}
	for v := range p.label {
		p.label[v] = v
	}
	if g.m+g.n <= MaxStrategies {
		p.zero = fullSet(g.m)
	}
	return p
}

// polytopeQ is Q = {y ≥ 0 : Ay ≤ 1} (y_j has label m+j, the slack of row i label i).
func (g *game) polytopeQ() *polytope {
	p := &polytope{d: g.n, k: g.m, m64: g.ai64, mBig: g.ai, label: make([]int, g.m+g.n)}
	for j := range g.n {
		p.label[j] = g.m + j
		if g.m+g.n <= MaxStrategies {
			p.zero.add(g.m + j)
		}
	}
	for i := range g.m {
		p.label[g.n+i] = i
	}
	return p
}

// point returns the vertex of p whose tight inequalities are given by the label set (every label
// of p's variables that is in labels is tight), solving the tight system exactly.
func (p *polytope) point(labels labelSet) []*big.Rat {
	z := make([]*big.Rat, p.d)
	var free []int
	for j := range p.d {
		z[j] = new(big.Rat)
		if !labels.has(p.label[j]) {
			free = append(free, j)
		}
	}
	// Rows: tight inequalities restricted to the free variables, right-hand side 1.
	var rows [][]*big.Rat
	for i := range p.k {
		if !labels.has(p.label[p.d+i]) {
			continue
		}
		row := make([]*big.Rat, len(free)+1)
		for c, j := range free {
			row[c] = p.rat(i, j)
		}
		row[len(free)] = big.NewRat(1, 1)
		rows = append(rows, row)
	}
	if len(rows) == len(free) && p.m64 != nil {
		// A nondegenerate vertex: a square system, solved fraction-free in 128 bits.
		k, w := len(free), len(free)+1
		a := make([]i128, k*w)
		r := 0
		for i := range p.k {
			if !labels.has(p.label[p.d+i]) {
				continue
			}
			for c, j := range free {
				a[r*w+c] = i128From64(p.m64[i][j])
			}
			a[r*w+k] = i128{1, 0}
			r++
		}
		if det, ok := solveBareiss(a, k, w); ok && !det.isZero() {
			d := det.big()
			for c, j := range free {
				z[j].SetFrac(a[c*w+k].big(), d)
			}
			return z
		}
	}
	// Gauss–Jordan elimination; the system has full column rank at a vertex.
	var t big.Rat
	r := 0
	for c := range free {
		piv := -1
		for i := r; i < len(rows); i++ {
			if rows[i][c].Sign() != 0 {
				piv = i
				break
			}
		}
		if piv < 0 {
			panic("bimatrix: label set is not a vertex")
		}
		rows[r], rows[piv] = rows[piv], rows[r]
		inv := new(big.Rat).Inv(rows[r][c])
		for cc := c; cc <= len(free); cc++ {
			rows[r][cc].Mul(rows[r][cc], inv)
		}
		for i := range rows {
			if i == r || rows[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(rows[i][c])
			for cc := c; cc <= len(free); cc++ {
				rows[i][cc].Sub(rows[i][cc], t.Mul(f, rows[r][cc]))
			}
		}
		r++
	}
	for c, j := range free {
		z[j].Set(rows[c][len(free)])
	}
	return z
}

// errOverflow reports that a fixed-width tableau entry would not fit; the caller restarts in math/big.
var errOverflow = errors.New("bimatrix: integer overflow")

// dict is the combinatorial part of a tableau: which variable is basic in each row and nonbasic
// in each column.
type dict struct {
	p        *polytope
	basic    []int    // row → variable
	nonbasic []int    // column → variable
	where    []int    // variable → row r (≥ 0) or column c (encoded -c-1)
	key      labelSet // the set of basic variables, if keyed
	keyed    bool     // at most 128 variables: key is maintained
}

func newDict(p *polytope) dict {
	t := dict{p: p, basic: make([]int, p.k), nonbasic: make([]int, p.d), where: make([]int, p.d+p.k),
		keyed: p.d+p.k <= MaxStrategies}
	for j := range p.d {
		t.nonbasic[j] = j
		t.where[j] = -j - 1
	}
	for i := range p.k {
		t.basic[i] = p.d + i
		t.where[p.d+i] = i
		if t.keyed {
			t.key.add(p.d + i)
		}
	}
	return t
}

// swap records the pivot that makes nonbasic column c basic in row r.
func (t *dict) swap(r, c int) {
	in, out := t.nonbasic[c], t.basic[r]
	t.basic[r], t.nonbasic[c] = in, out
	t.where[in], t.where[out] = r, -c-1
	if t.keyed {
		t.key.flip(in)
		t.key.flip(out)
	}
}

// tableau is a fraction-free (integer) simplex tableau of a polytope {z ≥ 0 : Mz ≤ 1}: row i reads
// D·basic_i + Σ_c T[i][c]·nonbasic_c = rhs_i, where D > 0 is the determinant of the basis, and all
// entries are integers (minors of [M I 1]). Ratio tests are lexicographic with respect to the
// perturbation 1 + (ε, ε², …) of the right-hand side, so every basis visited is lexicographically
// feasible and the pivoting never cycles.
type tableau interface {
	base() *dict
	// lexMinRatio returns the row of the leaving variable when nonbasic column c enters, or -1 if
	// the column has no positive entry.
	lexMinRatio(c int) int
	// pivot makes nonbasic column c basic in row r; it returns errOverflow (leaving the tableau
	// unusable) if an entry does not fit.
	pivot(r, c int) error
	// rhsZero reports whether the basic variable of row r is 0 (a degenerate row).
	rhsZero(r int) bool
	// value returns the value of the basic variable of row r, rhs_r / D.
	value(r int) *big.Rat
}

// labels returns the label set of the vertex of the current basis: nonbasic variables and basic
// variables at value 0.
func labelsOf(t tableau) labelSet {
	d := t.base()
	var s labelSet
	for _, v := range d.nonbasic {
		s.add(d.p.label[v])
	}
	for r, v := range d.basic {
		if t.rhsZero(r) {
			s.add(d.p.label[v])
		}
	}
	return s
}

// bigTableau is a tableau in math/big: it never overflows.
type bigTableau struct {
	dict
	cols   int       // d nonbasic columns + rhs
	t      []big.Int // k rows × cols
	det    big.Int
	ties   []int
	x, y   big.Int // scratch
	piv, f big.Int
}

func newBigTableau(p *polytope) *bigTableau {
	t := &bigTableau{dict: newDict(p), cols: p.d + 1, t: make([]big.Int, p.k*(p.d+1))}
	M := p.M()
	for i := range p.k {
		for j := range p.d {
			t.t[i*t.cols+j].Set(M[i][j])
		}
		t.t[i*t.cols+p.d].SetInt64(1)
	}
	t.det.SetInt64(1)
	return t
}

func (t *bigTableau) base() *dict { return &t.dict }

func (t *bigTableau) rhsZero(r int) bool { return t.t[r*t.cols+t.cols-1].Sign() == 0 }

// colEntry returns the entry in row i of variable v's column in the full tableau.
func (t *bigTableau) colEntry(i, v int, scratch *big.Int) *big.Int {
	w := t.where[v]
	if w >= 0 {
		if w == i {
			return &t.det
		}
		return scratch.SetInt64(0)
	}
	return &t.t[i*t.cols-w-1]
}

func (t *bigTableau) lexMinRatio(c int) int {
	rhs := t.cols - 1
	ties := t.ties[:0]
	for i := range t.p.k {
		a := &t.t[i*t.cols+c]
		if a.Sign() <= 0 {
			continue
		}
		if len(ties) == 0 {
			ties = append(ties, i)
			continue
		}
		b := ties[0]
		// rhs_i/a_i vs rhs_b/a_b
		t.x.Mul(&t.t[i*t.cols+rhs], &t.t[b*t.cols+c])
		t.y.Mul(&t.t[b*t.cols+rhs], a)
		switch t.x.Cmp(&t.y) {
		case -1:
			ties = append(ties[:0], i)
		case 0:
			ties = append(ties, i)
		}
	}
	var s1, s2 big.Int
	for s := 0; len(ties) > 1 && s < t.p.k; s++ {
		v := t.p.d + s
		keep := ties[:1]
		for _, i := range ties[1:] {
			b := keep[0]
			t.x.Mul(t.colEntry(i, v, &s1), &t.t[b*t.cols+c])
			t.y.Mul(t.colEntry(b, v, &s2), &t.t[i*t.cols+c])
			switch t.x.Cmp(&t.y) {
			case -1:
				keep = append(keep[:0], i)
			case 0:
				keep = append(keep, i)
			}
		}
		ties = keep
	}
	t.ties = ties
	if len(ties) == 0 {
		return -1
	}
	return ties[0]
}

func (t *bigTableau) pivot(r, c int) error {
	t.piv.Set(&t.t[r*t.cols+c])
	row := t.t[r*t.cols : (r+1)*t.cols]
	for i := range t.p.k {
		if i == r {
			continue
		}
		ri := t.t[i*t.cols : (i+1)*t.cols]
		t.f.Set(&ri[c])
		for j := range ri {
			if j == c {
				continue
			}
			t.x.Mul(&t.piv, &ri[j])
			t.y.Mul(&t.f, &row[j])
			t.x.Sub(&t.x, &t.y)
			ri[j].Quo(&t.x, &t.det)
		}
		ri[c].Neg(&t.f)
	}
	row[c].Set(&t.det)
	t.det.Set(&t.piv)
	t.swap(r, c)
	return nil
}

func (t *bigTableau) value(r int) *big.Rat {
	return new(big.Rat).SetFrac(&t.t[r*t.cols+t.cols-1], &t.det)
}

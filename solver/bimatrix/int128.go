package bimatrix

import (
	"math/big"
	"math/bits"
)

// i128 is a signed 128-bit integer in two's complement.
type i128 struct{ lo, hi uint64 }

func i128From64(v int64) i128 { return i128{uint64(v), uint64(v >> 63)} }

func (a i128) isZero() bool { return a.lo|a.hi == 0 }
func (a i128) neg() bool    { return int64(a.hi) < 0 }

func (a i128) sign() int {
	switch {
	case int64(a.hi) < 0:
		return -1
	case a.lo|a.hi == 0:
		return 0
	}
	return 1
}

func (a i128) negate() i128 {
	lo, borrow := bits.Sub64(0, a.lo, 0)
	hi, _ := bits.Sub64(0, a.hi, borrow)
	return i128{lo, hi}
}

// small reports whether -2⁶² ≤ a < 2⁶², so that products of two small values fit in 125 bits.
func (a i128) small() bool {
	return a.hi == uint64(int64(a.lo)>>63) && a.lo+1<<62 < 1<<63
}

func (a i128) big() *big.Int {
	m := a
	if a.neg() {
		m = a.negate()
	}
	z := new(big.Int).SetUint64(m.hi)
	z.Lsh(z, 64)
	z.Or(z, new(big.Int).SetUint64(m.lo))
	if a.neg() {
		z.Neg(z)
	}
	return z
}

// i128FromBig converts z if |z| < 2⁶².
func i128FromBig(z *big.Int) (i128, bool) {
	if !z.IsInt64() {
		return i128{}, false
	}
	a := i128From64(z.Int64())
	return a, a.small()
}

// mul64s returns the 128-bit product of two int64 values.
func mul64s(a, b int64) (hi, lo uint64) {
	hi, lo = bits.Mul64(uint64(a), uint64(b))
	if a < 0 {
		hi -= uint64(b)
	}
	if b < 0 {
		hi -= uint64(a)
	}
	return hi, lo
}

// u256 is an unsigned (or two's complement) 256-bit integer, least significant word first.
type u256 [4]uint64

// mulU128 returns the 256-bit product of two unsigned 128-bit values.
func mulU128(alo, ahi, blo, bhi uint64) u256 {
	h00, l00 := bits.Mul64(alo, blo)
	h01, l01 := bits.Mul64(alo, bhi)
	h10, l10 := bits.Mul64(ahi, blo)
	h11, l11 := bits.Mul64(ahi, bhi)
	var r u256
	r[0] = l00
	var c, c2 uint64
	r[1], c = bits.Add64(h00, l01, 0)
	r[1], c2 = bits.Add64(r[1], l10, 0)
	r[2], c = bits.Add64(h01, h10, c)
	carry3 := c
	r[2], c = bits.Add64(r[2], l11, c2)
	carry3 += c
	r[3] = h11 + carry3
	return r
}

func (a u256) negate() u256 {
	var r u256
	var b uint64
	r[0], b = bits.Sub64(0, a[0], 0)
	r[1], b = bits.Sub64(0, a[1], b)
	r[2], b = bits.Sub64(0, a[2], b)
	r[3], _ = bits.Sub64(0, a[3], b)
	return r
}

func (a u256) sub(b u256) u256 {
	var r u256
	var br uint64
	r[0], br = bits.Sub64(a[0], b[0], 0)
	r[1], br = bits.Sub64(a[1], b[1], br)
	r[2], br = bits.Sub64(a[2], b[2], br)
	r[3], _ = bits.Sub64(a[3], b[3], br)
	return r
}

// cmpSigned compares two's complement 256-bit values.
func (a u256) cmpSigned(b u256) int {
	if int64(a[3]) != int64(b[3]) {
		if int64(a[3]) < int64(b[3]) {
			return -1
		}
		return 1
	}
	for w := 2; w >= 0; w-- {
		if a[w] != b[w] {
			if a[w] < b[w] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (a u256) bitLen() int {
	for w := 3; w >= 0; w-- {
		if a[w] != 0 {
			return 64*w + bits.Len64(a[w])
		}
	}
	return 0
}

// mul returns a·b as a two's complement 256-bit value.
func mul(a, b i128) u256 {
	am, bm := a, b
	if a.neg() {
		am = a.negate()
	}
	if b.neg() {
		bm = b.negate()
	}
	r := mulU128(am.lo, am.hi, bm.lo, bm.hi)
	if a.neg() != b.neg() {
		r = r.negate()
	}
	return r
}

// cmpProd compares a·b with c·d.
func cmpProd(a, b, c, d i128) int {
	if a.small() && b.small() && c.small() && d.small() {
		h1, l1 := mul64s(int64(a.lo), int64(b.lo))
		h2, l2 := mul64s(int64(c.lo), int64(d.lo))
		switch {
		case int64(h1) < int64(h2):
			return -1
		case int64(h1) > int64(h2):
			return 1
		case l1 < l2:
			return -1
		case l1 > l2:
			return 1
		}
		return 0
	}
	return mul(a, b).cmpSigned(mul(c, d))
}

// addMul adds a·b to the two's complement 256-bit accumulator.
func (acc *u256) addMul(a, b i128) {
	if a.small() && b.small() {
		hi, lo := mul64s(int64(a.lo), int64(b.lo))
		ext := uint64(int64(hi) >> 63)
		*acc = acc.add(u256{lo, hi, ext, ext})
		return
	}
	*acc = acc.add(mul(a, b))
}

// addMulSmall adds a·b to the accumulator, for a small a (|a| < 2⁶²; all payoff entries are).
func (acc *u256) addMulSmall(a, b i128) {
	am, neg := int64(a.lo), b.neg()
	if am < 0 {
		am, neg = -am, !neg
	}
	bm := b
	if b.neg() {
		bm = b.negate()
	}
	h0, l0 := bits.Mul64(uint64(am), bm.lo)
	h1, l1 := bits.Mul64(uint64(am), bm.hi)
	mid, c := bits.Add64(h0, l1, 0)
	p := u256{l0, mid, h1 + c, 0}
	if neg {
		p = p.negate()
	}
	*acc = acc.add(p)
}

// divisor holds what exact division by a positive D needs: D = 2^k·odd, the inverse of odd
// modulo 2¹²⁸, and the bit length of D.
type divisor struct {
	k      uint
	inv    i128
	bitlen int
	one    bool
}

func newDivisor(d i128) divisor {
	if d.lo == 1 && d.hi == 0 {
		return divisor{one: true, bitlen: 1}
	}
	var k uint
	var odd i128
	if d.lo != 0 {
		k = uint(bits.TrailingZeros64(d.lo))
	} else {
		k = 64 + uint(bits.TrailingZeros64(d.hi))
	}
	odd = shr128(d.lo, d.hi, k)
	// Newton's iteration x ← x(2 − dx) doubles the correct low bits; d·d ≡ 1 (mod 8).
	x := odd
	two := i128{2, 0}
	for range 6 {
		x = mulLow(x, sub128(two, mulLow(odd, x)))
	}
	bl := 128 - bits.LeadingZeros64(d.hi)
	if d.hi == 0 {
		bl = bits.Len64(d.lo)
	}
	return divisor{k: k, inv: x, bitlen: bl}
}

func shr128(lo, hi uint64, k uint) i128 {
	switch {
	case k == 0:
		return i128{lo, hi}
	case k < 64:
		return i128{lo>>k | hi<<(64-k), hi >> k}
	default:
		return i128{hi >> (k - 64), 0}
	}
}

func sub128(a, b i128) i128 {
	lo, br := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, br)
	return i128{lo, hi}
}

// mulLow returns a·b modulo 2¹²⁸.
func mulLow(a, b i128) i128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	hi += a.lo*b.hi + a.hi*b.lo
	return i128{lo, hi}
}

// maxBits bounds the magnitude of tableau entries (2¹²⁶) so that products of two entries, and
// their differences, fit in 256-bit two's complement.
const maxBits = 126

// quo256 returns n/D for a two's complement 256-bit n divisible by D, or false if the quotient
// might reach 2^maxBits.
func (dv *divisor) quo256(n u256) (i128, bool) {
	neg := int64(n[3]) < 0
	if neg {
		n = n.negate()
	}
	if n.bitLen() > dv.bitlen+maxBits-1 {
		return i128{}, false
	}
	var q i128
	if dv.one {
		q = i128{n[0], n[1]}
	} else {
		// Only the low 128 bits of n >> k are needed.
		k := dv.k
		var lo, hi uint64
		switch {
		case k == 0:
			lo, hi = n[0], n[1]
		case k < 64:
			lo = n[0]>>k | n[1]<<(64-k)
			hi = n[1]>>k | n[2]<<(64-k)
		case k == 64:
			lo, hi = n[1], n[2]
		default:
			k -= 64
			lo = n[1]>>k | n[2]<<(64-k)
			hi = n[2]>>k | n[3]<<(64-k)
		}
		q = mulLow(i128{lo, hi}, dv.inv)
	}
	if neg {
		q = q.negate()
	}
	return q, true
}

// quo128 is quo256 for a two's complement 128-bit n (|n| < 2¹²⁵).
func (dv *divisor) quo128(lo, hi uint64) i128 {
	neg := int64(hi) < 0
	m := i128{lo, hi}
	if neg {
		m = m.negate()
	}
	q := m
	if !dv.one {
		q = mulLow(shr128(m.lo, m.hi, dv.k), dv.inv)
	}
	if neg {
		q = q.negate()
	}
	return q
}

// bareiss returns (p·a − f·b)/D, the fraction-free pivot update of one entry.
func (dv *divisor) bareiss(p, a, f, b i128) (i128, bool) {
	if p.small() && a.small() && f.small() && b.small() {
		h1, l1 := mul64s(int64(p.lo), int64(a.lo))
		h2, l2 := mul64s(int64(f.lo), int64(b.lo))
		lo, br := bits.Sub64(l1, l2, 0)
		hi, _ := bits.Sub64(h1, h2, br)
		return dv.quo128(lo, hi), true
	}
	return dv.quo256(mul(p, a).sub(mul(f, b)))
}

// tab128 is a tableau with 128-bit entries; pivot returns errOverflow when an entry would need
// more than maxBits bits.
type tab128 struct {
	dict
	cols int
	t    []i128
	det  i128
	ties []int
}

func newTab128(p *polytope) (tableau, bool) {
	t := &tab128{dict: newDict(p), cols: p.d + 1, t: make([]i128, p.k*(p.d+1)), det: i128{1, 0}}
	if p.m64 == nil {
		return nil, false
	}
	for i := range p.k {
		for j := range p.d {
			t.t[i*t.cols+j] = i128From64(p.m64[i][j])
		}
		t.t[i*t.cols+p.d] = i128{1, 0}
	}
	return t, true
}

func (t *tab128) base() *dict { return &t.dict }

func (t *tab128) rhsZero(r int) bool { return t.t[r*t.cols+t.cols-1].isZero() }

func (t *tab128) value(r int) *big.Rat {
	return new(big.Rat).SetFrac(t.t[r*t.cols+t.cols-1].big(), t.det.big())
}

// colEntry returns the entry in row i of variable v's column in the full tableau.
func (t *tab128) colEntry(i, v int) i128 {
	w := t.where[v]
	if w >= 0 {
		if w == i {
			return t.det
		}
		return i128{}
	}
	return t.t[i*t.cols-w-1]
}

func (t *tab128) lexMinRatio(c int) int {
	rhs := t.cols - 1
	ties := t.ties[:0]
	for i := range t.p.k {
		a := t.t[i*t.cols+c]
		if a.sign() <= 0 {
			continue
		}
		if len(ties) == 0 {
			ties = append(ties, i)
			continue
		}
		b := ties[0]
		switch cmpProd(t.t[i*t.cols+rhs], t.t[b*t.cols+c], t.t[b*t.cols+rhs], a) {
		case -1:
			ties = append(ties[:0], i)
		case 0:
			ties = append(ties, i)
		}
	}
	for s := 0; len(ties) > 1 && s < t.p.k; s++ {
		v := t.p.d + s
		keep := ties[:1]
		for _, i := range ties[1:] {
			b := keep[0]
			switch cmpProd(t.colEntry(i, v), t.t[b*t.cols+c], t.colEntry(b, v), t.t[i*t.cols+c]) {
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

func (t *tab128) pivot(r, c int) error {
	p := t.t[r*t.cols+c]
	dv := newDivisor(t.det)
	inv64 := dv.inv.lo // the inverse modulo 2⁶⁴
	k := dv.k
	if dv.one {
		inv64 = 1
	}
	pSmall := p.small()
	p64 := int64(p.lo)
	row := t.t[r*t.cols : (r+1)*t.cols]
	for i := range t.p.k {
		if i == r {
			continue
		}
		ri := t.t[i*t.cols : (i+1)*t.cols]
		f := ri[c]
		fast := pSmall && f.small()
		f64 := int64(f.lo)
		for j := range ri {
			if j == c {
				continue
			}
			a, b := ri[j], row[j]
			if fast && a.small() && b.small() {
				h1, l1 := mul64s(p64, int64(a.lo))
				h2, l2 := mul64s(f64, int64(b.lo))
				lo, br := bits.Sub64(l1, l2, 0)
				hi, _ := bits.Sub64(h1, h2, br)
				if hi == uint64(int64(lo)>>63) {
					// The numerator fits in 64 bits: exact division by D = 2^k·odd is a shift
					// and a multiplication by odd's inverse modulo 2⁶⁴.
					q := int64(uint64(int64(lo)>>k) * inv64)
					ri[j] = i128{uint64(q), uint64(q >> 63)}
					continue
				}
				ri[j] = dv.quo128(lo, hi)
				continue
			}
			q, ok := dv.bareiss(p, a, f, b)
			if !ok {
				return errOverflow
			}
			ri[j] = q
		}
		ri[c] = f.negate()
	}
	row[c] = t.det
	t.det = p
	t.swap(r, c)
	return nil
}

func (a i128) bitLen() int {
	m := a
	if a.neg() {
		m = a.negate()
	}
	if m.hi != 0 {
		return 64 + bits.Len64(m.hi)
	}
	return bits.Len64(m.lo)
}

// solveBareiss solves G·X = R for the kk×w matrix [G | R] (row-major, w > kk): on return column
// kk+x of row i holds D·X[i][x], with D = |det G| > 0 returned, by fraction-free Bareiss
// elimination (every intermediate value is a minor, Bareiss 1968) and fraction-free back
// substitution (exact divisions by the leading minors). The G part is destroyed. ok is false if a
// value needs more than 120 bits; D is 0 if G is singular.
func solveBareiss(a []i128, kk, w int) (det i128, ok bool) {
	const limit = 120 // products of two values and sums of kk of them fit in 256 bits
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
			for c := p; c < w; c++ {
				a[p*w+c], a[piv*w+c] = a[piv*w+c], a[p*w+c]
			}
		}
		if a[p*w+p].neg() { // negate the pivot row: the divisors stay positive
			for c := p; c < w; c++ {
				a[p*w+c] = a[p*w+c].negate()
			}
		}
		pv := a[p*w+p]
		for r := p + 1; r < kk; r++ {
			f := a[r*w+p]
			for c := p + 1; c < w; c++ {
				v, ok := prev.bareiss(pv, a[r*w+c], f, a[p*w+c])
				if !ok || v.bitLen() > limit {
					return i128{}, false
				}
				a[r*w+c] = v
			}
			a[r*w+p] = i128{}
		}
		det = pv
		prev = newDivisor(pv)
	}
	// Back substitution: D·x_i = (D·c_i − Σ_{j>i} U[i][j]·(D·x_j)) / U[i][i].
	for i := kk - 2; i >= 0; i-- {
		dv := newDivisor(a[i*w+i])
		for x := kk; x < w; x++ {
			acc := mul(det, a[i*w+x])
			for j := i + 1; j < kk; j++ {
				acc = acc.sub(mul(a[i*w+j], a[j*w+x]))
			}
			v, ok := dv.quo256(acc)
			if !ok || v.bitLen() > limit {
				return i128{}, false
			}
			a[i*w+x] = v
		}
	}
	return det, true
}

// matrix128 returns p's constraint matrix in 128 bits, or nil if it is not held in int64.
func matrix128(p *polytope) [][]i128 {
	if p.m64 == nil {
		return nil
	}
	out := make([][]i128, p.k)
	flat := make([]i128, p.k*p.d)
	for i, row := range p.m64 {
		out[i] = flat[i*p.d : (i+1)*p.d]
		for j, v := range row {
			out[i][j] = i128From64(v)
		}
	}
	return out
}

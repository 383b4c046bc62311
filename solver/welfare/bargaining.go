package welfare

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
)

// ErrNoGain is returned by the bargaining solutions when no feasible point gives every player
// strictly more than the disagreement point.
var ErrNoGain = errors.New("welfare: no point improves on the disagreement point for every player")

// NashBargaining returns Nash's bargaining solution (Nash, "The Bargaining Problem",
// Econometrica 1950) over a finite set of outcomes: the point maximising Π_i (u_i − d_i) among
// the points with u_i > d_i for every player. Ties go to the earliest point (all are in Tied).
func NashBargaining(points []Point, d []*big.Rat) (Selection, error) {
	dim, err := checkDim(points)
	if err != nil {
		return Selection{}, err
	}
	if err := checkPoint(d, dim); err != nil {
		return Selection{}, err
	}
	var best *big.Rat
	var sel Selection
	for i, p := range points {
		v, ok := gainProduct(p.Payoffs, d)
		if !ok {
			continue
		}
		switch c := cmpNil(v, best); {
		case c > 0:
			best, sel = v, Selection{Index: i, Tied: []int{i}}
		case c == 0:
			sel.Tied = append(sel.Tied, i)
		}
	}
	if best == nil {
		return Selection{}, ErrNoGain
	}
	return sel, nil
}

func checkPoint(d []*big.Rat, dim int) error {
	if len(d) != dim {
		return fmt.Errorf("%w: disagreement point has %d entries for %d players", ErrDimension, len(d), dim)
	}
	for _, x := range d {
		if x == nil {
			return fmt.Errorf("%w: disagreement point has a missing entry", ErrDimension)
		}
	}
	return nil
}

func cmpNil(v, best *big.Rat) int {
	if best == nil {
		return 1
	}
	return v.Cmp(best)
}

func gainProduct(u, d []*big.Rat) (*big.Rat, bool) {
	v := big.NewRat(1, 1)
	g := new(big.Rat)
	for i := range u {
		g.Sub(u[i], d[i])
		if g.Sign() <= 0 {
			return nil, false
		}
		v.Mul(v, g)
	}
	return v, true
}

// HullSolution is Nash's bargaining solution over the convex hull of a finite set: the point
// (1−T)·points[A] + T·points[B] (a lottery over two outcomes, A == B when it is an outcome).
type HullSolution struct {
	A, B    int
	T       *big.Rat
	Payoffs []*big.Rat
	Product *big.Rat // Π (u_i − d_i) at the solution
}

// NashBargainingHull returns Nash's bargaining solution over the convex hull of the points
// (all lotteries over the outcomes) for two players, exactly. The product (u₁−d₁)(u₂−d₂) is
// increasing in both payoffs, so the solution lies on the Pareto frontier of the hull, the
// concave chain through the Pareto-optimal points; on each edge it is a quadratic in the
// mixing weight whose maximiser is rational. More than two players: an error (the solution
// can be irrational there).
func NashBargainingHull(points []Point, d []*big.Rat) (*HullSolution, error) {
	dim, err := checkDim(points)
	if err != nil {
		return nil, err
	}
	if dim != 2 {
		return nil, fmt.Errorf("welfare: bargaining over the convex hull needs 2 players, have %d", dim)
	}
	if err := checkPoint(d, 2); err != nil {
		return nil, err
	}
	front, _ := Frontier(points)
	// Distinct frontier points sorted by u1 ascending (u2 then descends strictly).
	sort.SliceStable(front, func(a, b int) bool {
		return points[front[a]].Payoffs[0].Cmp(points[front[b]].Payoffs[0]) < 0
	})
	var chain []int
	for _, i := range front {
		if len(chain) > 0 && points[chain[len(chain)-1]].Payoffs[0].Cmp(points[i].Payoffs[0]) == 0 {
			continue // an equal point
		}
		// Keep the chain concave: drop the last point while it lies on or below the segment
		// from the one before it to i (Andrew's monotone chain, upper hull).
		for len(chain) >= 2 && !rightTurn(points[chain[len(chain)-2]].Payoffs, points[chain[len(chain)-1]].Payoffs, points[i].Payoffs) {
			chain = chain[:len(chain)-1]
		}
		chain = append(chain, i)
	}
	var best *HullSolution
	consider := func(a, b int, t *big.Rat) {
		u := mix(points[a].Payoffs, points[b].Payoffs, t)
		v, ok := gainProduct(u, d)
		if !ok {
			return
		}
		if best == nil || v.Cmp(best.Product) > 0 {
			if t.Sign() == 0 {
				b = a
			} else if t.Cmp(big.NewRat(1, 1)) == 0 {
				a, t = b, new(big.Rat)
			}
			best = &HullSolution{A: a, B: b, T: t, Payoffs: u, Product: v}
		}
	}
	zero, one := new(big.Rat), big.NewRat(1, 1)
	for k, i := range chain {
		consider(i, i, zero)
		if k+1 == len(chain) {
			break
		}
		j := chain[k+1]
		p, q := points[i].Payoffs, points[j].Payoffs
		a := new(big.Rat).Sub(p[0], d[0])
		b := new(big.Rat).Sub(q[0], p[0]) // > 0
		c := new(big.Rat).Sub(p[1], d[1])
		e := new(big.Rat).Sub(q[1], p[1]) // < 0
		// f(t) = (a + b t)(c + e t); f'(t) = bc + ae + 2be t.
		num := new(big.Rat).Add(new(big.Rat).Mul(b, c), new(big.Rat).Mul(a, e))
		den := new(big.Rat).Mul(b, e)
		den.Mul(den, big.NewRat(2, 1))
		t := new(big.Rat).Quo(num, den)
		t.Neg(t)
		if t.Sign() > 0 && t.Cmp(one) < 0 {
			consider(i, j, t)
		}
	}
	if best == nil {
		return nil, ErrNoGain
	}
	return best, nil
}

// rightTurn reports whether o → a → b turns clockwise (strictly), i.e. a lies strictly above
// the segment o–b when o, a, b are sorted by the first coordinate.
func rightTurn(o, a, b []*big.Rat) bool {
	x1 := new(big.Rat).Sub(a[0], o[0])
	y1 := new(big.Rat).Sub(a[1], o[1])
	x2 := new(big.Rat).Sub(b[0], o[0])
	y2 := new(big.Rat).Sub(b[1], o[1])
	cross := new(big.Rat).Sub(new(big.Rat).Mul(x1, y2), new(big.Rat).Mul(y1, x2))
	return cross.Sign() < 0
}

func mix(p, q []*big.Rat, t *big.Rat) []*big.Rat {
	out := make([]*big.Rat, len(p))
	s := new(big.Rat).Sub(big.NewRat(1, 1), t)
	for i := range p {
		out[i] = new(big.Rat).Mul(s, p[i])
		out[i].Add(out[i], new(big.Rat).Mul(t, q[i]))
	}
	return out
}

package bimatrix

// The tableau implementation of the Lemke–Howson walk: the reference that the revised one
// (lhPair.walk) is checked against.

import (
	"context"
	"errors"
	"fmt"
	"math/big"
)

// lhState is a pair of bases of P and Q (tableaux tp and tq).
type lhState struct{ tp, tq tableau }

// varOf returns the variable of polytope p carrying label l (P's variables are numbered by label;
// Q's are y_0..y_{n-1} then the row slacks).
func varOf(p *polytope, l int) int {
	for v, lv := range p.label {
		if lv == l {
			return v
		}
	}
	panic("bimatrix: no variable with label")
}

// walk follows the Lemke–Howson path from s dropping label k: the variable with label k enters in
// the polytope where it is nonbasic, and the duplicate label leaving one polytope enters in the
// other, until label k leaves. Every ratio test is lexicographic, so the path is that of the
// perturbed, nondegenerate game and terminates.
func (s lhState) walk(ctx context.Context, k int) error {
	cur, other := s.tp, s.tq
	if s.tp.base().where[varOf(s.tp.base().p, k)] >= 0 {
		cur, other = s.tq, s.tp // label k is basic in P: it enters in Q
	}
	enter := k
	for steps := 1; ; steps++ {
		if steps%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d := cur.base()
		w := d.where[varOf(d.p, enter)]
		if w >= 0 {
			return fmt.Errorf("bimatrix: Lemke–Howson: label %d is basic (internal error)", enter)
		}
		c := -w - 1
		r := cur.lexMinRatio(c)
		if r < 0 {
			return fmt.Errorf("bimatrix: Lemke–Howson: unbounded ray (internal error)")
		}
		leave := d.p.label[d.basic[r]]
		if err := cur.pivot(r, c); err != nil {
			return err
		}
		if leave == k {
			return nil
		}
		enter = leave
		cur, other = other, cur
	}
}

func (g *game) lhStart(wide bool) lhState {
	return lhState{newTableau(g.polytopeP(), wide), newTableau(g.polytopeQ(), wide)}
}

// lemkeHowson runs the path in 128-bit arithmetic and again in math/big if an entry overflows.
func (g *game) lemkeHowson(ctx context.Context, k int) (lhState, error) {
	s := g.lhStart(false)
	err := s.walk(ctx, k)
	if errors.Is(err, errOverflow) {
		s = g.lhStart(true)
		err = s.walk(ctx, k)
	}
	return s, err
}

// pointOf returns the current basic solution: the structural variables' values.
func pointOf(t tableau) []*big.Rat {
	d := t.base()
	z := make([]*big.Rat, d.p.d)
	for j := range z {
		if r := d.where[j]; r >= 0 {
			z[j] = t.value(r)
		} else {
			z[j] = new(big.Rat)
		}
	}
	return z
}

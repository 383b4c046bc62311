package bimatrix

import (
	"context"
	"errors"
	"math/big"
)

// vertexPair is a completely labelled pair of (unnormalised) vertices of P and Q.
type vertexPair struct{ x, y []*big.Rat }

// ctxCheckEvery is how many pivots pass between checks of the context.
const ctxCheckEvery = 256

// newTableau returns the fastest tableau for p (128-bit unless the payoffs are too large).
func newTableau(p *polytope, wide bool) tableau {
	if !wide {
		if t, ok := newTab128(p); ok {
			return t
		}
	}
	return newBigTableau(p)
}

// vertices returns the label sets of all vertices of p, in the order found, each once. It walks the
// graph of lexicographically feasible bases depth first from the basis of slacks (z = 0), visiting
// each basis once, and restores the parent's tableau by pivoting back.
func vertices(ctx context.Context, p *polytope) ([]labelSet, error) {
	vs, err := verticesIn(ctx, newTableau(p, false))
	if errors.Is(err, errOverflow) {
		vs, err = verticesIn(ctx, newBigTableau(p))
	}
	return vs, err
}

func verticesIn(ctx context.Context, t tableau) ([]labelSet, error) {
	d := t.base()
	seenBasis := map[labelSet]struct{}{d.key: {}}
	seenVertex := map[labelSet]struct{}{}
	var out []labelSet
	record := func() {
		l := labelsOf(t)
		if _, ok := seenVertex[l]; !ok {
			seenVertex[l] = struct{}{}
			out = append(out, l)
		}
	}
	record()
	type frame struct{ r, c, next int }
	stack := []frame{{-1, -1, 0}}
	pivots := 0
	cols := len(d.nonbasic)
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next == cols {
			if f.r >= 0 {
				if err := t.pivot(f.r, f.c); err != nil {
					return nil, err
				}
			}
			stack = stack[:len(stack)-1]
			continue
		}
		c := f.next
		f.next++
		r := t.lexMinRatio(c)
		if r < 0 {
			continue // unbounded edge: impossible, the polytope is bounded
		}
		key := d.key
		key.flip(d.basic[r])
		key.flip(d.nonbasic[c])
		if _, ok := seenBasis[key]; ok {
			continue
		}
		seenBasis[key] = struct{}{}
		if pivots++; pivots%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := t.pivot(r, c); err != nil {
			return nil, err
		}
		record()
		stack = append(stack, frame{r, c, 0})
	}
	return out, nil
}

// enumerate returns all completely labelled vertex pairs (x, y) ≠ (0, 0) of P × Q.
func (g *game) enumerate(ctx context.Context) ([]vertexPair, error) {
	P, Q := g.polytopeP(), g.polytopeQ()
	vp, err := vertices(ctx, P)
	if err != nil {
		return nil, err
	}
	vq, err := vertices(ctx, Q)
	if err != nil {
		return nil, err
	}
	all := fullSet(g.m + g.n)
	// Index Q's nondegenerate vertices (exactly n labels) by label set; scan the others.
	exact := make(map[labelSet]int, len(vq))
	var degenerate []int
	for i, l := range vq {
		if l.superset(Q.zero) {
			continue
		}
		if l.count() == g.n {
			exact[l] = i
		} else {
			degenerate = append(degenerate, i)
		}
	}
	var out []vertexPair
	match := func(lx, ly labelSet) {
		out = append(out, vertexPair{P.point(lx), Q.point(ly)})
	}
	for _, lx := range vp {
		if lx.superset(P.zero) {
			continue
		}
		need := all.andNot(lx)
		if need.count() == g.n {
			if i, ok := exact[need]; ok {
				match(lx, vq[i])
			}
			for _, i := range degenerate {
				if vq[i].superset(need) {
					match(lx, vq[i])
				}
			}
			continue
		}
		for _, ly := range vq {
			if !ly.superset(Q.zero) && ly.superset(need) {
				match(lx, ly)
			}
		}
	}
	return out, nil
}

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
	// Each frame remembers the pivot (r, c) that led to it; leaving the frame pivots back on the
	// same position, which restores the parent's tableau exactly (the fraction-free tableau of a
	// basis is unique). Pivoting back measured faster than keeping copies of the tableaux.
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

// enumerate returns all completely labelled vertex pairs (x, y) ≠ (0, 0) of P × Q. It enumerates
// the vertices of the polytope of the player with fewer strategies (P, after transposing the game
// if needed); a nondegenerate vertex x has at most one partner, found by a linear solve
// (partnerSolver); for degenerate vertices, or when that system is singular, the other polytope is
// enumerated too and partners are matched by label sets.
func (g *game) enumerate(ctx context.Context) ([]vertexPair, error) {
	if g.m > g.n {
		t := g.transpose()
		pairs, err := t.enumerate(ctx)
		for i := range pairs {
			pairs[i].x, pairs[i].y = pairs[i].y, pairs[i].x
		}
		return pairs, err
	}
	P, Q := g.polytopeP(), g.polytopeQ()
	vp, err := vertices(ctx, P)
	if err != nil {
		return nil, err
	}
	all := fullSet(g.m + g.n)
	solver := newPartnerSolver(Q)
	var out []vertexPair
	var rest []labelSet // vertices of P that need Q's vertices
	for _, lx := range vp {
		if lx.superset(P.zero) {
			continue
		}
		need := all.andNot(lx)
		if need.count() != g.n {
			rest = append(rest, lx)
			continue
		}
		y, res := solver.partner(need, g.m)
		switch res {
		case solvedFeasible:
			out = append(out, vertexPair{P.point(lx), y})
		case solveSingular:
			rest = append(rest, lx)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	vq, err := vertices(ctx, Q)
	if err != nil {
		return nil, err
	}
	for _, lx := range rest {
		need := all.andNot(lx)
		for _, ly := range vq {
			if !ly.superset(Q.zero) && ly.superset(need) {
				out = append(out, vertexPair{P.point(lx), Q.point(ly)})
			}
		}
	}
	return out, nil
}

// transpose returns the game with the players' roles exchanged: (Bᵀ, Aᵀ).
func (g *game) transpose() *game {
	tr := func(M [][]*big.Rat) [][]*big.Rat {
		out := make([][]*big.Rat, len(M[0]))
		for j := range out {
			out[j] = make([]*big.Rat, len(M))
			for i := range M {
				out[j][i] = M[i][j]
			}
		}
		return out
	}
	tri := func(M [][]*big.Int) [][]*big.Int {
		if M == nil {
			return nil
		}
		out := make([][]*big.Int, len(M[0]))
		for j := range out {
			out[j] = make([]*big.Int, len(M))
			for i := range M {
				out[j][i] = M[i][j]
			}
		}
		return out
	}
	tr64 := func(M [][]int64) [][]int64 {
		if M == nil {
			return nil
		}
		out := make([][]int64, len(M[0]))
		for j := range out {
			out[j] = make([]int64, len(M))
			for i := range M {
				out[j][i] = M[i][j]
			}
		}
		return out
	}
	return &game{m: g.n, n: g.m, a: tr(g.b), b: tr(g.a), ai: tri(g.bi), bi: tri(g.ai), ai64: tr64(g.bi64), bi64: tr64(g.ai64)}
}

package bimatrix

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

// LemkeHowson returns the equilibrium at the end of the Lemke–Howson path that starts at the
// artificial equilibrium (0, 0) by dropping missingLabel: labels 0..m-1 are the row player's
// strategies, m..m+n-1 the column player's. Pivoting is exact (fraction-free integers) and
// lexicographic, so degenerate games are handled. The result is always an extreme equilibrium (the
// bases at the end of the path are feasible bases of P and Q, hence vertices), one of [Enumerate]'s.
// Invalid shapes yield an error wrapping [ErrShape], a bad label one wrapping [ErrLabel].
func LemkeHowson(A, B [][]*big.Rat, missingLabel int) (Equilibrium, error) {
	return LemkeHowsonContext(context.Background(), A, B, missingLabel)
}

// LemkeHowsonContext is [LemkeHowson] with cancellation.
func LemkeHowsonContext(ctx context.Context, A, B [][]*big.Rat, missingLabel int) (Equilibrium, error) {
	g, err := newGame(A, B)
	if err != nil {
		return Equilibrium{}, err
	}
	if missingLabel < 0 || missingLabel >= g.m+g.n {
		return Equilibrium{}, fmt.Errorf("%w: %d, game has labels 0..%d", ErrLabel, missingLabel, g.m+g.n-1)
	}
	x, y, err := g.lemkeHowsonRevised(ctx, missingLabel)
	if err != nil {
		return Equilibrium{}, err
	}
	return g.equilibrium(x, y), nil
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

// LemkeHowsonAll returns the distinct equilibria found by Lemke–Howson paths: from the artificial
// equilibrium dropping each of the m+n labels, and then, breadth first, from every equilibrium
// found dropping each label (the whole Lemke–Howson graph component of the artificial equilibrium
// in the lexicographically perturbed game). The result is sorted like [Enumerate]'s and is a subset
// of it; in degenerate games and games with equilibria off the component it can be a strict one.
func LemkeHowsonAll(A, B [][]*big.Rat) ([]Equilibrium, error) {
	return LemkeHowsonAllContext(context.Background(), A, B)
}

// LemkeHowsonAllContext is [LemkeHowsonAll] with cancellation.
func LemkeHowsonAllContext(ctx context.Context, A, B [][]*big.Rat) ([]Equilibrium, error) {
	g, err := newGame(A, B)
	if err != nil {
		return nil, err
	}
	out, err := g.lemkeHowsonAll(ctx, false)
	if errors.Is(err, errOverflow) {
		out, err = g.lemkeHowsonAll(ctx, true)
	}
	if err != nil {
		return nil, err
	}
	sortEquilibria(out)
	return out, nil
}

func (g *game) lemkeHowsonAll(ctx context.Context, wide bool) ([]Equilibrium, error) {
	start := g.lhStart(wide)
	type basisPair [2]string
	seen := map[basisPair]bool{{start.tp.base().basisKey(), start.tq.base().basisKey()}: true}
	points := map[string]bool{}
	var out []Equilibrium
	queue := []lhState{start}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for k := range g.m + g.n {
			t := lhState{s.tp.clone(), s.tq.clone()}
			if err := t.walk(ctx, k); err != nil {
				return nil, err
			}
			key := basisPair{t.tp.base().basisKey(), t.tq.base().basisKey()}
			if seen[key] {
				continue
			}
			seen[key] = true
			queue = append(queue, t)
			e := g.equilibrium(pointOf(t.tp), pointOf(t.tq))
			if pk := eqKey(e); !points[pk] {
				points[pk] = true
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// eqKey is a map key for an equilibrium's strategies.
func eqKey(e Equilibrium) string {
	b := make([]byte, 0, 64)
	for _, s := range [][]*big.Rat{e.X, e.Y} {
		for _, v := range s {
			b = v.Num().Append(b, 36)
			b = append(b, '/')
			b = v.Denom().Append(b, 36)
			b = append(b, ' ')
		}
		b = append(b, '|')
	}
	return string(b)
}

package bimatrix

import (
	"context"
	"fmt"
	"math/big"
)

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
	s := g.newLHPair()
	if err := s.walk(ctx, missingLabel); err != nil {
		return Equilibrium{}, err
	}
	return g.equilibrium(s.sp.point(), s.sq.point()), nil
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
	out, err := g.lemkeHowsonAll(ctx)
	if err != nil {
		return nil, err
	}
	sortEquilibria(out)
	return out, nil
}

func (g *game) lemkeHowsonAll(ctx context.Context) ([]Equilibrium, error) {
	start := g.newLHPair()
	seen := map[string]bool{start.key(): true}
	points := map[string]bool{}
	var out []Equilibrium
	queue := []*lhPair{start}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for k := range g.m + g.n {
			t := s.clone()
			if err := t.walk(ctx, k); err != nil {
				return nil, err
			}
			key := t.key()
			if seen[key] {
				continue
			}
			seen[key] = true
			queue = append(queue, t)
			e := g.equilibrium(t.sp.point(), t.sq.point())
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

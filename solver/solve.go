package solver

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/nashd/nashd/solver/alloc"
	"github.com/nashd/nashd/solver/bimatrix"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/sequential"
	"github.com/nashd/nashd/solver/strategic"
	"github.com/nashd/nashd/solver/welfare"
)

// Methods lists the method names [Solve] accepts.
var Methods = []string{"all", "pure", "lh", "lhall", "zerosum", "ce", "iesds", "iewds", "pareto", "spe"}

// ErrMethod reports an unknown method or one that does not apply to the game.
var ErrMethod = errors.New("solver: method not applicable")

// Solve runs method (one of [Methods]) on g; "" means "spe" for tree games and "all" otherwise.
// See the package documentation for what each method computes and the JSON fields it adds.
func Solve(ctx context.Context, g *game.Game, method string) (*Report, error) {
	if g == nil || g.Kind() == 0 {
		return nil, fmt.Errorf("%w: empty game", ErrMethod)
	}
	if method == "" {
		method = "all"
		if g.Kind() == game.KindTree {
			method = "spe"
		}
	}
	known := false
	for _, m := range Methods {
		known = known || m == method
	}
	if !known {
		return nil, fmt.Errorf("%w: unknown method %q (want one of %s)", ErrMethod, method, strings.Join(Methods, ", "))
	}
	switch g.Kind() {
	case game.KindAllocation:
		if method != "all" && method != "pareto" {
			return nil, fmt.Errorf("%w: %s on an allocation game (use all or pareto)", ErrMethod, method)
		}
		return solveAllocation(g), nil
	case game.KindTree:
		if method == "spe" {
			return solveSPE(g)
		}
		nf, _, err := g.Tree.ToNormal()
		if err != nil {
			return nil, fmt.Errorf("solve %s: normal form of the tree: %w", g.Name, err)
		}
		return solveNormal(ctx, g.Name, nf, method)
	case game.KindNormal:
		if method == "spe" {
			return nil, fmt.Errorf("%w: spe needs a sequential (tree) game", ErrMethod)
		}
		return solveNormal(ctx, g.Name, g.Normal, method)
	}
	return nil, fmt.Errorf("%w: empty game", ErrMethod)
}

func newReport(name string, g *game.Normal, method string, complete bool) *Report {
	return &Report{Game: name, Players: g.Players(), Strategies: g.AllStrategies(), Method: method, Complete: complete, Equilibria: []Equilibrium{}}
}

func solveNormal(ctx context.Context, name string, g *game.Normal, method string) (*Report, error) {
	two := g.NumPlayers() == 2
	switch method {
	case "all":
		if two {
			A, B, _ := g.Matrices()
			eqs, err := bimatrix.EnumerateContext(ctx, A, B)
			if err != nil {
				return nil, fmt.Errorf("solve %s: %w", name, err)
			}
			r := newReport(name, g, "enummixed", true)
			for _, e := range eqs {
				r.Equilibria = append(r.Equilibria, Equilibrium{Profile: []Rats{e.X, e.Y}, Payoffs: Rats{e.U, e.V}})
			}
			return r, nil
		}
		if g.NumPlayers() == 1 {
			return pureReport(name, g, "enumpure"), nil
		}
		res, err := strategic.SupportEnumeration(ctx, g, strategic.SupportOptions{})
		if err != nil {
			return nil, fmt.Errorf("solve %s: %w", name, err)
		}
		// Every pure equilibrium exactly (complete), then the mixed ones support enumeration
		// found that are not among them.
		r := pureReport(name, g, "supportenum")
		r.Complete = false
		if !res.Exhausted {
			r.Note = fmt.Sprintf("support enumeration stopped after %d support profiles; more mixed equilibria may exist", res.Supports)
		}
		for _, a := range res.Equilibria {
			if isPure(a.Profile) {
				continue
			}
			if a.Exact != nil {
				r.Equilibria = append(r.Equilibria, exactEq(a.Exact, a.ExactPayoffs))
			} else {
				r.Equilibria = append(r.Equilibria, Equilibrium{Approx: a.Profile, ApproxPayoffs: a.Payoffs, MaxRegret: a.MaxRegret})
			}
		}
		return r, nil
	case "pure":
		return pureReport(name, g, "enumpure"), nil
	case "lh", "lhall":
		if !two {
			return nil, fmt.Errorf("%w: %s needs a two-player game", ErrMethod, method)
		}
		A, B, _ := g.Matrices()
		var eqs []bimatrix.Equilibrium
		var err error
		if method == "lh" {
			var e bimatrix.Equilibrium
			if e, err = bimatrix.LemkeHowsonContext(ctx, A, B, 0); err == nil {
				eqs = []bimatrix.Equilibrium{e}
			}
		} else {
			eqs, err = bimatrix.LemkeHowsonAllContext(ctx, A, B)
		}
		if err != nil {
			return nil, fmt.Errorf("solve %s: %w", name, err)
		}
		r := newReport(name, g, "lcp", false)
		for _, e := range eqs {
			r.Equilibria = append(r.Equilibria, Equilibrium{Profile: []Rats{e.X, e.Y}, Payoffs: Rats{e.U, e.V}})
		}
		return r, nil
	case "zerosum":
		z, err := strategic.ZeroSum(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("solve %s: %w", name, err)
		}
		r := newReport(name, g, "lp", false)
		r.Equilibria = append(r.Equilibria, Equilibrium{Profile: []Rats{z.X, z.Y}, Payoffs: Rats{z.Value, new(big.Rat).Sub(z.Constant, z.Value)}})
		r.ZeroSum = &ZeroSumInfo{Value: z.Value, Constant: z.Constant}
		return r, nil
	case "ce":
		ce, err := strategic.MaxWelfareCorrelated(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("solve %s: %w", name, err)
		}
		r := newReport(name, g, "ce", false)
		info := &CorrelatedInfo{Payoffs: ce.Payoffs, Welfare: ce.Welfare.RatString(), Distribution: []ProfileProb{}}
		for k, p := range ce.Probs {
			if p.Sign() != 0 {
				info.Distribution = append(info.Distribution, ProfileProb{Profile: names(g, g.Profile(k, nil)), Prob: p.RatString()})
			}
		}
		r.Correlated = info
		return r, nil
	case "iesds", "iewds":
		weak := method == "iewds"
		steps, alive, err := strategic.IteratedElimination(ctx, g, strategic.DominanceOptions{Weak: weak, Mixed: !weak})
		if err != nil {
			return nil, fmt.Errorf("solve %s: %w", name, err)
		}
		r := pureReport(name, g, method)
		if weak {
			// Weak elimination can remove equilibria: report the pure equilibria of the
			// reduced game, which are equilibria of the original one.
			sub, err := g.Restrict(alive)
			if err != nil {
				return nil, err
			}
			r.Equilibria = []Equilibrium{}
			for _, k := range strategic.PureEquilibria(sub) {
				p := sub.Profile(k, nil)
				for i := range p {
					p[i] = alive[i][p[i]]
				}
				r.Equilibria = append(r.Equilibria, pureEq(g, p))
			}
			r.Complete = false
		}
		r.Eliminated = []EliminatedInfo{}
		for _, s := range steps {
			e := EliminatedInfo{Round: s.Round, Player: g.Players()[s.Player], Strategy: g.Strategies(s.Player)[s.Strategy]}
			if s.By >= 0 {
				e.By = g.Strategies(s.Player)[s.By]
			} else {
				e.Mixture = map[string]string{}
				for t, w := range s.Mixture {
					if w.Sign() != 0 {
						e.Mixture[g.Strategies(s.Player)[t]] = w.RatString()
					}
				}
			}
			r.Eliminated = append(r.Eliminated, e)
		}
		r.Remaining = make([][]string, len(alive))
		for i, ss := range alive {
			r.Remaining[i] = []string{}
			for _, s := range ss {
				r.Remaining[i] = append(r.Remaining[i], g.Strategies(i)[s])
			}
		}
		return r, nil
	case "pareto":
		r := pureReport(name, g, "pareto")
		pts := outcomes(g)
		strict, err := welfare.Frontier(pts)
		if err != nil {
			return nil, err
		}
		weak, _ := welfare.WeakFrontier(pts)
		r.Pareto = &ParetoInfo{Strict: []Outcome{}, Weak: []Outcome{}}
		for _, k := range strict {
			r.Pareto.Strict = append(r.Pareto.Strict, Outcome{Profile: names(g, g.Profile(k, nil)), Payoffs: pts[k].Payoffs})
		}
		for _, k := range weak {
			r.Pareto.Weak = append(r.Pareto.Weak, Outcome{Profile: names(g, g.Profile(k, nil)), Payoffs: pts[k].Payoffs})
		}
		outcome := func(k int) Outcome { return Outcome{Profile: names(g, g.Profile(k, nil)), Payoffs: pts[k].Payoffs} }
		r.Pareto.Select = map[string]Selected{}
		for _, rule := range []welfare.Rule{welfare.Utilitarian, welfare.NashProduct, welfare.Egalitarian} {
			chain := []welfare.Criterion{welfare.ByRule(rule)}
			for i := 0; i < g.NumPlayers(); i++ {
				chain = append(chain, welfare.ByPlayer(i))
			}
			sel, err := welfare.Select(pts, strict, chain...)
			if err != nil {
				return nil, err
			}
			out := Selected{Outcome: outcome(sel.Index)}
			if len(sel.Tied) > 1 {
				for _, k := range sel.Tied {
					out.Tied = append(out.Tied, outcome(k))
				}
			}
			r.Pareto.Select[rule.String()] = out
		}
		return r, nil
	}
	return nil, fmt.Errorf("%w: %s on a normal-form game", ErrMethod, method)
}

// isPure reports whether a numerical profile puts all weight on one strategy per player
// (support enumeration's size-one supports; such profiles come from PureEquilibria instead).
func isPure(p [][]float64) bool {
	for _, d := range p {
		nz := 0
		for _, x := range d {
			if x != 0 {
				nz++
			}
		}
		if nz != 1 {
			return false
		}
	}
	return true
}

// outcomes returns the pure outcomes of g as welfare points, indexed like profiles.
func outcomes(g *game.Normal) []welfare.Point {
	pts := make([]welfare.Point, g.NumProfiles())
	for k := range pts {
		pts[k] = welfare.Point{Label: strings.Join(names(g, g.Profile(k, nil)), ","), Payoffs: g.Payoffs(k)}
	}
	return pts
}

func names(g *game.Normal, p []int) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = g.Strategies(i)[s]
	}
	return out
}

func pureReport(name string, g *game.Normal, method string) *Report {
	r := newReport(name, g, method, true)
	for _, k := range strategic.PureEquilibria(g) {
		r.Equilibria = append(r.Equilibria, pureEq(g, g.Profile(k, nil)))
	}
	return r
}

func pureEq(g *game.Normal, p []int) Equilibrium {
	prof := strategic.Pure(g, p)
	e := Equilibrium{Payoffs: Rats(append([]*big.Rat(nil), g.Payoffs(g.Index(p))...))}
	for _, d := range prof {
		e.Profile = append(e.Profile, d)
	}
	return e
}

func exactEq(p strategic.Profile, pay []*big.Rat) Equilibrium {
	e := Equilibrium{Payoffs: pay}
	for _, d := range p {
		e.Profile = append(e.Profile, d)
	}
	return e
}

func solveSPE(g *game.Game) (*Report, error) {
	t := g.Tree
	s := sequential.BackwardInduction(t)
	r := &Report{Game: g.Name, Players: t.Players, Strategies: [][]string{}, Method: "spe", Complete: s.Unique, Equilibria: []Equilibrium{}}
	info := &SPEInfo{Payoffs: s.Payoffs, Unique: s.Unique, Path: []string{}}
	for _, c := range s.Choices {
		nc := NodeChoice{Node: c.Node.ID, Player: t.Players[c.Player], Action: c.Node.Actions[c.Action], Value: c.Value}
		if len(c.Ties) > 1 {
			for _, a := range c.Ties {
				nc.Ties = append(nc.Ties, c.Node.Actions[a])
			}
		}
		info.Choices = append(info.Choices, nc)
	}
	for _, st := range s.Path {
		if st.Action < 0 {
			info.Path = append(info.Path, st.Node.ID+":chance")
			break
		}
		info.Path = append(info.Path, st.Node.Actions[st.Action])
	}
	r.SPE = info
	// The equilibrium as a pure profile of the normal form, when that is small enough.
	if nf, own, err := t.ToNormal(); err == nil {
		r.Strategies = nf.AllStrategies()
		e := pureEq(nf, s.StrategyProfile(own))
		e.Payoffs = s.Payoffs
		r.Equilibria = append(r.Equilibria, e)
	}
	return r, nil
}

func solveAllocation(g *game.Game) *Report {
	a := g.Allocation
	an := alloc.Analyze(a)
	r := &Report{Game: g.Name, Players: a.Players, Strategies: [][]string{}, Method: "allocation", Complete: true, Equilibria: []Equilibrium{}}
	ef := map[int]bool{}
	for _, k := range an.EnvyFree {
		ef[k] = true
	}
	po := map[int]bool{}
	for _, k := range an.ParetoOptimal {
		po[k] = true
	}
	split := func(k int) SplitInfo {
		s := an.Splits[k]
		return SplitInfo{Shares: s.Shares, Payoffs: s.Payoffs, EnvyFree: ef[k], Pareto: po[k]}
	}
	info := &AllocationInfo{Items: a.Items, Counts: a.Counts, Splits: len(an.Splits), MaxWelfare: an.MaxWelfare.RatString(),
		EnvyFree: len(an.EnvyFree), BestEnvyFree: []SplitInfo{}, ParetoOptimal: []SplitInfo{}}
	if an.MaxEnvyFreeWelfare != nil {
		s := an.MaxEnvyFreeWelfare.RatString()
		info.MaxEnvyFreeWelfare = &s
	}
	for _, k := range an.BestEnvyFree {
		info.BestEnvyFree = append(info.BestEnvyFree, split(k))
	}
	for _, k := range an.ParetoOptimal {
		info.ParetoOptimal = append(info.ParetoOptimal, split(k))
	}
	pts := make([]welfare.Point, len(an.Splits))
	for k, s := range an.Splits {
		pts[k] = welfare.Point{Payoffs: s.Payoffs}
	}
	if nb, err := welfare.NashBargaining(pts, a.Disagreement); err == nil {
		s := split(nb.Index)
		info.NashBargaining = &s
	}
	if len(a.Players) == 2 {
		if h, err := welfare.NashBargainingHull(pts, a.Disagreement); err == nil && h.A != h.B {
			info.NashBargainingLottery = &Lottery{First: split(h.A), Second: split(h.B), P: h.T.RatString(), Payoffs: h.Payoffs}
		}
	}
	r.Allocation = info
	return r
}

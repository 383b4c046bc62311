package agents

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/sequential"
	"github.com/nashd/nashd/solver/strategic"
	"github.com/nashd/nashd/solver/welfare"
)

// NormalVerdict is the solver's judgement of a simultaneous game's outcome: the paper's
// metric (Hua et al. 2024, §4: did play reach the Nash equilibrium, the Pareto-optimal one
// where there are several) and more.
type NormalVerdict struct {
	// Actions holds each player's strategy.
	Actions [2]string
	// Payoffs and Regret are each player's payoff and gain from their best unilateral
	// deviation (exact).
	Payoffs []*big.Rat
	Regret  []*big.Rat
	// Equilibrium: the outcome is a pure Nash equilibrium (every regret zero).
	Equilibrium bool
	// ParetoEquilibrium: the outcome is an equilibrium that no other pure equilibrium
	// Pareto-dominates (the paper's target where several equilibria exist; with one
	// equilibrium, the same as Equilibrium).
	ParetoEquilibrium bool
	// ParetoOptimal: no pure outcome Pareto-dominates the outcome.
	ParetoOptimal bool
	// Equilibria lists the game's pure equilibria, ParetoEquilibria the Pareto-optimal
	// ones among them, as strategy names.
	Equilibria       [][2]string
	ParetoEquilibria [][2]string
}

// JudgeNormal judges the pure profile of a two-player normal-form game with the solver:
// [strategic.VerifyPure] for regrets and domination, [strategic.PureEquilibria] and
// [welfare.Frontier] for the equilibria and the Pareto-optimal ones among them.
func JudgeNormal(g *game.Normal, profile [2]int) (*NormalVerdict, error) {
	if g.NumPlayers() != 2 {
		return nil, fmt.Errorf("%w: %d players", ErrGame, g.NumPlayers())
	}
	v, err := strategic.VerifyPure(g, profile[:])
	if err != nil {
		return nil, err
	}
	out := &NormalVerdict{Payoffs: v.Payoffs, Regret: v.Regret, Equilibrium: v.Equilibrium,
		ParetoOptimal: len(v.DominatedBy) == 0}
	for i := range 2 {
		out.Actions[i] = g.Strategies(i)[profile[i]]
	}
	eq := strategic.PureEquilibria(g)
	pts := make([]welfare.Point, len(eq))
	k0 := g.Index(profile[:])
	for j, k := range eq {
		out.Equilibria = append(out.Equilibria, profileNames(g, k))
		pts[j] = welfare.Point{Payoffs: g.Payoffs(k)}
	}
	if len(eq) > 0 {
		front, err := welfare.Frontier(pts)
		if err != nil {
			return nil, err
		}
		for _, j := range front {
			out.ParetoEquilibria = append(out.ParetoEquilibria, profileNames(g, eq[j]))
			if eq[j] == k0 {
				out.ParetoEquilibrium = true
			}
		}
	}
	return out, nil
}

func profileNames(g *game.Normal, k int) [2]string {
	p := g.Profile(k, nil)
	return [2]string{g.Strategies(0)[p[0]], g.Strategies(1)[p[1]]}
}

// TreeStep is one move of a sequential game's play.
type TreeStep struct {
	Node   string // the node's id in the game file
	Player string // the mover; "chance" at a chance node
	Action string
}

// TreeVerdict is the solver's judgement of a sequential game's play.
type TreeVerdict struct {
	// Path is the play from the root to a terminal node.
	Path []TreeStep
	// Payoffs are the terminal node's payoffs.
	Payoffs []*big.Rat
	// SPE: some subgame-perfect equilibrium produces this path (given the chance moves
	// drawn), decided exactly: ties between moves are resolved in every possible way, not
	// only as backward induction's first choice.
	SPE bool
	// SPEPath and SPEPayoffs are backward induction's equilibrium path from the root
	// (first best move at ties; it stops at a chance node) and expected payoffs.
	SPEPath    []string
	SPEPayoffs []*big.Rat
	// UniqueSPE: no decision node has tied moves, so the equilibrium is unique.
	UniqueSPE bool
}

// MaxValueSet bounds the payoff vectors [JudgeTree] keeps for one subgame (only chance
// nodes over subgames with tied moves multiply them).
const MaxValueSet = 1 << 14

// JudgeTree judges a play of a perfect-information tree given as the action index taken at
// each node from the root to a terminal node (chance outcomes included). SPE is decided on
// the sets of subgame-perfect payoff vectors of every subgame: at a node of player p, a
// continuation v from child c is subgame-perfect when v_p is at least, for every other
// child, the least payoff p gets in any subgame-perfect continuation there (the harshest
// continuation deters a deviation); a chance node mixes any continuations of its children.
// The path is subgame-perfect when the set of continuations that follow it is not empty
// (Selten 1965; backward induction, [sequential.BackwardInduction], picks one of them).
func JudgeTree(t *game.Tree, moves []int) (*TreeVerdict, error) {
	v := &TreeVerdict{}
	n := t.Root
	for i, a := range moves {
		if n.Terminal() {
			return nil, fmt.Errorf("%w: the play continues after the terminal node %q", ErrGame, n.ID)
		}
		if a < 0 || a >= len(n.Children) {
			return nil, fmt.Errorf("%w: move %d at node %q has no action %d", ErrGame, i+1, n.ID, a)
		}
		v.Path = append(v.Path, TreeStep{Node: n.ID, Player: moverName(t, n), Action: n.Actions[a]})
		n = n.Children[a]
	}
	if !n.Terminal() {
		return nil, fmt.Errorf("%w: the play stops at node %q before the game ends", ErrGame, n.ID)
	}
	v.Payoffs = n.Payoffs
	spe := sequential.BackwardInduction(t)
	v.SPEPayoffs, v.UniqueSPE = spe.Payoffs, spe.Unique
	for _, s := range spe.Path {
		if s.Action >= 0 {
			v.SPEPath = append(v.SPEPath, s.Node.Actions[s.Action])
		}
	}
	j := speJudge{t: t, all: map[*game.Node]vecSet{}}
	on, err := j.onPath(t.Root, moves)
	if err != nil {
		return nil, err
	}
	v.SPE = len(on) > 0
	return v, nil
}

// vecSet is a set of payoff vectors keyed by their text.
type vecSet map[string][]*big.Rat

func (s vecSet) add(v []*big.Rat) {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = x.RatString()
	}
	s[strings.Join(parts, ",")] = v
}

type speJudge struct {
	t   *game.Tree
	all map[*game.Node]vecSet // subgame-perfect payoff vectors of each subgame
}

// values returns the payoff vectors of the subgame-perfect equilibria of n's subgame.
func (j *speJudge) values(n *game.Node) (vecSet, error) {
	if s, ok := j.all[n]; ok {
		return s, nil
	}
	var s vecSet
	var err error
	switch {
	case n.Terminal():
		s = vecSet{}
		s.add(n.Payoffs)
	case n.Player == game.Chance:
		s, err = j.mix(n, -1, nil)
	default:
		s = vecSet{}
		for c := range n.Children {
			cs, err := j.values(n.Children[c])
			if err != nil {
				return nil, err
			}
			if err := j.keepDeterred(n, c, cs, s); err != nil {
				return nil, err
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if len(s) > MaxValueSet {
		return nil, fmt.Errorf("%w: more than %d subgame-perfect payoff vectors at node %q", ErrGame, MaxValueSet, n.ID)
	}
	j.all[n] = s
	return s, nil
}

// keepDeterred adds to out the vectors of cand (continuations after child c of n) that
// give n's mover at least the harshest subgame-perfect payoff of every other child.
func (j *speJudge) keepDeterred(n *game.Node, c int, cand, out vecSet) error {
	p := n.Player
	var bar *big.Rat
	for d, ch := range n.Children {
		if d == c {
			continue
		}
		ds, err := j.values(ch)
		if err != nil {
			return err
		}
		var low *big.Rat
		for _, w := range ds {
			if low == nil || w[p].Cmp(low) < 0 {
				low = w[p]
			}
		}
		if bar == nil || low.Cmp(bar) > 0 {
			bar = low
		}
	}
	for _, v := range cand {
		if bar == nil || v[p].Cmp(bar) >= 0 {
			out.add(v)
		}
	}
	return nil
}

// mix returns the expected payoff vectors of chance node n over every choice of its
// children's continuations; when fixed ≥ 0, child fixed's continuations are given.
func (j *speJudge) mix(n *game.Node, fixed int, given vecSet) (vecSet, error) {
	acc := vecSet{}
	zero := make([]*big.Rat, len(j.t.Players))
	for i := range zero {
		zero[i] = new(big.Rat)
	}
	acc.add(zero)
	for c, ch := range n.Children {
		cs := given
		if c != fixed {
			var err error
			if cs, err = j.values(ch); err != nil {
				return nil, err
			}
		}
		next := vecSet{}
		for _, a := range acc {
			for _, w := range cs {
				v := make([]*big.Rat, len(a))
				for i := range a {
					v[i] = new(big.Rat).Add(a[i], new(big.Rat).Mul(n.Probs[c], w[i]))
				}
				next.add(v)
				if len(next) > MaxValueSet {
					return nil, fmt.Errorf("%w: more than %d subgame-perfect payoff vectors at chance node %q", ErrGame, MaxValueSet, n.ID)
				}
			}
		}
		acc = next
	}
	return acc, nil
}

// onPath returns the subgame-perfect payoff vectors of n's subgame whose play follows
// moves (which lead from n to a terminal node).
func (j *speJudge) onPath(n *game.Node, moves []int) (vecSet, error) {
	if n.Terminal() {
		s := vecSet{}
		s.add(n.Payoffs)
		return s, nil
	}
	c := moves[0]
	follow, err := j.onPath(n.Children[c], moves[1:])
	if err != nil {
		return nil, err
	}
	if n.Player == game.Chance {
		return j.mix(n, c, follow)
	}
	out := vecSet{}
	if err := j.keepDeterred(n, c, follow, out); err != nil {
		return nil, err
	}
	return out, nil
}

package sequential

import (
	"math/big"

	"github.com/nashd/nashd/solver/game"
)

// Choice is the equilibrium move at one decision node.
type Choice struct {
	Node   *game.Node
	Player int
	// Action is the chosen move (index into Node.Actions): the first of the best moves.
	Action int
	// Ties lists every move that gives the mover the same best continuation payoff (Action
	// included); more than one entry means the player is indifferent and other SPEs exist.
	Ties []int
	// Value is the continuation payoff vector of the subgame at Node under the equilibrium.
	Value []*big.Rat
}

// Step is one move on the equilibrium path.
type Step struct {
	Node   *game.Node
	Action int // −1 at a chance node, where the path stops (later moves depend on chance)
}

// SPE is a subgame-perfect equilibrium in pure strategies: a move at every decision node,
// reached or not (a full strategy profile, not only the path).
type SPE struct {
	// Choices has one entry per decision node, in preorder.
	Choices []Choice
	// Payoffs is the expected payoff vector at the root.
	Payoffs []*big.Rat
	// Path is the play from the root until a terminal or chance node.
	Path []Step
	// Unique reports that no decision node has tied moves, so this is the only pure SPE
	// (with generic payoffs it is the unique SPE).
	Unique bool
}

// BackwardInduction computes a subgame-perfect equilibrium: from the leaves up, each mover
// picks a move maximising their own continuation payoff (ties: the first listed move, with
// the tie recorded), and a chance node's value is the probability-weighted average of its
// children's values. Exact rational arithmetic throughout.
func BackwardInduction(t *game.Tree) *SPE {
	s := &SPE{Unique: true}
	choice := map[*game.Node]int{}
	var solve func(n *game.Node) []*big.Rat
	solve = func(n *game.Node) []*big.Rat {
		if n.Terminal() {
			return n.Payoffs
		}
		vals := make([][]*big.Rat, len(n.Children))
		idx := -1
		if n.Player != game.Chance {
			idx = len(s.Choices)
			s.Choices = append(s.Choices, Choice{Node: n, Player: n.Player}) // preorder slot
		}
		for c, ch := range n.Children {
			vals[c] = solve(ch)
		}
		if n.Player == game.Chance {
			out := make([]*big.Rat, len(t.Players))
			for i := range out {
				out[i] = new(big.Rat)
			}
			tmp := new(big.Rat)
			for c, v := range vals {
				for i := range out {
					out[i].Add(out[i], tmp.Mul(n.Probs[c], v[i]))
				}
			}
			return out
		}
		best := 0
		for c := 1; c < len(vals); c++ {
			if vals[c][n.Player].Cmp(vals[best][n.Player]) > 0 {
				best = c
			}
		}
		var ties []int
		for c := range vals {
			if vals[c][n.Player].Cmp(vals[best][n.Player]) == 0 {
				ties = append(ties, c)
			}
		}
		if len(ties) > 1 {
			s.Unique = false
		}
		s.Choices[idx].Action, s.Choices[idx].Ties, s.Choices[idx].Value = best, ties, vals[best]
		choice[n] = best
		return vals[best]
	}
	s.Payoffs = solve(t.Root)
	for n := t.Root; ; {
		if n.Terminal() {
			break
		}
		if n.Player == game.Chance {
			s.Path = append(s.Path, Step{Node: n, Action: -1})
			break
		}
		a := choice[n]
		s.Path = append(s.Path, Step{Node: n, Action: a})
		n = n.Children[a]
	}
	return s
}

// StrategyProfile returns the equilibrium as a pure profile of the tree's normal form (see
// [game.Tree.ToNormal]: own[i] lists player i's decision nodes in the order used there), as one
// strategy index per player.
func (s *SPE) StrategyProfile(own [][]*game.Node) []int {
	act := map[*game.Node]int{}
	for _, c := range s.Choices {
		act[c.Node] = c.Action
	}
	out := make([]int, len(own))
	for i, nodes := range own {
		k := 0
		for _, n := range nodes { // first node is the most significant digit
			k = k*len(n.Children) + act[n]
		}
		out[i] = k
	}
	return out
}

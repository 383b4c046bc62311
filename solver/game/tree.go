package game

import (
	"errors"
	"fmt"
	"math/big"
)

// Chance is the Player value of a chance node.
const Chance = -1

// MaxTreeNodes bounds the size of a [Tree].
const MaxTreeNodes = 1 << 20

// ErrTree reports a malformed game tree.
var ErrTree = errors.New("game: invalid game tree")

// Node is a node of a perfect-information game tree. A node with no children is terminal and
// has Payoffs (one per player); otherwise it is a decision node of player Player (an index into
// Tree.Players) or, when Player == [Chance], a chance node whose Probs (one per child, summing to
// 1) give the probability of each move. Actions labels the moves, one per child.
type Node struct {
	ID       string     // unique name, used in reports
	Player   int        // player index, or Chance; ignored for terminal nodes
	Actions  []string   // move labels, one per child
	Children []*Node    // successors; empty for a terminal node
	Probs    []*big.Rat // chance nodes: move probabilities
	Payoffs  []*big.Rat // terminal nodes: one payoff per player
}

// Terminal reports whether the node has no moves.
func (n *Node) Terminal() bool { return len(n.Children) == 0 }

// Tree is a finite extensive-form game with perfect information (every decision node is its own
// information set) and chance moves.
type Tree struct {
	Players []string
	Root    *Node
	nodes   []*Node // preorder
}

// NewTree validates a tree: every node reachable once (no sharing, no cycles), unique IDs, actions
// and children of equal length with distinct action labels, decision nodes owned by an existing
// player, chance probabilities non-negative and summing to exactly 1, terminal payoff vectors
// of the right length.
func NewTree(players []string, root *Node) (*Tree, error) {
	if len(players) == 0 {
		return nil, fmt.Errorf("%w: no players", ErrTree)
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no root", ErrTree)
	}
	t := &Tree{Players: append([]string(nil), players...), Root: root}
	seen := map[*Node]bool{}
	ids := map[string]bool{}
	var walk func(n *Node, depth int) error
	walk = func(n *Node, depth int) error {
		if n == nil {
			return fmt.Errorf("%w: nil node", ErrTree)
		}
		if seen[n] {
			return fmt.Errorf("%w: node %q is reached twice (a tree has one path to each node)", ErrTree, n.ID)
		}
		seen[n] = true
		if len(seen) > MaxTreeNodes || depth > MaxTreeNodes {
			return fmt.Errorf("%w: more than %d nodes", ErrTree, MaxTreeNodes)
		}
		if n.ID != "" {
			if ids[n.ID] {
				return fmt.Errorf("%w: duplicate node id %q", ErrTree, n.ID)
			}
			ids[n.ID] = true
		}
		t.nodes = append(t.nodes, n)
		if n.Terminal() {
			if len(n.Payoffs) != len(players) {
				return fmt.Errorf("%w: terminal node %q has %d payoffs for %d players", ErrTree, n.ID, len(n.Payoffs), len(players))
			}
			for _, p := range n.Payoffs {
				if p == nil {
					return fmt.Errorf("%w: terminal node %q: missing payoff", ErrTree, n.ID)
				}
			}
			return nil
		}
		if len(n.Actions) != len(n.Children) {
			return fmt.Errorf("%w: node %q has %d action labels for %d moves", ErrTree, n.ID, len(n.Actions), len(n.Children))
		}
		if err := UniqueNames(fmt.Sprintf("action at node %q", n.ID), n.Actions); err != nil {
			return fmt.Errorf("%w: %v", ErrTree, err)
		}
		switch {
		case n.Player == Chance:
			if len(n.Probs) != len(n.Children) {
				return fmt.Errorf("%w: chance node %q has %d probabilities for %d moves", ErrTree, n.ID, len(n.Probs), len(n.Children))
			}
			sum := new(big.Rat)
			for _, p := range n.Probs {
				if p == nil || p.Sign() < 0 {
					return fmt.Errorf("%w: chance node %q has a negative or missing probability", ErrTree, n.ID)
				}
				sum.Add(sum, p)
			}
			if sum.Cmp(big.NewRat(1, 1)) != 0 {
				return fmt.Errorf("%w: probabilities at chance node %q sum to %s, not 1", ErrTree, n.ID, sum.RatString())
			}
		case n.Player < 0 || n.Player >= len(players):
			return fmt.Errorf("%w: node %q belongs to player %d of %d", ErrTree, n.ID, n.Player+1, len(players))
		}
		for _, c := range n.Children {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	// Give unnamed nodes their preorder number as ID.
	for i, n := range t.nodes {
		if n.ID == "" {
			id := fmt.Sprintf("n%d", i)
			for ids[id] {
				id += "'"
			}
			ids[id] = true
			n.ID = id
		}
	}
	return t, nil
}

// Nodes returns all nodes in preorder (do not modify).
func (t *Tree) Nodes() []*Node { return t.nodes }

// DecisionNodes returns player i's decision nodes in preorder.
func (t *Tree) DecisionNodes(i int) []*Node {
	var out []*Node
	for _, n := range t.nodes {
		if !n.Terminal() && n.Player == i {
			out = append(out, n)
		}
	}
	return out
}

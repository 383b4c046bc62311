package agents

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/nashd/nashd/solver/game"
)

// The prompts are nashd's own wording of the negotiation-games paper's setting (Hua et al.
// 2024, §3): the system message states the game as both players know it; the questions
// (see normal.go and tree.go) add what the mode gives.

// intro opens every system message.
func intro(g *game.Game, me, opp string) string {
	s := fmt.Sprintf("You are %s, one of the two players of the game %q; the other player is %s. Both of you know everything written here.\n", me, g.Name, opp)
	if d := strings.TrimSpace(g.Description); d != "" {
		s += "\n" + d + "\n"
	}
	return s
}

// payoffText writes a payoff vector with the players' names: "Alice 3, Bob -2".
func payoffText(players []string, v []*big.Rat) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = players[i] + " " + x.RatString()
	}
	return strings.Join(parts, ", ")
}

// normalSystem is the system message of player i in a two-player normal-form game.
func normalSystem(g *game.Game, i int) string {
	nf := g.Normal
	pl := nf.Players()
	var b strings.Builder
	b.WriteString(intro(g, pl[i], pl[1-i]))
	fmt.Fprintf(&b, "\n%s chooses one of: %s. %s chooses one of: %s. Both choose at the same time; neither sees the other's choice before making their own.\n",
		pl[0], strings.Join(nf.Strategies(0), ", "), pl[1], strings.Join(nf.Strategies(1), ", "))
	b.WriteString("\nPayoffs for every pair of choices (higher is better):\n")
	for r, rs := range nf.Strategies(0) {
		for c, cs := range nf.Strategies(1) {
			fmt.Fprintf(&b, "- %s %s, %s %s: %s\n", pl[0], rs, pl[1], cs, payoffText(pl, nf.Payoffs(nf.Index([]int{r, c}))))
		}
	}
	fmt.Fprintf(&b, "\nYour aim is the highest payoff for yourself, %s.", pl[i])
	return b.String()
}

// nodeLabel names a node by the moves that lead to it: "At the start", "After A2, B2".
func nodeLabel(path []string) string {
	if len(path) == 0 {
		return "At the start"
	}
	return "After " + strings.Join(path, ", ")
}

// treeWalk visits every node of t in preorder with the moves leading to it.
func treeWalk(t *game.Tree, visit func(n *game.Node, path []string)) {
	var walk func(n *game.Node, path []string)
	walk = func(n *game.Node, path []string) {
		visit(n, path)
		for c, ch := range n.Children {
			walk(ch, append(path[:len(path):len(path)], n.Actions[c]))
		}
	}
	walk(t.Root, nil)
}

// moverName names a node's mover.
func moverName(t *game.Tree, n *game.Node) string {
	if n.Player == game.Chance {
		return "chance"
	}
	return t.Players[n.Player]
}

// treeSystem is the system message of player i in a two-player sequential game.
func treeSystem(g *game.Game, i int) string {
	t := g.Tree
	var b strings.Builder
	b.WriteString(intro(g, t.Players[i], t.Players[1-i]))
	b.WriteString("\nThe game is played move by move, and both players see every move. The moves:\n")
	treeWalk(t, func(n *game.Node, path []string) {
		if n.Terminal() {
			return
		}
		verb := moverName(t, n) + " moves"
		if n.Player == game.Chance {
			verb = "chance decides"
		}
		var moves []string
		for c, ch := range n.Children {
			m := n.Actions[c]
			if n.Player == game.Chance {
				m += " (probability " + n.Probs[c].RatString() + ")"
			}
			if ch.Terminal() {
				m += " ends the game: " + payoffText(t.Players, ch.Payoffs)
			} else {
				m += " leads to " + moverName(t, ch) + "'s move"
				if ch.Player == game.Chance {
					m = strings.TrimSuffix(m, "chance's move") + "a chance move"
				}
			}
			moves = append(moves, m)
		}
		fmt.Fprintf(&b, "- %s, %s: %s.\n", nodeLabel(path), verb, strings.Join(moves, "; "))
	})
	fmt.Fprintf(&b, "\nYour aim is the highest payoff for yourself, %s.", t.Players[i])
	return b.String()
}

// oneLineNames checks that every player, strategy and move name fits on one line, as the
// answers' forms need.
func oneLineNames(g *game.Game) error {
	check := func(what, s string) error {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\n\r") {
			return fmt.Errorf("%w: %s %q must be a non-empty single line", ErrGame, what, s)
		}
		return nil
	}
	for _, p := range g.Players() {
		if err := check("player name", p); err != nil {
			return err
		}
	}
	switch {
	case g.Normal != nil:
		for i := range g.Normal.NumPlayers() {
			for _, s := range g.Normal.Strategies(i) {
				if err := check("strategy", s); err != nil {
					return err
				}
			}
		}
	case g.Tree != nil:
		for _, n := range g.Tree.Nodes() {
			for _, a := range n.Actions {
				if err := check("move", a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

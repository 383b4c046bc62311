package agents

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/sequential"
	"github.com/nashd/nashd/solver/strategic"
)

// Claims grades a prompted agent's workflow: every best response or backward-induction
// move it stated, checked by the solver.
type Claims struct {
	Total   int `json:"total"`
	Correct int `json:"correct"`
	// Wrong lists the refuted claims as the agent wrote them, with the solver's answer.
	Wrong []string `json:"wrong,omitempty"`
}

func (c *Claims) grade(ok bool, claim, truth string) {
	c.Total++
	if ok {
		c.Correct++
		return
	}
	c.Wrong = append(c.Wrong, claim+" (solver: "+truth+")")
}

// bestResponses returns player i's best replies to the opponent's strategy s, by
// [strategic.VerifyPure] at a profile where the opponent plays s.
func bestResponses(g *game.Normal, i, s int) ([]int, error) {
	p := [2]int{}
	p[1-i] = s
	v, err := strategic.VerifyPure(g, p[:])
	if err != nil {
		return nil, err
	}
	return v.BestResponses[i], nil
}

func names(list []string, idx []int) []string {
	out := make([]string, len(idx))
	for k, x := range idx {
		out[k] = list[x]
	}
	return out
}

// normalFacts is what the solver tells a verified agent i about a normal-form game: the best
// responses both ways, the pure equilibria and which are Pareto-optimal, the mixed equilibria.
func normalFacts(ctx context.Context, g *game.Game, i int) (string, error) {
	nf := g.Normal
	pl := nf.Players()
	me, opp := pl[i], pl[1-i]
	var b strings.Builder
	b.WriteString("The solver has analysed the game exactly:\n")
	for s, name := range nf.Strategies(i) {
		br, err := bestResponses(nf, 1-i, s)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "- If you play %s, %s's best response: %s.\n", name, opp, strings.Join(names(nf.Strategies(1-i), br), " or "))
	}
	for s, name := range nf.Strategies(1 - i) {
		br, err := bestResponses(nf, i, s)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "- If %s plays %s, your best response: %s.\n", opp, name, strings.Join(names(nf.Strategies(i), br), " or "))
	}
	v, err := JudgeNormal(nf, [2]int{})
	if err != nil {
		return "", err
	}
	eqText := func(list [][2]string) string {
		var parts []string
		for _, e := range list {
			k := nf.Index([]int{slices.Index(nf.Strategies(0), e[0]), slices.Index(nf.Strategies(1), e[1])})
			parts = append(parts, fmt.Sprintf("(%s %s, %s %s) paying %s", pl[0], e[0], pl[1], e[1], payoffText(pl, nf.Payoffs(k))))
		}
		return strings.Join(parts, "; ")
	}
	switch len(v.Equilibria) {
	case 0:
		b.WriteString("- There is no pure-strategy Nash equilibrium.\n")
	case 1:
		fmt.Fprintf(&b, "- The only pure-strategy Nash equilibrium: %s.\n", eqText(v.Equilibria))
	default:
		fmt.Fprintf(&b, "- Pure-strategy Nash equilibria: %s.\n", eqText(v.Equilibria))
		if len(v.ParetoEquilibria) < len(v.Equilibria) {
			fmt.Fprintf(&b, "- Of these, not Pareto-dominated by another equilibrium: %s.\n", eqText(v.ParetoEquilibria))
		} else {
			b.WriteString("- None of them Pareto-dominates another.\n")
		}
	}
	rep, err := solver.Solve(ctx, &game.Game{Name: g.Name, Normal: nf}, "all")
	if err != nil {
		return "", fmt.Errorf("agents: solve %s: %w", g.Name, err)
	}
	for _, e := range rep.Equilibria {
		if !e.Exact() || isPure(e.Profile) {
			continue
		}
		var parts []string
		for p, probs := range e.Profile {
			var mix []string
			for s, x := range probs {
				if x.Sign() != 0 {
					mix = append(mix, nf.Strategies(p)[s]+" with probability "+x.RatString())
				}
			}
			parts = append(parts, pl[p]+" plays "+strings.Join(mix, ", "))
		}
		fmt.Fprintf(&b, "- A mixed equilibrium: %s; expected payoffs %s.\n", strings.Join(parts, "; "), payoffText(pl, e.Payoffs))
	}
	fmt.Fprintf(&b, "You are %s.", me)
	return b.String(), nil
}

func isPure(p []solver.Rats) bool {
	for _, probs := range p {
		for _, x := range probs {
			if x.Sign() != 0 && x.Cmp(big.NewRat(1, 1)) != 0 {
				return false
			}
		}
	}
	return true
}

// normalForm is the answer form of player i in a normal-form game: with the prompted
// workflow, the best-response lines first (Hua et al. 2024, §3.1); then the reason or
// strategy line; then the action.
func normalForm(nf *game.Normal, i int, mode Mode, reasonChars int) form {
	opp := nf.Players()[1-i]
	var f form
	if mode == Prompted {
		for _, s := range nf.Strategies(i) {
			f = append(f, slot{prefix: fmt.Sprintf("If I play %s, %s's best response is ", s, opp), suffix: ".", names: nf.Strategies(1 - i), multi: true})
		}
		for _, s := range nf.Strategies(1 - i) {
			f = append(f, slot{prefix: fmt.Sprintf("If %s plays %s, my best response is ", opp, s), suffix: ".", names: nf.Strategies(i), multi: true})
		}
	}
	if reasonChars > 0 {
		label := "Reason: "
		if mode == Prompted {
			label = "Strategy: "
		}
		f = append(f, slot{prefix: label, chars: reasonChars})
	}
	return append(f, slot{prefix: "ACTION: ", names: nf.Strategies(i)})
}

// gradeNormal checks a prompted answer's best-response claims (the first slots of its
// form): a claim is correct when every strategy it names is a best response.
func gradeNormal(nf *game.Normal, i int, f form, values [][]string, c *Claims) error {
	k := 0
	for who, n := range []int{nf.NumStrategies(i), nf.NumStrategies(1 - i)} {
		for s := range n {
			responder := 1 - i // who == 0: my strategy s, the opponent responds
			if who == 1 {
				responder = i
			}
			br, err := bestResponses(nf, responder, s)
			if err != nil {
				return err
			}
			truth := names(nf.Strategies(responder), br)
			claim, ok := values[k], values[k] != nil
			for _, x := range claim {
				ok = ok && slices.Contains(truth, x)
			}
			written := strings.TrimSpace(f[k].prefix) + " " + strings.Join(claim, " or ")
			if claim == nil {
				written = strings.TrimSpace(f[k].prefix) + " (missing)"
			}
			c.grade(ok, written, strings.Join(truth, " or "))
			k++
		}
	}
	return nil
}

// below lists the decision nodes strictly below n in reverse preorder, so every node comes
// after the nodes of its subtree (backward induction's order).
func below(n *game.Node) []*game.Node {
	var out []*game.Node
	var walk func(m *game.Node)
	walk = func(m *game.Node) {
		if m != n && !m.Terminal() && m.Player != game.Chance {
			out = append(out, m)
		}
		for _, ch := range m.Children {
			walk(ch)
		}
	}
	walk(n)
	slices.Reverse(out)
	return out
}

// treeForm is the answer form at node n: with the prompted workflow, one line per decision
// node below n, deepest first (Hua et al. 2024, §3.2: backward induction); then the
// reason or strategy line; then the move.
func treeForm(t *game.Tree, n *game.Node, labels map[*game.Node]string, mode Mode, reasonChars int) form {
	var f form
	if mode == Prompted {
		for _, m := range below(n) {
			f = append(f, slot{prefix: fmt.Sprintf("%s, %s picks ", labels[m], t.Players[m.Player]), suffix: ".", names: m.Actions})
		}
	}
	if reasonChars > 0 {
		label := "Reason: "
		if mode == Prompted {
			label = "Strategy: "
		}
		f = append(f, slot{prefix: label, chars: reasonChars})
	}
	return append(f, slot{prefix: "ACTION: ", names: n.Actions})
}

// gradeTree checks a prompted answer's backward-induction claims: a claimed move is correct
// when backward induction finds it optimal for the node's mover (one of its tied moves).
func gradeTree(n *game.Node, spe *sequential.SPE, f form, values [][]string, c *Claims) {
	ties := map[*game.Node][]int{}
	for _, ch := range spe.Choices {
		ties[ch.Node] = ch.Ties
	}
	for k, m := range below(n) {
		truth := names(m.Actions, ties[m])
		claim := values[k]
		ok := len(claim) == 1 && slices.Contains(truth, claim[0])
		written := strings.TrimSpace(f[k].prefix) + " " + strings.Join(claim, "")
		if claim == nil {
			written = strings.TrimSpace(f[k].prefix) + " (missing)"
		}
		c.grade(ok, written, strings.Join(truth, " or "))
	}
}

// treeFacts is what the solver tells a verified agent at node n: backward induction's move
// at every decision node below n (deepest first), the best move here and the equilibrium
// play from here.
func treeFacts(t *game.Tree, n *game.Node, labels map[*game.Node]string, spe *sequential.SPE) string {
	choice := map[*game.Node]sequential.Choice{}
	for _, ch := range spe.Choices {
		choice[ch.Node] = ch
	}
	var b strings.Builder
	b.WriteString("The solver has worked backwards through the game from here (subgame-perfect equilibrium):\n")
	move := func(m *game.Node) string {
		ch := choice[m]
		s := strings.Join(names(m.Actions, ch.Ties), " or ")
		if len(ch.Ties) > 1 {
			s += " (equally good for " + t.Players[m.Player] + ")"
		}
		return s + ", leading to " + payoffText(t.Players, ch.Value)
	}
	for _, m := range below(n) {
		fmt.Fprintf(&b, "- %s, %s picks %s.\n", labels[m], t.Players[m.Player], move(m))
	}
	fmt.Fprintf(&b, "- Here (%s), your best move: %s.\n", strings.ToLower(labels[n][:1])+labels[n][1:], move(n))
	var path []string
	for m := n; !m.Terminal() && m.Player != game.Chance; {
		a := choice[m].Action
		path = append(path, m.Actions[a])
		m = m.Children[a]
	}
	fmt.Fprintf(&b, "- Equilibrium play from here: %s.", strings.Join(path, ", "))
	return b.String()
}

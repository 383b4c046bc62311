package agents

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/sequential"
)

// indepNormal judges a pure profile with plain loops: regrets, equilibrium, Pareto
// optimality and whether it is an undominated equilibrium.
type indepNormal struct {
	payoffs, regret  [2]*big.Rat
	eq, paretoEq, po bool
}

func judgeByHand(g *game.Normal, a, b int) indepNormal {
	pay := func(r, c, i int) *big.Rat { return g.Payoff(g.Index([]int{r, c}), i) }
	m, n := g.NumStrategies(0), g.NumStrategies(1)
	isEq := func(r, c int) bool {
		for x := range m {
			if pay(x, c, 0).Cmp(pay(r, c, 0)) > 0 {
				return false
			}
		}
		for y := range n {
			if pay(r, y, 1).Cmp(pay(r, c, 1)) > 0 {
				return false
			}
		}
		return true
	}
	dominates := func(r1, c1, r2, c2 int) bool {
		ge := pay(r1, c1, 0).Cmp(pay(r2, c2, 0)) >= 0 && pay(r1, c1, 1).Cmp(pay(r2, c2, 1)) >= 0
		gt := pay(r1, c1, 0).Cmp(pay(r2, c2, 0)) > 0 || pay(r1, c1, 1).Cmp(pay(r2, c2, 1)) > 0
		return ge && gt
	}
	var out indepNormal
	out.payoffs = [2]*big.Rat{pay(a, b, 0), pay(a, b, 1)}
	best0, best1 := pay(a, b, 0), pay(a, b, 1)
	for x := range m {
		if pay(x, b, 0).Cmp(best0) > 0 {
			best0 = pay(x, b, 0)
		}
	}
	for y := range n {
		if pay(a, y, 1).Cmp(best1) > 0 {
			best1 = pay(a, y, 1)
		}
	}
	out.regret = [2]*big.Rat{new(big.Rat).Sub(best0, pay(a, b, 0)), new(big.Rat).Sub(best1, pay(a, b, 1))}
	out.eq = isEq(a, b)
	out.po = true
	out.paretoEq = out.eq
	for x := range m {
		for y := range n {
			if dominates(x, y, a, b) {
				out.po = false
				if isEq(x, y) {
					out.paretoEq = false
				}
			}
		}
	}
	return out
}

// biPath is backward induction with plain recursion: the move maximising the mover's
// payoff at each node (the test games have no chance nodes), and whether any node has ties.
func biPath(n *game.Node) (path []string, value []*big.Rat, ties bool) {
	if n.Terminal() {
		return nil, n.Payoffs, false
	}
	best := -1
	var bestPath []string
	var bestVal []*big.Rat
	for c, ch := range n.Children {
		p, v, tie := biPath(ch)
		ties = ties || tie
		switch {
		case best < 0 || v[n.Player].Cmp(bestVal[n.Player]) > 0:
			best, bestPath, bestVal = c, p, v
		case v[n.Player].Cmp(bestVal[n.Player]) == 0:
			ties = true
		}
	}
	return append([]string{n.Actions[best]}, bestPath...), bestVal, ties
}

func ratEq(a, b *big.Rat) bool { return a.Cmp(b) == 0 }

// Every shipped game, in every mode and several pairings, ends with legal actions and a
// verdict equal to the computation by hand; the transcript carries the actions.
func TestShippedGamesEveryMode(t *testing.T) {
	pairings := [][2]Mode{{Raw, Raw}, {Prompted, Prompted}, {Verified, Verified}, {Raw, Verified}, {Prompted, Raw}, {Verified, Prompted}}
	counts := map[string]int{}
	for name, g := range shippedGames(t) {
		if g.Kind() == game.KindAllocation {
			continue
		}
		for k, modes := range pairings {
			for seed := range uint64(2) {
				rounds := 0
				if g.Kind() == game.KindNormal && seed == 1 {
					rounds = 1
				}
				t.Run(fmt.Sprintf("%s/%s-%s/%d", name, modes[0], modes[1], seed), func(t *testing.T) {
					gen := fakegen.New(grammarScript(t, seed*100+uint64(k)), &fakegen.Options{ContextSize: 1 << 16})
					o := &Options{Rounds: rounds, Seed: seed, MessageChars: 20, ReasonChars: 20}
					res, err := Play(context.Background(), g, [2]Agent{{Gen: gen, Mode: modes[0]}, {Gen: gen, Mode: modes[1]}}, o)
					if err != nil {
						t.Fatal(err)
					}
					if res.Forfeit != nil {
						t.Fatalf("forfeit under a grammar: %+v", res.Forfeit)
					}
					var acted []string
					for _, e := range res.Transcript {
						if e.Phase == PhaseAction {
							acted = append(acted, e.Action)
						}
					}
					switch g.Kind() {
					case game.KindNormal:
						checkNormal(t, g.Normal, res, acted, counts)
						if msgs := countPhase(res.Transcript, PhaseMessage); msgs != 2*rounds || res.Rounds != rounds {
							t.Errorf("%d messages in %d rounds, want %d", msgs, res.Rounds, 2*rounds)
						}
					case game.KindTree:
						checkTree(t, g.Tree, res, acted, counts)
					}
					for i, m := range modes {
						if (m == Prompted) != (res.Claims[i] != nil) {
							t.Errorf("player %d (%s): claims %v", i, m, res.Claims[i])
						}
					}
				})
			}
		}
	}
	// The random answers reach both kinds of outcome, so the checks above compared both.
	for _, k := range []string{"eq", "not eq", "spe", "not spe"} {
		if counts[k] == 0 {
			t.Errorf("no game ended with %q", k)
		}
	}
	t.Logf("outcomes: %v", counts)
}

func countPhase(ev []Event, phase string) int {
	n := 0
	for _, e := range ev {
		if e.Phase == phase {
			n++
		}
	}
	return n
}

func checkNormal(t *testing.T, g *game.Normal, res *Result, acted []string, counts map[string]int) {
	t.Helper()
	v := res.Normal
	if v == nil {
		t.Fatal("no verdict")
	}
	var prof [2]int
	for i := range 2 {
		prof[i] = slices.Index(g.Strategies(i), v.Actions[i])
		if prof[i] < 0 {
			t.Fatalf("player %d's action %q is not a strategy", i, v.Actions[i])
		}
	}
	if !slices.Equal(acted, v.Actions[:]) {
		t.Errorf("transcript actions %q, verdict %q", acted, v.Actions)
	}
	want := judgeByHand(g, prof[0], prof[1])
	for i := range 2 {
		if !ratEq(v.Payoffs[i], want.payoffs[i]) || !ratEq(v.Regret[i], want.regret[i]) {
			t.Errorf("player %d: payoff %v regret %v, want %v %v", i, v.Payoffs[i], v.Regret[i], want.payoffs[i], want.regret[i])
		}
	}
	if v.Equilibrium != want.eq || v.ParetoEquilibrium != want.paretoEq || v.ParetoOptimal != want.po {
		t.Errorf("verdict eq %v pareto-eq %v po %v, want %v %v %v", v.Equilibrium, v.ParetoEquilibrium, v.ParetoOptimal, want.eq, want.paretoEq, want.po)
	}
	if want.eq {
		counts["eq"]++
	} else {
		counts["not eq"]++
	}
}

func checkTree(t *testing.T, tr *game.Tree, res *Result, acted []string, counts map[string]int) {
	t.Helper()
	v := res.Tree
	if v == nil {
		t.Fatal("no verdict")
	}
	n := tr.Root
	var path []string
	for _, s := range v.Path {
		c := slices.Index(n.Actions, s.Action)
		if c < 0 {
			t.Fatalf("move %q is not legal at node %s", s.Action, n.ID)
		}
		path = append(path, s.Action)
		n = n.Children[c]
	}
	if !n.Terminal() {
		t.Fatal("the play stops before the end")
	}
	if !slices.Equal(path, acted) {
		t.Errorf("transcript moves %q, path %q", acted, path)
	}
	for i := range 2 {
		if !ratEq(v.Payoffs[i], n.Payoffs[i]) {
			t.Errorf("payoff %d = %v, want %v", i, v.Payoffs[i], n.Payoffs[i])
		}
	}
	spePath, _, ties := biPath(tr.Root)
	if ties {
		t.Fatal("the test's shortcut needs a game without ties")
	}
	// Without ties the subgame-perfect equilibrium is unique: the path is subgame-perfect
	// exactly when it is backward induction's.
	want := slices.Equal(path, spePath)
	if v.SPE != want || !slices.Equal(v.SPEPath, spePath) {
		t.Errorf("spe %v (path %q), want %v (path %q)", v.SPE, v.SPEPath, want, spePath)
	}
	if want {
		counts["spe"]++
	} else {
		counts["not spe"]++
	}
}

// A tree with a tie: the subgame-perfect paths are decided over every resolution of the
// tie, not only backward induction's first choice.
func TestJudgeTreeTies(t *testing.T) {
	leaf := func(a, b int64) *game.Node { return &game.Node{Payoffs: game.IntRats(a, b)} }
	// Alice: L ends (1, 0); R gives Bob x (0, 5) or y (2, 5), between which Bob is
	// indifferent. If Bob plays x Alice prefers L; if y, R.
	tr, err := game.NewTree([]string{"Alice", "Bob"}, &game.Node{ID: "a", Player: 0, Actions: []string{"L", "R"}, Children: []*game.Node{
		leaf(1, 0),
		{ID: "b", Player: 1, Actions: []string{"x", "y"}, Children: []*game.Node{leaf(0, 5), leaf(2, 5)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// A chance node over that tree: still decided exactly.
	tc, err := game.NewTree([]string{"Alice", "Bob"}, &game.Node{ID: "c", Player: game.Chance, Actions: []string{"H", "T"},
		Probs: game.Rats("1/2", "1/2"), Children: []*game.Node{
			{ID: "a", Player: 0, Actions: []string{"L", "R"}, Children: []*game.Node{
				leaf(1, 0),
				{ID: "b", Player: 1, Actions: []string{"x", "y"}, Children: []*game.Node{leaf(0, 5), leaf(2, 5)}},
			}},
			leaf(0, 0),
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		tree  *game.Tree
		moves []int
		spe   bool
	}{
		{tr, []int{0}, true},        // L, with Bob planning x
		{tr, []int{1, 1}, true},     // R then y: backward induction's first choice (x) misses it
		{tr, []int{1, 0}, false},    // R then x: Alice would rather have played L
		{tc, []int{0, 1, 1}, true},  // H, R, y
		{tc, []int{0, 1, 0}, false}, // H, R, x
		{tc, []int{1}, true},        // T
	} {
		v, err := JudgeTree(tt.tree, tt.moves)
		if err != nil {
			t.Fatal(err)
		}
		if v.SPE != tt.spe {
			t.Errorf("moves %v: spe = %v, want %v", tt.moves, v.SPE, tt.spe)
		}
		if v.UniqueSPE {
			t.Errorf("moves %v: unique SPE reported in a game with ties", tt.moves)
		}
	}
	if _, err := JudgeTree(tr, []int{1}); !errors.Is(err, ErrGame) {
		t.Errorf("a path that stops early: err = %v", err)
	}
	if _, err := JudgeTree(tr, []int{2}); !errors.Is(err, ErrGame) {
		t.Errorf("an illegal move: err = %v", err)
	}
}

// Without a grammar, answers are parsed tolerantly; an agent that keeps answering out of
// form forfeits after its retries, and the forfeit is recorded.
func TestUnconstrained(t *testing.T) {
	g := loadGame(t, "prisoner_dilemma")
	tolerant := fakegen.New(fakegen.Replies(
		"I will defect.\n**ACTION:** C2.",
		"Reason: cooperation pays\naction: c1",
	), nil)
	res, err := Play(context.Background(), g, [2]Agent{{Gen: tolerant}, {Gen: tolerant}}, &Options{Unconstrained: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Normal == nil || res.Normal.Actions != [2]string{"c2", "c1"} {
		t.Fatalf("actions %+v", res.Normal)
	}
	for _, r := range tolerant.Requests() {
		if r.Grammar != "" {
			t.Errorf("unconstrained request has a grammar")
		}
	}

	bad := fakegen.New(func(inference.Request) (string, error) { return "I refuse to choose.", nil }, nil)
	good := fakegen.New(fakegen.Replies("ACTION: c1"), nil)
	var events []Event
	res, err = Play(context.Background(), g, [2]Agent{{Gen: good}, {Gen: bad}}, &Options{Unconstrained: true, Retries: 2,
		OnEvent: func(e Event) error { events = append(events, e); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Forfeit == nil || res.Forfeit.Player != "Bob" || res.Normal != nil {
		t.Fatalf("forfeit %+v, verdict %+v", res.Forfeit, res.Normal)
	}
	if n := len(bad.Requests()); n != 3 {
		t.Errorf("Bob was asked %d times, want 3 (1 + 2 retries)", n)
	}
	var phases []string
	for _, e := range events {
		phases = append(phases, e.Phase)
	}
	if want := []string{PhaseAction, PhaseRetry, PhaseRetry, PhaseForfeit, PhaseVerdict}; !slices.Equal(phases, want) {
		t.Errorf("phases %q, want %q", phases, want)
	}
	if len(res.Transcript) != len(events) {
		t.Errorf("transcript has %d events, OnEvent saw %d", len(res.Transcript), len(events))
	}
	// The retry tells the model what was wrong.
	last := bad.Requests()[1].Prompt
	if !strings.Contains(last, "does not follow the required form") {
		t.Errorf("retry prompt does not name the problem:\n%s", last)
	}
}

// Negotiation alternates, each agent reads the other's message, and neither sees the
// other's action.
func TestNegotiation(t *testing.T) {
	g := loadGame(t, "stag_hunt")
	var prompts [2][]string
	script := func(who int) fakegen.Script {
		n := 0
		return func(req inference.Request) (string, error) {
			prompts[who] = append(prompts[who], req.Prompt)
			n++
			if strings.Contains(req.Grammar, "ACTION") {
				return fmt.Sprintf("Reason: r\nACTION: c%d", who+1), nil
			}
			return fmt.Sprintf("%s message %d", []string{"Alice", "Bob"}[who], n), nil
		}
	}
	a, b := fakegen.New(script(0), nil), fakegen.New(script(1), nil)
	res, err := Play(context.Background(), g, [2]Agent{{Gen: a, Mode: Verified}, {Gen: b, Mode: Prompted}}, &Options{Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range res.Transcript {
		if e.Phase == PhaseMessage {
			msgs = append(msgs, e.Agent+": "+e.Text)
		}
	}
	want := []string{"Alice: Alice message 1", "Bob: Bob message 1", "Alice: Alice message 2", "Bob: Bob message 2"}
	if !slices.Equal(msgs, want) {
		t.Errorf("messages %q, want %q", msgs, want)
	}
	if !strings.Contains(prompts[1][0], `Alice says: "Alice message 1"`) || !strings.Contains(prompts[0][1], `Bob says: "Bob message 1"`) {
		t.Error("a message did not reach the other agent")
	}
	if !strings.Contains(prompts[1][2], `Alice says: "Alice message 2"`) {
		t.Error("Alice's last message did not reach Bob before his decision")
	}
	if strings.Contains(prompts[1][2], "ACTION: c1") {
		t.Error("Bob saw Alice's action")
	}
	if !strings.Contains(prompts[0][2], "The solver has analysed the game") || !strings.Contains(prompts[1][2], "name Alice's best response") {
		t.Error("the decision prompts do not carry the modes' help")
	}
	// Bob's prompted answer had none of the workflow's lines: all claims are wrong.
	if c := res.Claims[1]; c == nil || c.Total != 4 || c.Correct != 0 {
		t.Errorf("claims %+v, want 4 claims, 0 correct", c)
	}
}

// Hand-made prompted answers are graded claim by claim.
func TestGradeClaims(t *testing.T) {
	g := loadGame(t, "prisoner_dilemma").Normal
	f := normalForm(g, 0, Prompted, 50)
	ans := "If I play c1, Bob's best response is c2.\nIf I play c2, Bob's best response is c1 or c2.\n" +
		"If Bob plays c1, my best response is c2.\nIf Bob plays c2, my best response is c1.\nStrategy: defect\nACTION: c2"
	if err := checkGrammar(f.grammar("test")); err != nil {
		t.Fatal(err)
	}
	values, err := f.parse(ans)
	if err != nil {
		t.Fatal(err)
	}
	var c Claims
	if err := gradeNormal(g, 0, f, values, &c); err != nil {
		t.Fatal(err)
	}
	if c.Total != 4 || c.Correct != 2 || len(c.Wrong) != 2 {
		t.Errorf("claims %+v, want 2 of 4 correct", c)
	}
	tr := loadGame(t, "escalation").Tree
	labels := map[*game.Node]string{}
	treeWalk(tr, func(n *game.Node, path []string) { labels[n] = nodeLabel(path) })
	tf := treeForm(tr, tr.Root, labels, Prompted, 10)
	tv, err := tf.parse("After A2, B2, Alice picks A2.\nAfter A2, Bob picks B1.\nStrategy: stop\nACTION: A1")
	if err != nil {
		t.Fatal(err)
	}
	var tc Claims
	gradeTree(tr.Root, sequential.BackwardInduction(tr), tf, tv, &tc)
	if tc.Total != 2 || tc.Correct != 1 {
		t.Errorf("tree claims %+v, want 1 of 2 correct", tc)
	}
}

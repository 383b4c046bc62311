package sequential

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/strategic"
)

func leaf(p ...string) *game.Node { return &game.Node{Payoffs: game.Rats(p...)} }

func dec(player int, acts []string, ch ...*game.Node) *game.Node {
	return &game.Node{Player: player, Actions: acts, Children: ch}
}

func TestBackwardInductionEscalation(t *testing.T) {
	// escalation (seed-games.md): A1 → [0,0]; A2 → { B1 → [1,−2]; B2 → { A1 → [−2,1]; A2 → [−1,−1] } }
	ab := []string{"A1", "A2"}
	root := dec(0, ab, leaf("0", "0"),
		dec(1, []string{"B1", "B2"}, leaf("1", "-2"),
			dec(0, ab, leaf("-2", "1"), leaf("-1", "-1"))))
	tr, err := game.NewTree([]string{"Alice", "Bob"}, root)
	if err != nil {
		t.Fatal(err)
	}
	s := BackwardInduction(tr)
	if s.Payoffs[0].Sign() != 0 || s.Payoffs[1].Sign() != 0 || !s.Unique {
		t.Errorf("payoffs %v unique %v", s.Payoffs, s.Unique)
	}
	want := []int{0, 1, 1} // root A1; Bob B2 off-path; inner Alice A2
	for i, c := range s.Choices {
		if c.Action != want[i] {
			t.Errorf("choice %d at %s = %d, want %d", i, c.Node.ID, c.Action, want[i])
		}
	}
	if len(s.Path) != 1 || s.Path[0].Action != 0 {
		t.Errorf("path %+v", s.Path)
	}
}

func TestBackwardInductionChanceAndTies(t *testing.T) {
	// Nature picks L (1/3) or R (2/3); in L, player 1 is indifferent; in R player 2 chooses.
	root := &game.Node{Player: game.Chance, Actions: []string{"L", "R"}, Probs: game.Rats("1/3", "2/3"), Children: []*game.Node{
		dec(0, []string{"a", "b"}, leaf("1", "0"), leaf("1", "5")),
		dec(1, []string{"x", "y"}, leaf("3", "1"), leaf("0", "2")),
	}}
	tr, err := game.NewTree([]string{"P1", "P2"}, root)
	if err != nil {
		t.Fatal(err)
	}
	s := BackwardInduction(tr)
	// Expected: 1/3·(1,0) + 2/3·(0,2) = (1/3, 4/3).
	if s.Payoffs[0].Cmp(big.NewRat(1, 3)) != 0 || s.Payoffs[1].Cmp(big.NewRat(4, 3)) != 0 {
		t.Errorf("payoffs %v", s.Payoffs)
	}
	if s.Unique || len(s.Choices[0].Ties) != 2 || s.Choices[1].Action != 1 {
		t.Errorf("choices %+v unique %v", s.Choices, s.Unique)
	}
	if len(s.Path) != 1 || s.Path[0].Action != -1 {
		t.Errorf("path %+v", s.Path)
	}
}

// randomTree builds a random tree with integer payoffs.
func randomTree(rng *rand.Rand, players, depth int) *game.Node {
	if depth == 0 || rng.Intn(4) == 0 {
		p := make([]*big.Rat, players)
		for i := range p {
			p[i] = big.NewRat(rng.Int63n(5), 1)
		}
		return &game.Node{Payoffs: p}
	}
	k := 2 + rng.Intn(2)
	n := &game.Node{Player: rng.Intn(players)}
	if rng.Intn(5) == 0 {
		n.Player = game.Chance
		for c := 0; c < k; c++ {
			n.Probs = append(n.Probs, big.NewRat(1, int64(k)))
		}
	}
	for c := 0; c < k; c++ {
		n.Actions = append(n.Actions, string(rune('a'+c)))
		n.Children = append(n.Children, randomTree(rng, players, depth-1))
	}
	return n
}

// TestSPEIsNashOfNormalForm checks on random trees that the SPE, read as a pure profile of the
// normal form, is a Nash equilibrium there with the same payoffs (an independent oracle:
// strategic.VerifyPure on the induced normal form).
func TestSPEIsNashOfNormalForm(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	checked := 0
	defer func() {
		if checked < 50 {
			t.Errorf("only %d trees checked", checked)
		}
	}()
	for trial := 0; trial < 150; trial++ {
		players := 2 + rng.Intn(2)
		tr, err := game.NewTree([]string{"A", "B", "C"}[:players], randomTree(rng, players, 3))
		if err != nil {
			t.Fatal(err)
		}
		size := 1
		for i := 0; i < players; i++ {
			for _, d := range tr.DecisionNodes(i) {
				size *= len(d.Children)
			}
		}
		if size > 5000 {
			continue // keep the normal form small
		}
		nf, own, err := tr.ToNormal()
		if err != nil {
			continue // too large a normal form
		}
		checked++
		s := BackwardInduction(tr)
		v, err := strategic.VerifyPure(nf, s.StrategyProfile(own))
		if err != nil {
			t.Fatal(err)
		}
		if !v.Equilibrium {
			t.Fatalf("trial %d: SPE is not a Nash equilibrium of the normal form (regret %v)", trial, v.Regret)
		}
		for i := range v.Payoffs {
			if v.Payoffs[i].Cmp(s.Payoffs[i]) != 0 {
				t.Fatalf("trial %d: payoffs %v vs normal form %v", trial, s.Payoffs, v.Payoffs)
			}
		}
	}
}

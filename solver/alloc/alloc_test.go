package alloc

import (
	"bufio"
	"math/big"
	"os"
	"testing"

	"github.com/nashd/nashd/solver/game"
)

func readDialogues(t *testing.T) []*Dialogue {
	f, err := os.Open("testdata/sampled_50_deal_no_deal.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*Dialogue
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		d, err := ParseDoND(sc.Text())
		if err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, d)
	}
	return out
}

func TestDoNDSample(t *testing.T) {
	ds := readDialogues(t)
	if len(ds) != 50 {
		t.Fatalf("%d dialogues, want 50", len(ds))
	}
	withEF := 0
	sumBest := new(big.Rat)
	for n, d := range ds {
		a := d.Game
		// Every player's values sum to 10 over the pool (the game's design).
		for i := range a.Players {
			tot := new(big.Rat)
			for j, v := range a.Values[i] {
				tot.Add(tot, new(big.Rat).Mul(v, big.NewRat(int64(a.Counts[j]), 1)))
			}
			if tot.Cmp(big.NewRat(10, 1)) != 0 {
				t.Errorf("line %d: player %d's pool value %v, want 10", n+1, i, tot)
			}
		}
		an := Analyze(a)
		want := 1
		for _, c := range a.Counts {
			want *= c + 1
		}
		if len(an.Splits) != want {
			t.Errorf("line %d: %d splits, want %d", n+1, len(an.Splits), want)
		}
		for _, k := range an.BestEnvyFree {
			if !EnvyFree(a, an.Splits[k]) {
				t.Errorf("line %d: best envy-free split is not envy-free", n+1)
			}
		}
		for _, k := range an.EnvyFree {
			tot := new(big.Rat).Add(an.Splits[k].Payoffs[0], an.Splits[k].Payoffs[1])
			if tot.Cmp(an.MaxEnvyFreeWelfare) > 0 {
				t.Errorf("line %d: envy-free split %d beats the maximum", n+1, k)
			}
		}
		if an.MaxEnvyFreeWelfare != nil {
			withEF++
			sumBest.Add(sumBest, an.MaxEnvyFreeWelfare)
		}
		if d.Agreed != nil {
			// the agreed split is one of the enumerated ones, with the same payoffs
			found := false
			for _, s := range an.Splits {
				if s.Shares[0][0] == d.Agreed.Shares[0][0] && s.Shares[0][1] == d.Agreed.Shares[0][1] && s.Shares[0][2] == d.Agreed.Shares[0][2] {
					found = s.Payoffs[0].Cmp(d.Agreed.Payoffs[0]) == 0 && s.Payoffs[1].Cmp(d.Agreed.Payoffs[1]) == 0
				}
			}
			if !found {
				t.Errorf("line %d: agreed split %v not enumerated", n+1, d.Agreed.Shares)
			}
		}
	}
	// seed-games.md: "only the dialogues that have an envy-free allocation count (44 of the 50
	// sampled)".
	if withEF != 44 {
		t.Errorf("%d dialogues have an envy-free split, want 44", withEF)
	}
	avg := new(big.Rat).Quo(sumBest, big.NewRat(int64(withEF), 1))
	f, _ := avg.Float64()
	t.Logf("mean max total welfare among envy-free splits over %d dialogues: %s (%.3f)", withEF, avg.RatString(), f)
}

func TestAllocationSmall(t *testing.T) {
	// 2 players, one item of each of two types; A values (3, 1), B values (1, 3).
	a, err := game.NewAllocation([]string{"A", "B"}, []string{"x", "y"}, []int{1, 1}, [][]*big.Rat{game.Rats("3", "1"), game.Rats("1", "3")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	an := Analyze(a)
	if len(an.Splits) != 4 || len(an.BestEnvyFree) != 1 || an.MaxEnvyFreeWelfare.Cmp(big.NewRat(6, 1)) != 0 {
		t.Fatalf("analysis %+v", an)
	}
	best := an.Splits[an.BestEnvyFree[0]]
	if best.Shares[0][0] != 1 || best.Shares[1][1] != 1 {
		t.Errorf("best split %v", best.Shares)
	}
	if len(an.EnvyFree) != 1 || len(an.ParetoOptimal) != 3 { // (4,0) (3,3) (0,4)
		t.Errorf("envy-free %v, Pareto %v", an.EnvyFree, an.ParetoOptimal)
	}
	// three players, 2 units: C(4,2) = 6 splits
	b, _ := game.NewAllocation([]string{"A", "B", "C"}, []string{"x"}, []int{2}, [][]*big.Rat{game.Rats("1"), game.Rats("1"), game.Rats("1")}, nil)
	if n := len(Enumerate(b)); n != 6 {
		t.Errorf("3 players, 2 units: %d splits, want 6", n)
	}
}

func TestParseDoNDErrors(t *testing.T) {
	bad := []string{
		"",
		"<input> 1 2 3 </input> <partner_input> 1 2 3 4 5 6 </partner_input>",
		"<input> 1 2 1 2 1 2 </input> <partner_input> 2 2 1 2 1 2 </partner_input>",
		"<input> 1 2 1 2 1 x </input> <partner_input> 1 2 1 2 1 2 </partner_input>",
		"<input> 1 2 1 2 1 2 </input> <output> item0=1 item1=0 item2=0 item0=1 item1=1 item2=1 </output> <partner_input> 1 2 1 2 1 2 </partner_input>",
	}
	for _, s := range bad {
		if _, err := ParseDoND(s); err == nil {
			t.Errorf("ParseDoND(%q) accepted", s)
		}
	}
}

func FuzzParseDoND(f *testing.F) {
	f.Add("<input> 1 1 1 3 3 2 </input> <dialogue> YOU: hi <eos> </dialogue> <output> item0=0 item1=1 item2=1 item0=1 item1=0 item2=2 </output> <partner_input> 1 1 1 0 3 3 </partner_input>")
	f.Add("<input> 1 4 2 0 2 3 </input> <output> <disagree> </output> <partner_input> 1 2 2 1 2 3 </partner_input>")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDoND(s)
		if err != nil {
			return
		}
		if d.Agreed != nil && len(d.Agreed.Payoffs) != 2 {
			t.Fatal("agreed split without payoffs")
		}
	})
}

// TestDoNDTestFile parses all 1,052 dialogues of the Deal or No Deal test split
// (testdata/README.md) and checks every agreed split is one of the enumerated splits.
func TestDoNDTestFile(t *testing.T) {
	f, err := os.Open("testdata/deal_no_deal_test.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, agreed := 0, 0
	for sc.Scan() {
		n++
		d, err := ParseDoND(sc.Text())
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if d.Agreed != nil {
			agreed++
			for i := range d.Game.Players {
				if d.Agreed.Payoffs[i].Cmp(Value(d.Game, *d.Agreed, i, i)) != 0 {
					t.Fatalf("line %d: payoff mismatch", n)
				}
			}
		}
	}
	if n != 1052 || agreed == 0 || agreed == n {
		t.Errorf("%d lines, %d agreements", n, agreed)
	}
}

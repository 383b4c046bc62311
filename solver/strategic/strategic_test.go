package strategic

import (
	"context"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/nfg"
)

// gambitDir is the Gambit project's suite of .nfg files (see its README.md).
const gambitDir = "../testdata/gambit"

// bimatrix builds a game from integer matrices.
func bimatrix(t testing.TB, A, B [][]int64) *game.Normal {
	t.Helper()
	toRat := func(M [][]int64) [][]*big.Rat {
		out := make([][]*big.Rat, len(M))
		for i, row := range M {
			out[i] = game.IntRats(row...)
		}
		return out
	}
	g, err := game.NewBimatrix(toRat(A), toRat(B))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func neg(A [][]int64) [][]int64 {
	out := make([][]int64, len(A))
	for i, row := range A {
		for _, x := range row {
			out[i] = append(out[i], -x)
		}
	}
	return out
}

// randomGame returns a seeded random game with integer payoffs in [0, hi).
func randomGame(rng *rand.Rand, shape []int, hi int64) *game.Normal {
	P := 1
	for _, m := range shape {
		P *= m
	}
	players := make([]string, len(shape))
	strats := make([][]string, len(shape))
	for i, m := range shape {
		players[i] = string(rune('A' + i))
		for s := 0; s < m; s++ {
			strats[i] = append(strats[i], string(rune('a'+s)))
		}
	}
	pay := make([][]*big.Rat, P)
	for k := range pay {
		for range shape {
			pay[k] = append(pay[k], big.NewRat(rng.Int63n(hi), 1))
		}
	}
	g, err := game.NewNormal(players, strats, pay)
	if err != nil {
		panic(err)
	}
	return g
}

func loadNFG(t testing.TB, name string) *game.Normal {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(gambitDir, name))
	if err != nil {
		t.Fatal(err)
	}
	g, err := nfg.Read(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return g.Normal
}

// naivePure is an independent oracle: a profile is an equilibrium when no player has a
// profitable pure deviation.
func naivePure(g *game.Normal) []int {
	var out []int
	prof := make([]int, g.NumPlayers())
	for k := 0; k < g.NumProfiles(); k++ {
		g.Profile(k, prof)
		ok := true
		for i := 0; i < g.NumPlayers() && ok; i++ {
			orig := prof[i]
			for s := 0; s < g.NumStrategies(i); s++ {
				prof[i] = s
				if g.Payoff(g.Index(prof), i).Cmp(g.Payoff(k, i)) > 0 {
					ok = false
				}
			}
			prof[i] = orig
		}
		if ok {
			out = append(out, k)
		}
	}
	return out
}

func TestPureEquilibriaKnown(t *testing.T) {
	pd := bimatrix(t, [][]int64{{3, 0}, {5, 1}}, [][]int64{{3, 5}, {0, 1}})
	bos := bimatrix(t, [][]int64{{2, 0}, {0, 1}}, [][]int64{{1, 0}, {0, 2}})
	mp := bimatrix(t, [][]int64{{1, -1}, {-1, 1}}, neg([][]int64{{1, -1}, {-1, 1}}))
	zero := bimatrix(t, [][]int64{{0, 0}, {0, 0}}, [][]int64{{0, 0}, {0, 0}})
	tests := []struct {
		name string
		g    *game.Normal
		want [][]int
	}{
		{"prisoner's dilemma", pd, [][]int{{1, 1}}},
		{"battle of the sexes", bos, [][]int{{0, 0}, {1, 1}}},
		{"matching pennies", mp, nil},
		{"all zero", zero, [][]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}}},
	}
	for _, tt := range tests {
		got := PureEquilibria(tt.g)
		var want []int
		for _, p := range tt.want {
			want = append(want, tt.g.Index(p))
		}
		if !equalSorted(got, want) {
			t.Errorf("%s: PureEquilibria = %v, want %v", tt.name, got, want)
		}
	}
}

func equalSorted(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, c := range m {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestPureEquilibriaRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	shapes := [][]int{{2, 2}, {3, 4}, {5, 5}, {2, 3, 2}, {3, 3, 3}, {2, 2, 2, 2}, {4, 1, 3}}
	for trial := 0; trial < 200; trial++ {
		g := randomGame(rng, shapes[trial%len(shapes)], int64(2+trial%5)) // small ranges: many ties
		if trial%4 == 0 {
			g = huge(g) // payoffs too large for the int64 fast path
		}
		got := PureEquilibria(g)
		if want := naivePure(g); !equalSorted(got, want) {
			t.Fatalf("trial %d: PureEquilibria = %v, naive %v", trial, got, want)
		}
		for _, k := range got {
			v, err := VerifyPure(g, g.Profile(k, nil))
			if err != nil || !v.Equilibrium || v.MaxRegret().Sign() != 0 {
				t.Fatalf("trial %d: equilibrium %d fails Verify: %+v %v", trial, k, v, err)
			}
		}
	}
}

// huge returns g with every payoff multiplied by 10^30 and shifted by 1/7, so that
// game.Normal.Scaled fails and the big.Rat code paths run.
func huge(g *game.Normal) *game.Normal {
	f := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil))
	pay := make([][]*big.Rat, g.NumProfiles())
	for k := range pay {
		for _, x := range g.Payoffs(k) {
			y := new(big.Rat).Mul(x, f)
			pay[k] = append(pay[k], y.Add(y, big.NewRat(1, 7)))
		}
	}
	h, err := game.NewNormal(g.Players(), g.AllStrategies(), pay)
	if err != nil {
		panic(err)
	}
	if _, ok := h.Scaled(); ok {
		panic("huge game still fits int64")
	}
	return h
}

// TestStrategyValuesPaths checks the int64 path of StrategyValues against the big.Rat path
// (forced with a game too large for int64) on random mixed profiles.
func TestStrategyValuesPaths(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for trial := 0; trial < 60; trial++ {
		g := randomGame(rng, [][]int{{3, 2, 3}, {4, 4}, {2, 2, 2, 2}}[trial%3], 20)
		h := huge(g)
		p := make(Profile, g.NumPlayers())
		for i := range p {
			den := int64(1 + rng.Intn(12))
			left := den
			for s := 0; s < g.NumStrategies(i); s++ {
				k := left
				if s < g.NumStrategies(i)-1 {
					k = rng.Int63n(left + 1)
				}
				p[i] = append(p[i], big.NewRat(k, den))
				left -= k
			}
		}
		if _, ok := strategyValuesInt(g, p); !ok {
			t.Fatal("int path refused a small game")
		}
		// Verify's domination and welfare rank agree between the int64 and big.Rat paths (h's
		// payoffs are an increasing affine map of g's, so both must give the same answers).
		va, err := Verify(g, p)
		if err != nil {
			t.Fatal(err)
		}
		vb, _ := Verify(h, p)
		if va.WelfareRank != vb.WelfareRank || len(va.DominatedBy) != len(vb.DominatedBy) || va.Equilibrium != vb.Equilibrium {
			t.Fatalf("trial %d: Verify paths disagree: %+v / %+v", trial, va, vb)
		}
		a := StrategyValues(g, p)
		b := StrategyValues(h, p)
		f := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil))
		for i := range a {
			for s := range a[i] {
				// h's payoffs are 10^30·u + 1/7, so its values are 10^30·a + 1/7.
				want := new(big.Rat).Mul(a[i][s], f)
				want.Add(want, big.NewRat(1, 7))
				if b[i][s].Cmp(want) != 0 {
					t.Fatalf("trial %d: player %d strategy %d: int path %v, rat path %v", trial, i, s, a[i][s], b[i][s])
				}
			}
		}
	}
}

// TestVerifyPaths checks that the int64 and big.Rat paths of VerifyPure agree.
func TestVerifyPaths(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for trial := 0; trial < 50; trial++ {
		g := randomGame(rng, []int{3, 2, 3}, 4)
		h := huge(g)
		if _, ok := g.Scaled(); !ok {
			t.Fatal("small game does not fit int64")
		}
		for k := 0; k < g.NumProfiles(); k++ {
			p := g.Profile(k, nil)
			a, _ := VerifyPure(g, p)
			b, _ := VerifyPure(h, p)
			// mixed-path Verify (through StrategyValues) as a third opinion
			c, _ := Verify(g, Pure(g, p))
			if a.Equilibrium != b.Equilibrium || a.WelfareRank != b.WelfareRank || len(a.DominatedBy) != len(b.DominatedBy) ||
				a.Equilibrium != c.Equilibrium || a.WelfareRank != c.WelfareRank || len(a.DominatedBy) != len(c.DominatedBy) {
				t.Fatalf("trial %d profile %v: paths disagree: %+v / %+v / %+v", trial, p, a, b, c)
			}
			for i := range a.Regret {
				if new(big.Rat).Mul(a.Regret[i], big.NewRat(1, 1)).Cmp(c.Regret[i]) != 0 {
					t.Fatalf("regret differs")
				}
			}
		}
	}
}

func TestVerify(t *testing.T) {
	pd := bimatrix(t, [][]int64{{3, 0}, {5, 1}}, [][]int64{{3, 5}, {0, 1}})
	v, err := VerifyPure(pd, []int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Equilibrium || len(v.DominatedBy) != 1 || v.DominatedBy[0] != pd.Index([]int{0, 0}) || v.WelfareRank != 4 {
		t.Errorf("Verify(D,D) = %+v", v)
	}
	v, _ = VerifyPure(pd, []int{0, 0})
	if v.Equilibrium || v.Regret[0].Cmp(big.NewRat(2, 1)) != 0 || v.Regret[1].Cmp(big.NewRat(2, 1)) != 0 || v.WelfareRank != 1 || len(v.DominatedBy) != 0 {
		t.Errorf("Verify(C,C) = %+v", v)
	}
	// Matching pennies: the uniform profile is the equilibrium; (3/4, 1/4) vs uniform is not
	// (player 2 gains 1/2 by playing the matching column... regret computed exactly).
	mp := bimatrix(t, [][]int64{{1, -1}, {-1, 1}}, neg([][]int64{{1, -1}, {-1, 1}}))
	half := game.Rats("1/2", "1/2")
	v, err = Verify(mp, Profile{half, half})
	if err != nil || !v.Equilibrium || v.Payoffs[0].Sign() != 0 {
		t.Errorf("Verify(uniform) = %+v, %v", v, err)
	}
	v, _ = Verify(mp, Profile{game.Rats("3/4", "1/4"), half})
	if v.Equilibrium || v.Regret[1].Cmp(big.NewRat(1, 2)) != 0 || v.Regret[0].Sign() != 0 {
		t.Errorf("Verify(3/4,1/4) regrets = %v", v.Regret)
	}
	if _, err := Verify(mp, Profile{game.Rats("1/2", "1/3"), half}); err == nil {
		t.Error("Verify accepted probabilities summing to 5/6")
	}
	if _, err := VerifyPure(mp, []int{0, 2}); err == nil {
		t.Error("VerifyPure accepted an out-of-range strategy")
	}
}

func TestZeroSum(t *testing.T) {
	rps := [][]int64{{0, -1, 1}, {1, 0, -1}, {-1, 1, 0}}
	g := bimatrix(t, rps, neg(rps))
	z, err := ZeroSum(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	third := big.NewRat(1, 3)
	for i := 0; i < 3; i++ {
		if z.X[i].Cmp(third) != 0 || z.Y[i].Cmp(third) != 0 {
			t.Errorf("RPS strategies %v %v", z.X, z.Y)
		}
	}
	if z.Value.Sign() != 0 {
		t.Errorf("RPS value %v", z.Value)
	}
	// Random constant-sum games: the LP strategies form an equilibrium whose payoff is the value.
	rng := rand.New(rand.NewSource(3))
	for trial := 0; trial < 30; trial++ {
		m, n := 1+rng.Intn(6), 1+rng.Intn(6)
		A := make([][]int64, m)
		B := make([][]int64, m)
		for i := range A {
			for j := 0; j < n; j++ {
				a := rng.Int63n(21) - 10
				A[i] = append(A[i], a)
				B[i] = append(B[i], 5-a)
			}
		}
		g := bimatrix(t, A, B)
		z, err := ZeroSum(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Verify(g, Profile{z.X, z.Y})
		if err != nil || !v.Equilibrium || v.Payoffs[0].Cmp(z.Value) != 0 {
			t.Fatalf("trial %d: LP solution is not an equilibrium with the value: %+v %v", trial, v, err)
		}
	}
	if _, err := ZeroSum(context.Background(), bimatrix(t, [][]int64{{1}}, [][]int64{{1}})); err != nil {
		t.Errorf("1x1 constant-sum: %v", err)
	}
	if _, err := ZeroSum(context.Background(), bimatrix(t, [][]int64{{1, 0}}, [][]int64{{1, 1}})); err == nil {
		t.Error("ZeroSum accepted a non-constant-sum game")
	}
}

func TestCorrelated(t *testing.T) {
	// Aumann's chicken: the welfare-maximising CE puts 1/2 on (C,C) and 1/4 on each of (C,D),
	// (D,C), giving welfare 21/2 (above any Nash equilibrium's 9).
	g := bimatrix(t, [][]int64{{6, 2}, {7, 0}}, [][]int64{{6, 7}, {2, 0}})
	ce, err := MaxWelfareCorrelated(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if ce.Welfare.Cmp(big.NewRat(21, 2)) != 0 || ce.Probs[g.Index([]int{0, 0})].Cmp(big.NewRat(1, 2)) != 0 {
		t.Errorf("chicken CE: welfare %v probs %v", ce.Welfare, ce.Probs)
	}
	rng := rand.New(rand.NewSource(11))
	for trial := 0; trial < 20; trial++ {
		g := randomGame(rng, [][]int{{2, 2}, {3, 3}, {2, 2, 2}, {3, 2, 2}}[trial%4], 10)
		ce, err := MaxWelfareCorrelated(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		if !IsCorrelatedEquilibrium(g, ce.Probs) {
			t.Fatalf("trial %d: not a correlated equilibrium", trial)
		}
		// Every pure Nash equilibrium is a correlated equilibrium, so the optimum is at least
		// its welfare.
		for _, k := range PureEquilibria(g) {
			w := new(big.Rat)
			for i := 0; i < g.NumPlayers(); i++ {
				w.Add(w, g.Payoff(k, i))
			}
			if ce.Welfare.Cmp(w) < 0 {
				t.Fatalf("trial %d: CE welfare %v below pure NE welfare %v", trial, ce.Welfare, w)
			}
		}
	}
}

func TestIteratedElimination(t *testing.T) {
	pd := bimatrix(t, [][]int64{{3, 0}, {5, 1}}, [][]int64{{3, 5}, {0, 1}})
	steps, alive, err := IteratedElimination(context.Background(), pd, DominanceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Player != 0 || steps[0].Strategy != 0 || steps[0].By != 1 || len(alive[0]) != 1 || alive[0][0] != 1 {
		t.Errorf("PD elimination: %+v, alive %v", steps, alive)
	}
	// contrib_mixdom: player 1 has a strategy dominated only by a mixture.
	g := loadNFG(t, "contrib_mixdom.nfg")
	pureSteps, _, _ := IteratedElimination(context.Background(), g, DominanceOptions{})
	mixSteps, _, err := IteratedElimination(context.Background(), g, DominanceOptions{Mixed: true})
	if err != nil {
		t.Fatal(err)
	}
	mixed := false
	gone := map[[2]int]bool{} // strategies eliminated before the current step
	for _, s := range mixSteps {
		if s.By < 0 {
			mixed = true
			// The mixture must beat the strategy against every surviving opponent profile.
			st := g.Stride(s.Player)
			prof := make([]int, g.NumPlayers())
			for k := 0; k < g.NumProfiles(); k++ {
				g.Profile(k, prof)
				skip := prof[s.Player] != s.Strategy
				for j, x := range prof {
					if j != s.Player && gone[[2]int{j, x}] {
						skip = true
					}
				}
				if skip {
					continue
				}
				mixv := new(big.Rat)
				for t2, w := range s.Mixture {
					if gone[[2]int{s.Player, t2}] && w.Sign() != 0 {
						t.Fatalf("mixture uses eliminated strategy %d", t2)
					}
					mixv.Add(mixv, new(big.Rat).Mul(w, g.Payoff(k+(t2-s.Strategy)*st, s.Player)))
				}
				if mixv.Cmp(g.Payoff(k, s.Player)) <= 0 {
					t.Errorf("mixture %v does not strictly dominate strategy %d at profile %v", s.Mixture, s.Strategy, prof)
				}
			}
		}
		gone[[2]int{s.Player, s.Strategy}] = true
	}
	if !mixed || len(mixSteps) <= len(pureSteps) {
		t.Errorf("mixdom: pure steps %+v, mixed steps %+v", pureSteps, mixSteps)
	}
	// Strict elimination keeps every pure equilibrium.
	rng := rand.New(rand.NewSource(5))
	for trial := 0; trial < 100; trial++ {
		g := randomGame(rng, [][]int{{3, 3}, {4, 3}, {2, 3, 3}}[trial%3], 6)
		_, alive, err := IteratedElimination(context.Background(), g, DominanceOptions{Mixed: trial%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range PureEquilibria(g) {
			p := g.Profile(k, nil)
			for i, s := range p {
				if !contains(alive[i], s) {
					t.Fatalf("trial %d: equilibrium %v lost strategy %d of player %d", trial, p, s, i)
				}
			}
		}
		// Weak elimination keeps at least one pure equilibrium when there is one... not in
		// general (it keeps a mixed one); it must keep every player with a strategy.
		_, walive, _ := IteratedElimination(context.Background(), g, DominanceOptions{Weak: true})
		for i := range walive {
			if len(walive[i]) == 0 {
				t.Fatalf("trial %d: weak elimination removed all of player %d's strategies", trial, i)
			}
		}
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

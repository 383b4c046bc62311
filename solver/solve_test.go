package solver

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nashd/nashd/solver/bimatrix/lrsnash"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
	"github.com/nashd/nashd/solver/strategic"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const (
	gamesDir  = "../configs/games"
	gambitDir = "testdata/gambit" // the Gambit project's .nfg files (see its README.md)
)

func load(t testing.TB, path string) *game.Game {
	t.Helper()
	g, err := gamefile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// checkExact verifies every equilibrium of r on g in exact arithmetic (zero regret).
func checkExact(t *testing.T, name string, g *game.Normal, r *Report) {
	t.Helper()
	for n, e := range r.Equilibria {
		if !e.Exact() {
			if e.MaxRegret > 1e-8 {
				t.Errorf("%s: approximate equilibrium %d has max regret %g", name, n, e.MaxRegret)
			}
			continue
		}
		p := make(strategic.Profile, len(e.Profile))
		for i, d := range e.Profile {
			p[i] = d
		}
		v, err := strategic.Verify(g, p)
		if err != nil {
			t.Fatalf("%s: equilibrium %d: %v", name, n, err)
		}
		if !v.Equilibrium {
			t.Errorf("%s: equilibrium %d has regrets %v", name, n, v.Regret)
		}
		for i := range v.Payoffs {
			if v.Payoffs[i].Cmp(e.Payoffs[i]) != 0 {
				t.Errorf("%s: equilibrium %d reports payoff %v, Verify computes %v", name, n, e.Payoffs[i], v.Payoffs[i])
			}
		}
	}
}

// key is a canonical string for a two-player equilibrium (for set comparison).
func key(x, y []*big.Rat) string {
	var b strings.Builder
	for _, v := range append(append([]*big.Rat{}, x...), y...) {
		b.WriteString(v.RatString())
		b.WriteByte(' ')
	}
	return b.String()
}

func TestSeedSimultaneous(t *testing.T) {
	tests := []struct {
		file  string
		count int     // extreme equilibria
		pure  [][]int // pure equilibria (strategy indices), in PureEquilibria order
	}{
		{"prisoner_dilemma", 1, [][]int{{1, 1}}},
		{"prisoner_dilemma_large", 1, [][]int{{1, 1}}},
		{"prisoner_dilemma_very_large", 1, [][]int{{1, 1}}},
		{"prisoner_dilemma_small", 1, [][]int{{1, 1}}},
		{"prisoner_dilemma_very_small", 1, [][]int{{1, 1}}},
		{"stag_hunt", 3, [][]int{{0, 0}, {1, 1}}},
		{"stag_hunt_large", 3, [][]int{{0, 0}, {1, 1}}},
		{"stag_hunt_very_large", 3, [][]int{{0, 0}, {1, 1}}},
		{"stag_hunt_small", 3, [][]int{{0, 0}, {1, 1}}},
		{"stag_hunt_very_small", 3, [][]int{{0, 0}, {1, 1}}},
		{"battle_of_sexes", 3, [][]int{{0, 0}, {1, 1}}},
		{"wait_go", 3, [][]int{{1, 0}, {0, 1}}},
		{"game_of_chicken", 3, [][]int{{1, 0}, {0, 1}}},
		{"rock_paper_scissors", 1, nil},
		{"duopolistic_competition", -1, nil},
		{"radio_station", -1, nil},
	}
	for _, tt := range tests {
		g := load(t, filepath.Join(gamesDir, tt.file+".toml"))
		r, err := Solve(context.Background(), g, "all")
		if err != nil {
			t.Fatal(err)
		}
		if !r.Complete || r.Method != "enummixed" {
			t.Errorf("%s: method %s complete %v", tt.file, r.Method, r.Complete)
		}
		if tt.count >= 0 && len(r.Equilibria) != tt.count {
			t.Errorf("%s: %d equilibria, want %d", tt.file, len(r.Equilibria), tt.count)
		}
		checkExact(t, tt.file, g.Normal, r)
		p, _ := Solve(context.Background(), g, "pure")
		if tt.count >= 0 {
			var got [][]int
			for _, e := range p.Equilibria {
				var prof []int
				for _, d := range e.Profile {
					for s, x := range d {
						if x.Sign() != 0 {
							prof = append(prof, s)
						}
					}
				}
				got = append(got, prof)
			}
			if len(got) != len(tt.pure) {
				t.Errorf("%s: pure equilibria %v, want %v", tt.file, got, tt.pure)
			} else {
				for i := range got {
					for j := range got[i] {
						if got[i][j] != tt.pure[i][j] {
							t.Errorf("%s: pure equilibria %v, want %v", tt.file, got, tt.pure)
						}
					}
				}
			}
		}
		compareLrsnash(t, tt.file, g.Normal, r)
	}
}

// compareLrsnash checks r's equilibria against lrsnash's set, in a subtest "lrsnash/NAME"
// (lrsnash is required: see [lrsnash.Require]).
func compareLrsnash(t *testing.T, name string, g *game.Normal, r *Report) {
	t.Helper()
	t.Run("lrsnash/"+name, func(t *testing.T) {
		lrsnash.Require(t)
		checkLrsnash(t, name, g, r)
	})
}

// checkLrsnash compares r's equilibria with lrsnash's extreme equilibria of g.
func checkLrsnash(t *testing.T, name string, g *game.Normal, r *Report) {
	t.Helper()
	A, B, _ := g.Matrices()
	ref, err := lrsnash.Run(context.Background(), A, B)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range ref {
		want[key(e.X, e.Y)] = true
	}
	got := map[string]bool{}
	for _, e := range r.Equilibria {
		got[key(e.Profile[0], e.Profile[1])] = true
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d equilibria, lrsnash %d", name, len(got), len(want))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s: lrsnash equilibrium %s missing", name, k)
		}
	}
}

func TestSeedSequential(t *testing.T) {
	tests := []struct {
		file    string
		payoffs string
		path    string
	}{
		{"escalation", "0 0", "A1"},
		{"monopoly", "2 1", "A2 B1"},
		{"hot_cold", "2 3", "A1 B2"},
		{"draco", "5 5", "A1 B1"},
		{"trigame", "4 10", "A2 B1 A2"},
	}
	for _, tt := range tests {
		g := load(t, filepath.Join(gamesDir, tt.file+".toml"))
		r, err := Solve(context.Background(), g, "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Method != "spe" || r.SPE == nil {
			t.Fatalf("%s: method %s", tt.file, r.Method)
		}
		if got := strings.Join(ratStrings(r.SPE.Payoffs), " "); got != tt.payoffs {
			t.Errorf("%s: SPE payoffs %s, want %s", tt.file, got, tt.payoffs)
		}
		if got := strings.Join(r.SPE.Path, " "); got != tt.path {
			t.Errorf("%s: SPE path %s, want %s", tt.file, got, tt.path)
		}
		if len(r.SPE.Choices) != len(g.Tree.DecisionNodes(0))+len(g.Tree.DecisionNodes(1)) || !r.SPE.Unique {
			t.Errorf("%s: %d choices, unique %v", tt.file, len(r.SPE.Choices), r.SPE.Unique)
		}
		// The SPE is a Nash equilibrium of the normal form, and among "all"'s equilibria.
		nf, _, _ := g.Tree.ToNormal()
		checkExact(t, tt.file, nf, r)
		all, err := Solve(context.Background(), g, "all")
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, tt.file+" (all)", nf, all)
		found := false
		for _, e := range all.Equilibria {
			found = found || key(e.Profile[0], e.Profile[1]) == key(r.Equilibria[0].Profile[0], r.Equilibria[0].Profile[1])
		}
		if !found {
			t.Errorf("%s: SPE profile not among the normal form's extreme equilibria", tt.file)
		}
	}
}

// bimatrixGame builds a game from integer matrices.
func bimatrixGame(t testing.TB, A, B [][]int64) *game.Game {
	conv := func(M [][]int64) [][]*big.Rat {
		out := make([][]*big.Rat, len(M))
		for i, row := range M {
			out[i] = game.IntRats(row...)
		}
		return out
	}
	g, err := game.NewBimatrix(conv(A), conv(B))
	if err != nil {
		t.Fatal(err)
	}
	return &game.Game{Name: "test", Normal: g}
}

func TestKnownGames(t *testing.T) {
	neg := func(A [][]int64) [][]int64 {
		out := make([][]int64, len(A))
		for i, row := range A {
			for _, x := range row {
				out[i] = append(out[i], -x)
			}
		}
		return out
	}
	nashpy := [][]int64{{0, -1, 1}, {-1, 0, 1}, {-1, 0, 1}}
	mp := [][]int64{{1, -1}, {-1, 1}}
	tests := []struct {
		name  string
		g     *game.Game
		count int
	}{
		// nashpy's documented degenerate failure: lrsnash lists 2 extreme equilibria.
		{"nashpy degenerate", bimatrixGame(t, nashpy, neg(nashpy)), 2},
		{"matching pennies", bimatrixGame(t, mp, neg(mp)), 1},
		{"all zero 2x2", bimatrixGame(t, [][]int64{{0, 0}, {0, 0}}, [][]int64{{0, 0}, {0, 0}}), 4},
		{"von Stengel 6x6", load(t, filepath.Join(gambitDir, "dcg_vonstengel1999_6x6_game_with_75_eq.nfg")), 75},
		{"von Stengel 6x6 small payoffs", load(t, filepath.Join(gambitDir, "dcg_vonstengel1999_6x6_game_with_75_eq_small_payoffs.nfg")), 75},
		{"Shapley 1974 fig 3", load(t, filepath.Join(gambitDir, "other_shapley1974_fig3.nfg")), -1},
		{"Winkels 12 extreme", load(t, filepath.Join(gambitDir, "contrib_winkels.nfg")), 12},
	}
	for _, tt := range tests {
		r, err := Solve(context.Background(), tt.g, "all")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.count >= 0 && len(r.Equilibria) != tt.count {
			t.Errorf("%s: %d equilibria, want %d", tt.name, len(r.Equilibria), tt.count)
		}
		checkExact(t, tt.name, tt.g.Normal, r)
		compareLrsnash(t, tt.name, tt.g.Normal, r)
		lh, err := Solve(context.Background(), tt.g, "lh")
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, tt.name+" (lh)", tt.g.Normal, lh)
		if len(lh.Equilibria) != 1 {
			t.Errorf("%s: lh found %d equilibria, want 1", tt.name, len(lh.Equilibria))
		}
		lhall, err := Solve(context.Background(), tt.g, "lhall")
		if err != nil {
			t.Fatal(err)
		}
		checkExact(t, tt.name+" (lhall)", tt.g.Normal, lhall)
		if len(lhall.Equilibria) == 0 || len(lhall.Equilibria) > len(r.Equilibria) {
			t.Errorf("%s: lhall found %d of %d", tt.name, len(lhall.Equilibria), len(r.Equilibria))
		}
	}
	// Shapley's game (1964): the unique equilibrium is uniform.
	shapley := bimatrixGame(t, [][]int64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, [][]int64{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}})
	r, _ := Solve(context.Background(), shapley, "all")
	if len(r.Equilibria) != 1 || r.Equilibria[0].Profile[0][0].Cmp(big.NewRat(1, 3)) != 0 {
		t.Errorf("Shapley's game: %v", r.Equilibria)
	}
	// Rock-paper-scissors by LP: value 0, uniform strategies.
	rps := load(t, filepath.Join(gamesDir, "rock_paper_scissors.toml"))
	z, err := Solve(context.Background(), rps, "zerosum")
	if err != nil || z.ZeroSum.Value.Sign() != 0 || z.Equilibria[0].Profile[1][2].Cmp(big.NewRat(1, 3)) != 0 {
		t.Errorf("RPS zerosum: %+v %v", z, err)
	}
	checkExact(t, "rps zerosum", rps.Normal, z)
}

// TestGambitSuite solves every Gambit game: two-player ones completely (each equilibrium verified
// exactly), n-player ones by support enumeration (max regret small).
func TestGambitSuite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(gambitDir, "*.nfg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .nfg files under %s (%v)", gambitDir, err)
	}
	for _, f := range files {
		g := load(t, f)
		r, err := Solve(context.Background(), g, "all")
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if len(r.Equilibria) == 0 {
			t.Errorf("%s: no equilibrium found", filepath.Base(f))
		}
		checkExact(t, filepath.Base(f), g.Normal, r)
	}
}

// TestRandomGames: every reported equilibrium of seeded random games has zero regret in exact
// arithmetic, for every method that reports equilibria; degenerate (small payoff range) included.
func TestRandomGames(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for trial := 0; trial < 60; trial++ {
		m, n := 1+rng.Intn(5), 1+rng.Intn(5)
		hi := int64(3 + 97*(trial%2)) // odd trials: 0–99, even: 0–2 (degenerate)
		A := make([][]int64, m)
		B := make([][]int64, m)
		for i := range A {
			for j := 0; j < n; j++ {
				A[i] = append(A[i], rng.Int63n(hi))
				B[i] = append(B[i], rng.Int63n(hi))
			}
		}
		g := bimatrixGame(t, A, B)
		for _, method := range []string{"all", "pure", "lh", "lhall", "iesds", "iewds", "pareto"} {
			r, err := Solve(context.Background(), g, method)
			if err != nil {
				t.Fatalf("trial %d %s: %v", trial, method, err)
			}
			checkExact(t, method, g.Normal, r)
		}
		ce, err := Solve(context.Background(), g, "ce")
		if err != nil || ce.Correlated == nil {
			t.Fatalf("trial %d ce: %v", trial, err)
		}
	}
	for trial := 0; trial < 6; trial++ {
		shape := [][]int{{2, 2, 2}, {3, 2, 2}, {2, 2, 2, 2}}[trial%3]
		pay := make([][]*big.Rat, 1)
		P := 1
		for _, s := range shape {
			P *= s
		}
		pay = make([][]*big.Rat, P)
		for k := range pay {
			for range shape {
				pay[k] = append(pay[k], big.NewRat(rng.Int63n(10), 1))
			}
		}
		var players []string
		var strats [][]string
		for i, s := range shape {
			players = append(players, string(rune('A'+i)))
			var names []string
			for j := 0; j < s; j++ {
				names = append(names, string(rune('a'+j)))
			}
			strats = append(strats, names)
		}
		nf, err := game.NewNormal(players, strats, pay)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Solve(context.Background(), &game.Game{Name: "random", Normal: nf}, "all")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Equilibria) == 0 {
			t.Errorf("random %v game: no equilibrium found", shape)
		}
		checkExact(t, "n-player", nf, r)
	}
}

func TestMethodsOnSeeds(t *testing.T) {
	pd := load(t, filepath.Join(gamesDir, "prisoner_dilemma.toml"))
	r, err := Solve(context.Background(), pd, "iesds")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Eliminated) != 2 || r.Remaining[0][0] != "c2" || r.Remaining[1][0] != "c2" {
		t.Errorf("PD iesds: %+v", r.Eliminated)
	}
	r, _ = Solve(context.Background(), pd, "pareto")
	if len(r.Pareto.Strict) != 3 { // (3,3) (0,5) (5,0)
		t.Errorf("PD Pareto: %+v", r.Pareto.Strict)
	}
	for _, rule := range []string{"sum", "nash_product", "maxmin"} {
		if sel := r.Pareto.Select[rule]; strings.Join(sel.Outcome.Profile, ",") != "c1,c1" || sel.Tied != nil {
			t.Errorf("PD %s selects %+v", rule, sel)
		}
	}
	// Battle of the sexes: (2,1) and (1,2) tie on every rule; player 1's payoff breaks the tie.
	bos := load(t, filepath.Join(gamesDir, "battle_of_sexes.toml"))
	r, _ = Solve(context.Background(), bos, "pareto")
	if sel := r.Pareto.Select["sum"]; strings.Join(sel.Outcome.Profile, ",") != "c1,c1" || sel.Tied != nil {
		t.Errorf("BoS sum selects %+v", sel)
	}
	chicken := load(t, filepath.Join(gamesDir, "game_of_chicken.toml"))
	r, err = Solve(context.Background(), chicken, "ce")
	if err != nil {
		t.Fatal(err)
	}
	// Every outcome's total is at most 0 and (c2,c2) reaches it, so the optimum is 0.
	if w := game.MustRat(r.Correlated.Welfare); w.Sign() != 0 {
		t.Errorf("chicken CE welfare %v, want 0", w)
	}
	probs := make([]*big.Rat, chicken.Normal.NumProfiles())
	for k := range probs {
		probs[k] = new(big.Rat)
	}
	for _, d := range r.Correlated.Distribution {
		k := 0
		for i, name := range d.Profile {
			for s, label := range chicken.Normal.Strategies(i) {
				if label == name {
					k += s * chicken.Normal.Stride(i)
				}
			}
		}
		probs[k] = game.MustRat(d.Prob)
	}
	if !strategic.IsCorrelatedEquilibrium(chicken.Normal, probs) {
		t.Error("chicken: reported distribution is not a correlated equilibrium")
	}
	if _, err := Solve(context.Background(), pd, "spe"); !errors.Is(err, ErrMethod) {
		t.Errorf("spe on a normal-form game: %v", err)
	}
	if _, err := Solve(context.Background(), &game.Game{}, ""); !errors.Is(err, ErrMethod) {
		t.Errorf("empty game: %v", err)
	}
	if _, err := Solve(context.Background(), pd, "bogus"); !errors.Is(err, ErrMethod) {
		t.Errorf("unknown method: %v", err)
	}
	dond := load(t, filepath.Join(gamesDir, "deal_or_no_deal_example.toml"))
	r, err = Solve(context.Background(), dond, "")
	if err != nil || r.Allocation == nil || *r.Allocation.MaxEnvyFreeWelfare != "12" {
		t.Errorf("DoND example: %+v %v", r, err)
	}
}

func TestVerifyChoice(t *testing.T) {
	pd := load(t, filepath.Join(gamesDir, "prisoner_dilemma.toml"))
	v, err := VerifyChoice(pd, []string{"c1", "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Equilibrium || v.Regret[0].Cmp(big.NewRat(2, 1)) != 0 || v.WelfareRank != 1 || len(v.DominatedBy) != 0 {
		t.Errorf("PD (c1,c1): %+v", v)
	}
	v, _ = VerifyChoice(pd, []string{"c2", "c2"})
	if !v.Equilibrium || len(v.DominatedBy) != 1 || v.DominatedBy[0].Profile[0] != "c1" {
		t.Errorf("PD (c2,c2): %+v", v)
	}
	if _, err := VerifyChoice(pd, []string{"c1", "c9"}); !errors.Is(err, strategic.ErrProfile) {
		t.Errorf("unknown strategy: %v", err)
	}
	tr := load(t, filepath.Join(gamesDir, "monopoly.toml"))
	v, err = VerifyChoice(tr, []string{"A2", "B1"})
	if err != nil || !v.Equilibrium {
		t.Errorf("monopoly (A2,B1): %+v %v", v, err)
	}
}

// TestJSONGolden pins the JSON schema of docs/solver.md on a few games (go test -update rewrites).
func TestJSONGolden(t *testing.T) {
	cases := []struct{ file, method string }{
		{"battle_of_sexes.toml", "all"},
		{"game_of_chicken.toml", "ce"},
		{"prisoner_dilemma.toml", "iesds"},
		{"monopoly.toml", "spe"},
		{"deal_or_no_deal_example.toml", "all"},
	}
	for _, c := range cases {
		g := load(t, filepath.Join(gamesDir, c.file))
		r, err := Solve(context.Background(), g, c.method)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", strings.TrimSuffix(c.file, ".toml")+"."+c.method+".json")
		if *update {
			os.WriteFile(golden, append(got, '\n'), 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
			t.Errorf("%s: JSON differs from %s:\n%s", c.file, golden, got)
		}
		// The stable top-level keys are always present.
		var m map[string]any
		json.Unmarshal(got, &m)
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range []string{"complete", "equilibria", "game", "method", "players", "strategies"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: key %q missing (have %v)", c.file, k, keys)
			}
		}
	}
}

func TestChanceTree(t *testing.T) {
	g := load(t, "testdata/chance.toml")
	r, err := Solve(context.Background(), g, "spe")
	if err != nil {
		t.Fatal(err)
	}
	// Bob picks B2 (2 > 0), so Alice takes A1: 1/3·(3, 1) + 2/3·(0, 0) = (1, 1/3).
	if got := strings.Join(ratStrings(r.SPE.Payoffs), " "); got != "1 1/3" {
		t.Errorf("SPE payoffs %s", got)
	}
	if got := strings.Join(r.SPE.Path, " "); got != "nature:chance" {
		t.Errorf("path %s", got)
	}
	if r.SPE.Choices[0].Action != "A1" || r.SPE.Choices[1].Action != "B2" {
		t.Errorf("choices %+v", r.SPE.Choices)
	}
	nf, _, _ := g.Tree.ToNormal()
	checkExact(t, "chance", nf, r)
	all, err := Solve(context.Background(), g, "all")
	if err != nil {
		t.Fatal(err)
	}
	checkExact(t, "chance all", nf, all)
}

func TestWriteMatrix(t *testing.T) {
	g := load(t, filepath.Join(gamesDir, "prisoner_dilemma.toml"))
	var b strings.Builder
	if err := WriteMatrix(&b, g.Normal); err != nil {
		t.Fatal(err)
	}
	want := "  Alice \\ Bob    c1    c2\n           c1  3, 3  0, 5\n           c2  5, 0  1, 1\n"
	if b.String() != want {
		t.Errorf("WriteMatrix =\n%q\nwant\n%q", b.String(), want)
	}
}

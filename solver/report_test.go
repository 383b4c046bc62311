package solver

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/solver/game"
)

// roundTrip checks that r survives its JSON encoding: the decoded report encodes to the same
// bytes and prints the same text.
func roundTrip(t *testing.T, name string, r *Report) {
	t.Helper()
	b1, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	var back Report
	if err := json.Unmarshal(b1, &back); err != nil {
		t.Fatalf("%s: unmarshal: %v\n%s", name, err, b1)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatalf("%s: marshal the decoded report: %v", name, err)
	}
	if !bytes.Equal(b1, b2) {
		t.Errorf("%s: JSON changed in a round trip:\n%s\n%s", name, b1, b2)
	}
	var t1, t2 bytes.Buffer
	if err := r.WriteText(&t1); err != nil {
		t.Fatal(err)
	}
	if err := back.WriteText(&t2); err != nil {
		t.Fatal(err)
	}
	if t1.String() != t2.String() {
		t.Errorf("%s: text changed in a round trip:\n%s\n---\n%s", name, t1.String(), t2.String())
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no games in %s: %v", gamesDir, err)
	}
	files = append(files, "testdata/chance.toml")
	solved := 0
	for _, f := range files {
		g := load(t, f)
		for _, m := range Methods {
			r, err := Solve(context.Background(), g, m)
			if err != nil {
				continue // an inapplicable method or a game it cannot solve (zerosum on a general-sum game)
			}
			roundTrip(t, filepath.Base(f)+" "+m, r)
			solved++
		}
	}
	if solved < len(files) {
		t.Errorf("only %d reports for %d games", solved, len(files))
	}
	// Random three-player games: support enumeration finds mixed equilibria, some of them
	// numerical (irrational probabilities).
	rng := rand.New(rand.NewPCG(7, 11))
	approx := 0
	for trial := range 20 {
		pay := make([][]*big.Rat, 8)
		for k := range pay {
			for range 3 {
				pay[k] = append(pay[k], big.NewRat(rng.Int64N(10), 1))
			}
		}
		nf, err := game.NewNormal([]string{"A", "B", "C"}, [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}}, pay)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Solve(context.Background(), &game.Game{Name: "random", Normal: nf}, "all")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Equilibria {
			if !e.Exact() {
				approx++
			}
		}
		roundTrip(t, "random 3-player game "+string(rune('0'+trial%10)), r)
	}
	t.Logf("%d numerical equilibria among the random games", approx)
}

// TestReportJSONRoundTripDecimals covers numbers whose text would change if the text output
// rounded the unrounded value a second time: each prints the same from the JSON's digits.
func TestReportJSONRoundTripDecimals(t *testing.T) {
	tests := []struct {
		name   string
		prob   float64
		regret float64
	}{
		// 1.2549 prints as 1.3 with 2 digits, but its JSON carries 1.25, which prints as 1.2.
		{"regret at a 2-digit boundary", 0.5, 1.2549},
		// Within 1e-14 of 0.1234565, the half-way point of 6 decimals: the unrounded value and the
		// float nearest the JSON's 12 digits fall on different sides of it in one of the two.
		{"probability just above a 6-decimal half", 0.12345650000001, 1e-10},
		{"probability just below a 6-decimal half", 0.12345649999999, 1e-10},
		{"probability rounding up to one", 0.99999999999999, 3.3e-12},
		{"tiny probability", 1e-13, 0},
	}
	for _, tt := range tests {
		r := &Report{Game: "g", Players: []string{"A", "B"}, Strategies: [][]string{{"x", "y"}, {"x", "y"}}, Method: "supportenum",
			Equilibria: []Equilibrium{{
				Approx:        [][]float64{{tt.prob, 1 - tt.prob}, {1 - tt.prob, tt.prob}},
				ApproxPayoffs: []float64{tt.prob * 3, 2.0 / 3},
				MaxRegret:     tt.regret,
			}}}
		roundTrip(t, tt.name, r)
	}
}

func TestReportJSONDecodeErrors(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"equilibria":[{"profile":[["1/x"]],"payoffs":["1"]}]}`, `"1/x" is not a rational`},
		{`{"equilibria":[{"profile":[["0.5"]],"payoffs":["a"],"exact":false,"max_regret":"0"}]}`, `"a" is not a decimal`},
		{`{"zero_sum":{"value":"1/0","constant":"0"}}`, "zero_sum.value"},
		{`{"equilibria":[{"profile":[[1]],"payoffs":["1"]}]}`, "cannot unmarshal number"},
	} {
		var r Report
		err := json.Unmarshal([]byte(tt.body), &r)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Unmarshal(%s) = %v, want an error containing %q", tt.body, err, tt.want)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	tdMatrix = "testdata/gtalign_matrix.json"
	tdCheap  = "testdata/gtalign_pricing_cheap.toml"
	tdDear   = "testdata/gtalign_pricing_dear.toml"
)

// TestReasonOfflineGolden: `nash reason --offline` prints the tables, the frontier, the
// choice and the pricing as in testdata/reason_*.golden (rerun with -update after a
// deliberate change and read the diff).
func TestReasonOfflineGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"reason_cheap.golden", []string{"--matrix", tdMatrix, "--pricing", tdCheap}},
		{"reason_dear.golden", []string{"--matrix", tdMatrix, "--pricing", tdDear}},
		{"reason_dear_json.golden", []string{"--matrix", tdMatrix, "--pricing", tdDear, "--json"}},
		{"reason_paper.golden", []string{"--matrix", tdMatrix, "--pricing", "testdata/gtalign_pricing_paper.toml"}},
		{"reason_nash_product.golden", []string{"--matrix", tdMatrix, "--rule", "nash_product"}},
		{"reason_repair.golden", []string{"--matrix", "testdata/gtalign_matrix_repair.txt", "--json"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := nash(append([]string{"reason", "--offline"}, tt.args...)...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if r.stdout != string(want) {
				t.Errorf("stdout differs from %s (go test -update rewrites it):\n%s", path, r.stdout)
			}
		})
	}
}

// offlineJSON runs `nash reason --offline --json` and decodes its answer.
func offlineJSON(t *testing.T, args ...string) (sel struct {
	Matrix       map[string]struct{ LLM, User float64 } `json:"matrix"`
	Transformed  map[string]struct{ LLM, User float64 } `json:"transformed"`
	Frontier     []string                               `json:"frontier"`
	SolverChoice string                                 `json:"solver_choice"`
	Repairs      []string                               `json:"repairs"`
	Pricing      *struct {
		Version string `json:"version"`
	} `json:"pricing"`
}) {
	t.Helper()
	r := nash(append([]string{"reason", "--offline", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("nash reason --offline %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &sel); err != nil {
		t.Fatalf("%v in %s", err, r.stdout)
	}
	return sel
}

// TestReasonOfflinePricingFlip: the same matrix chooses an AQ cell under the cheap pricing
// file and a DA cell under the dear one, and each choice is the one an independent
// computation (Pareto frontier by pairwise dominance, then the largest LLM + user) makes on
// the printed transformed matrix.
func TestReasonOfflinePricingFlip(t *testing.T) {
	for _, tt := range []struct{ pricing, want string }{{tdCheap, "DQ_AQ"}, {tdDear, "DQ_DA"}} {
		sel := offlineJSON(t, "--matrix", tdMatrix, "--pricing", tt.pricing)
		if sel.SolverChoice != tt.want {
			t.Errorf("%s: solver_choice %s, want %s", tt.pricing, sel.SolverChoice, tt.want)
		}
		if sel.Pricing == nil || !strings.HasPrefix(sel.Pricing.Version, filepath.Base(tt.pricing)+"@") {
			t.Errorf("%s: pricing %+v, want its version", tt.pricing, sel.Pricing)
		}
		// Independently: the frontier and the welfare choice on the transformed matrix.
		var best string
		for k, c := range sel.Transformed {
			dominated := false
			for k2, c2 := range sel.Transformed {
				if k2 != k && c2.LLM >= c.LLM && c2.User >= c.User && (c2.LLM > c.LLM || c2.User > c.User) {
					dominated = true
				}
			}
			if dominated {
				continue
			}
			if best == "" || c.LLM+c.User > sel.Transformed[best].LLM+sel.Transformed[best].User {
				best = k
			}
		}
		if best != sel.SolverChoice {
			t.Errorf("%s: independent choice %s, nash chose %s", tt.pricing, best, sel.SolverChoice)
		}
		// The user pays: the LLM's payoffs are unchanged, the user's lowered.
		for k, c := range sel.Matrix {
			tc := sel.Transformed[k]
			if tc.LLM != c.LLM || tc.User >= c.User {
				t.Errorf("%s: %s %+v → %+v, want the user charged", tt.pricing, k, c, tc)
			}
		}
	}
	if sel := offlineJSON(t, "--matrix", tdMatrix); sel.Pricing != nil || sel.SolverChoice != "DQ_AQ" {
		t.Errorf("no pricing: %+v, want pricing null and DQ_AQ", sel)
	}
	// stdin, and a matrix that needs repairs reads as the strict one.
	m, _ := os.ReadFile(tdMatrix)
	r := nashIn(string(m), "reason", "--offline", "--matrix", "-", "--pricing", tdDear, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"solver_choice":"DQ_DA"`) {
		t.Errorf("--matrix -: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	rep := offlineJSON(t, "--matrix", "testdata/gtalign_matrix_repair.txt")
	if len(rep.Repairs) == 0 || rep.SolverChoice != "DQ_AQ" || len(rep.Matrix) != 6 {
		t.Errorf("repaired matrix: %+v", rep)
	}
}

// TestReasonOfflineBadInput: a bad matrix, pricing file or game is an error naming the field
// (exit 1); wrong arguments are usage errors (exit 2).
func TestReasonOfflineBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const rest = `"DQ_CQ": {"LLM": 1.0, "user": 1.5}, "DQ_AQ": {"LLM": 3.1, "user": 3.4}, "VQ_DA": {"LLM": 1.5, "user": 1.0}, "VQ_CQ": {"LLM": 2.0, "user": 2.5}, "VQ_AQ": {"LLM": 2.5, "user": 2.8}`
	matrix := func(first string) string { return write("m.json", "{"+first+rest+"}") }
	tests := []struct {
		name   string
		args   func() []string
		code   int
		stderr string
	}{
		{"missing key", func() []string { return []string{"--matrix", write("m.json", "{"+rest+"}")} }, 1, `m.json: gtalign: payoff: DQ_DA: missing`},
		{"duplicate key", func() []string {
			return []string{"--matrix", matrix(`"VQ_AQ": {"LLM": 1, "user": 1}, "DQ_DA": {"LLM": 1, "user": 1}, `)}
		}, 1, `payoff: VQ_AQ: duplicate key`},
		{"unknown key", func() []string { return []string{"--matrix", matrix(`"DQ_XX": {"LLM": 1, "user": 1}, `)} }, 1, `payoff: DQ_XX: unknown key`},
		{"NaN", func() []string { return []string{"--matrix", matrix(`"DQ_DA": {"LLM": NaN, "user": 1}, `)} }, 1, `payoff: DQ_DA.LLM: invalid JSON at byte 13: invalid character 'N'`},
		{"huge number", func() []string { return []string{"--matrix", matrix(`"DQ_DA": {"LLM": 1e999, "user": 1}, `)} }, 1, `payoff: DQ_DA.LLM: 1e999 is not a finite`},
		{"out of range", func() []string { return []string{"--matrix", matrix(`"DQ_DA": {"LLM": 1, "user": -7.5}, `)} }, 1, `payoff: DQ_DA.user: -7.5 outside [-5, 5]`},
		{"missing field", func() []string { return []string{"--matrix", matrix(`"DQ_DA": {"LLM": 1}, `)} }, 1, `payoff: DQ_DA.user: missing`},
		{"no file", func() []string { return []string{"--matrix", filepath.Join(dir, "none.json")} }, 1, `read the matrix:`},
		{"negative price", func() []string {
			return []string{"--matrix", tdMatrix, "--pricing", write("p.toml", "rate = 1.0\noutput_price_per_million = -2.0\n")}
		}, 1, `p.toml:2: output_price_per_million: -2 < 0`},
		{"NaN rate", func() []string { return []string{"--matrix", tdMatrix, "--pricing", write("p.toml", "rate = nan\n")} }, 1, `p.toml:1: rate: NaN is not a finite number`},
		{"unknown pricing key", func() []string {
			return []string{"--matrix", tdMatrix, "--pricing", write("p.toml", "rate = 1.0\nprice = 3.0\n")}
		}, 1, `p.toml:2: unknown key price`},
		{"strategy without a length", func() []string {
			return []string{"--matrix", tdMatrix, "--pricing", write("p.toml", "[expected_completion_tokens]\nDA = 10\n")}
		}, 1, `p.toml: expected_completion_tokens: no length for strategy AQ, CQ`},
		{"game without strategies", func() []string {
			return []string{"--matrix", tdMatrix, "--game", write("g.toml", "[[user_types]]\nid = \"DQ\"\nname = \"d\"\ndescription = \"d\"\n")}
		}, 1, `g.toml: gtalign: invalid game: strategies: no strategies`},
		{"no matrix", func() []string { return nil }, 2, "--offline needs --matrix FILE"},
		{"bad rule", func() []string { return []string{"--matrix", tdMatrix, "--rule", "best"} }, 2, `unknown selection rule "best"`},
		{"question offline", func() []string { return []string{"--matrix", tdMatrix, "why?"} }, 2, "--offline takes no question"},
		{"daemon flag offline", func() []string { return []string{"--matrix", tdMatrix, "--policy", "reject"} }, 2, "--policy: not with --offline"},
		{"daemon flags offline", func() []string { return []string{"--matrix", tdMatrix, "--seed", "1", "--stream"} }, 2, "--seed, --stream: not with --offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := nash(append([]string{"reason", "--offline"}, tt.args()...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s\nwant stderr containing %q", r.code, tt.code, r.stdout, r.stderr, tt.stderr)
			}
		})
	}
	if r := nash("reason", "--matrix", tdMatrix); r.code != 2 || !strings.Contains(r.stderr, "--offline only") {
		t.Errorf("--matrix without --offline: exit %d, %s", r.code, r.stderr)
	}
}

// nashIn runs nash with stdin.
func nashIn(stdin string, args ...string) result {
	var o, e bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &o, &e)
	return result{code, o.String(), e.String()}
}

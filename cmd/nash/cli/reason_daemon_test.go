package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/reasoning/pricing"
)

// startReasonDaemon runs nashd in-process serving a freshly generated tiny random-weight
// model, with pricing.toml holding pricingTOML, and returns its config directory and socket.
func startReasonDaemon(t *testing.T, pricingTOML string) (dir, sock string) {
	t.Helper()
	model := tinyModelFile(t, t.TempDir())
	// GTAlign's system prompt alone is ~2,300 tokens of the tiny model's byte vocabulary.
	return runDaemon(t, map[string]string{
		"nashd.toml":   "[inference]\nthreads = 1\ncontext_size = 4096\nslots = 1\n[log]\nlevel = \"warn\"\n[reasoning]\nstate_dir = \"state\"\n",
		"models.toml":  fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n", model),
		"pricing.toml": pricingTOML,
	}, true)
}

// Pricing files whose costs dwarf any payoff in [-5, 5]: the one strategy with a short
// expected answer wins whatever matrix the random model writes (the welfare rule adds the
// payoffs, and every other strategy's cells lose a million to the user's side).
const (
	onlyAQCheap = "payer = \"user\"\ninput_price_per_million = 0.0\noutput_price_per_million = 1000.0\nrate = 1000.0\nlearn_lengths = false\n[expected_completion_tokens]\nDA = 1000000\nCQ = 1000000\nAQ = 0\n"
	onlyDACheap = "payer = \"user\"\ninput_price_per_million = 0.0\noutput_price_per_million = 1000.0\nrate = 1000.0\nlearn_lengths = false\n[expected_completion_tokens]\nDA = 0\nCQ = 1000000\nAQ = 1000000\n"
)

// reasonJSON is the part of the daemon's result object the tests read.
type reasonJSON struct {
	Object       string                                 `json:"object"`
	Matrix       map[string]struct{ LLM, User float64 } `json:"matrix"`
	Transformed  map[string]struct{ LLM, User float64 } `json:"transformed"`
	Frontier     []string                               `json:"frontier"`
	ModelChoice  string                                 `json:"model_choice"`
	SolverChoice string                                 `json:"solver_choice"`
	Agree        bool                                   `json:"agree"`
	Applied      string                                 `json:"applied"`
	Policy       string                                 `json:"policy"`
	Rule         string                                 `json:"rule"`
	AnalyzeBy    string                                 `json:"analyze_by"`
	Response     string                                 `json:"response"`
	Pricing      struct {
		Version string `json:"version"`
	} `json:"pricing"`
	Passes []struct {
		Name            string `json:"name"`
		PromptTokens    int    `json:"prompt_tokens"`
		CacheN          int    `json:"cache_n"`
		GeneratedTokens int    `json:"generated_tokens"`
	} `json:"passes"`
	Nashd struct {
		PricingVersion string `json:"pricing_version"`
	} `json:"nashd"`
}

// TestReasonThroughDaemon: `nash reason` over the socket prints the tables, the frontier,
// both choices and the answer; --json is the result object, whose choice is the welfare
// choice on its own transformed matrix; --stream prints the blocks first; bad flags are usage
// errors; and after pricing.toml is edited, the same question chooses by the new prices (a
// flip from an AQ cell to a DA cell).
func TestReasonThroughDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the tiny model")
	}
	dir, sock := startReasonDaemon(t, onlyAQCheap)
	q := "Which is larger, a cat or a mouse?"

	r := nash("reason", "--socket", sock, "--temperature", "0", q)
	if r.code != 0 {
		t.Fatalf("nash reason: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"nashd: model tiny, rule welfare, policy override, analyze_by model", "payoff matrix as written (LLM/user",
		"\n  DQ ", "\n  VQ ", "pricing pricing.toml@", "transformed matrix, after pricing", "Pareto frontier: ",
		"solver's choice: ", "model's choice: ", "applied: ", "\nresponse", "passes:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("nash reason output lacks %q:\n%s", want, r.stdout)
		}
	}

	res := reasonOver(t, sock, q, "--analyze-by", "solver", "--rule", "welfare")
	if res.Object != "nashd.reasoning" || res.AnalyzeBy != "solver" || !res.Agree || res.Applied != res.SolverChoice {
		t.Errorf("result %+v", res)
	}
	if !strings.HasSuffix(res.SolverChoice, "_AQ") {
		t.Errorf("with only AQ cheap the solver chose %s", res.SolverChoice)
	}
	checkWelfare(t, res)
	for i, p := range res.Passes {
		if i > 0 && p.CacheN != res.Passes[i-1].PromptTokens+res.Passes[i-1].GeneratedTokens {
			t.Errorf("pass %s: cache_n %d, want the %d tokens before it", p.Name, p.CacheN, res.Passes[i-1].PromptTokens+res.Passes[i-1].GeneratedTokens)
		}
	}
	if res.Pricing.Version != res.Nashd.PricingVersion || res.Pricing.Version != pricing.Version("pricing.toml", []byte(onlyAQCheap)) {
		t.Errorf("pricing version %q, provenance %q, want %q", res.Pricing.Version, res.Nashd.PricingVersion, pricing.Version("pricing.toml", []byte(onlyAQCheap)))
	}

	s := nash("reason", "--socket", sock, "--stream", "--temperature", "0", q)
	ti, ri, si := strings.Index(s.stdout, "<thinking>"), strings.Index(s.stdout, "\n<response>\n"), strings.Index(s.stdout, "solver's choice: ")
	if s.code != 0 || ti < 0 || ri < ti || si < ri || strings.Contains(s.stdout[si:], "\nthinking:") {
		t.Errorf("--stream: exit %d, want the blocks, then the result without them:\n%s%s", s.code, s.stdout, s.stderr)
	}

	// Reject: a model whose choice is not the solver's fails with the result so far.
	rj := nash("reason", "--socket", sock, "--policy", "reject", "--temperature", "0", "--json", q)
	var rjRes reasonJSON
	if err := json.Unmarshal([]byte(rj.stdout), &rjRes); err != nil {
		t.Fatalf("--policy reject --json: %v in %q (stderr %s)", err, rj.stdout, rj.stderr)
	}
	if rjRes.Agree != (rj.code == 0) || (rj.code != 0 && !strings.Contains(rj.stderr, "rejected")) || rjRes.SolverChoice == "" {
		t.Errorf("--policy reject: exit %d, agree %v, stderr %s", rj.code, rjRes.Agree, rj.stderr)
	}

	for _, bad := range [][]string{{"--rule", "best", q}, {"--policy", "maybe", q}, {"--analyze-by", "user", q}, {}, {"--max-tokens", "-1", q}} {
		if b := nash(append([]string{"reason", "--socket", sock}, bad...)...); b.code != 2 {
			t.Errorf("nash reason %v: exit %d, want 2 (usage)\n%s", bad, b.code, b.stderr)
		}
	}

	// Edit pricing.toml: once the daemon has reloaded it, the same question chooses DA.
	if err := os.WriteFile(filepath.Join(dir, "pricing.toml"), []byte(onlyDACheap), 0o644); err != nil {
		t.Fatal(err)
	}
	want := pricing.Version("pricing.toml", []byte(onlyDACheap))
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := client.New(sock).Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Pricing == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pricing.toml not reloaded: status says %q, want %q", st.Pricing, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res = reasonOver(t, sock, q, "--analyze-by", "solver")
	if !strings.HasSuffix(res.SolverChoice, "_DA") || res.Pricing.Version != want {
		t.Errorf("after the edit: solver chose %s under %s, want a DA cell under %s", res.SolverChoice, res.Pricing.Version, want)
	}
	checkWelfare(t, res)
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// reasonOver runs `nash reason --json` against sock and decodes the result object.
func reasonOver(t *testing.T, sock, q string, args ...string) reasonJSON {
	t.Helper()
	r := nash(append([]string{"reason", "--socket", sock, "--temperature", "0", "--json", q}, args...)...)
	var res reasonJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
		t.Fatalf("nash reason --json %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return res
}

// checkWelfare recomputes the welfare choice on the result's transformed matrix: the
// frontier by pairwise dominance, then the largest LLM + user, ties to the higher user payoff,
// then the higher LLM payoff, then the game's order (DQ before VQ; DA, CQ, AQ).
func checkWelfare(t *testing.T, res reasonJSON) {
	t.Helper()
	order := []string{"DQ_DA", "DQ_CQ", "DQ_AQ", "VQ_DA", "VQ_CQ", "VQ_AQ"}
	var best string
	for _, k := range order {
		c, ok := res.Transformed[k]
		if !ok {
			t.Fatalf("transformed matrix lacks %s: %+v", k, res.Transformed)
		}
		dominated := false
		for _, c2 := range res.Transformed {
			if c2.LLM >= c.LLM && c2.User >= c.User && (c2.LLM > c.LLM || c2.User > c.User) {
				dominated = true
			}
		}
		if dominated {
			continue
		}
		if best == "" {
			best = k
			continue
		}
		b := res.Transformed[best]
		sum, bsum := round6(c.LLM+c.User), round6(b.LLM+b.User) // payoffs have few decimals
		switch {
		case sum > bsum, sum == bsum && c.User > b.User, sum == bsum && c.User == b.User && c.LLM > b.LLM:
			best = k
		}
	}
	if best != res.SolverChoice {
		t.Errorf("independent welfare choice %s, the daemon's %s (transformed %+v)", best, res.SolverChoice, res.Transformed)
	}
}

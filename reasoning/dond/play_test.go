package dond

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/internal/gbnfmatch"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

// grammarScript answers each request with a random string of its grammar: the stand-in
// for a model under nashd's grammars (the fake generator does not enforce them).
func grammarScript(t testing.TB, seed uint64) fakegen.Script {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 11))
	cache := map[string]*gbnfmatch.Matcher{}
	return func(req inference.Request) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		m, ok := cache[req.Grammar]
		if !ok {
			var err error
			if m, err = gbnfmatch.New(req.Grammar); err != nil {
				t.Fatalf("grammar: %v\n%s", err, req.Grammar)
			}
			cache[req.Grammar] = m
		}
		s, err := m.Sample(rng, 0.5, 10000)
		if err != nil {
			t.Fatalf("sample: %v", err)
		}
		return s, nil
	}
}

func sampleLine(t testing.TB, n int) *Setup {
	s, err := LoadLine(samplePath, n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// replay recomputes a negotiation from its transcript's proposals, by hand: who proposed
// what, whether and how it ended, and the belief updates a workflow agent must have made.
type replayed struct {
	agreed  bool
	alice   []int // Alice's share in the deal
	beliefs []BeliefStep
}

func replay(t *testing.T, s *Setup, kinds [2]Kind, ev []agents.Event) replayed {
	t.Helper()
	var out replayed
	var standing [2][]int
	sets := [2][][3]int{}
	c := [3]int{s.Counts[0], s.Counts[1], s.Counts[2]}
	for i := range 2 {
		sets[i] = bruteValuations(c)
	}
	turn := 0
	for _, e := range ev {
		if e.Phase != agents.PhaseProposal {
			continue
		}
		turn++
		i := slices.Index(Players[:], e.Agent)
		if i != (turn-1)%2 {
			t.Fatalf("turn %d spoken by %s", turn, e.Agent)
		}
		if kinds[i] == Workflow && standing[i] != nil {
			// The workflow agent's belief update, from the definitions.
			mine, theirs := [3]int(standing[i]), [3]int(standing[1-i])
			offered := [3]int{c[0] - mine[0], c[1] - mine[1], c[2] - mine[2]}
			theirRest := [3]int{c[0] - theirs[0], c[1] - theirs[1], c[2] - theirs[2]}
			var envy, greed [][3]int
			for _, v := range sets[i] {
				switch {
				case dot(v, offered) < dot(v, mine) && dot(v, theirs) >= dot(v, theirRest):
					envy = append(envy, v)
				case dot(v, offered) >= dot(v, mine) && dot(v, theirs) > dot(v, offered):
					greed = append(greed, v)
				}
			}
			step := BeliefStep{Turn: turn, Player: e.Agent, Envy: len(envy), Greed: len(greed), PEnvy: 0.5}
			if len(envy)+len(greed) == 0 {
				step.Reset, sets[i] = true, bruteValuations(c)
			} else {
				step.PEnvy = float64(len(envy)) / float64(len(envy)+len(greed))
				sets[i] = append(envy, greed...)
			}
			step.Size = len(sets[i])
			out.beliefs = append(out.beliefs, step)
		}
		if e.Action == AcceptTag {
			if standing[1-i] == nil {
				t.Fatalf("turn %d accepts nothing", turn)
			}
			out.agreed = true
			out.alice = standing[1-i]
			if i == 0 {
				out.alice = Split(standing[1]).Rest(s.Counts)
			}
			return out
		}
		share, err := ParseDeal(e.Action, s.Items, s.Counts)
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		if standing[1-i] != nil && slices.Equal(share, Split(standing[1-i]).Rest(s.Counts)) {
			out.agreed = true
			out.alice = share
			if i == 1 {
				out.alice = standing[0]
			}
			return out
		}
		standing[i] = share
	}
	return out
}

// checkVerdict compares a result with the replay and with the verdict computed by hand.
func checkVerdict(t *testing.T, s *Setup, res *Result) {
	t.Helper()
	rp := replay(t, s, res.Kinds, res.Transcript)
	v := res.Verdict
	if res.Turns > 2*res.MaxRounds || res.Rounds != (res.Turns+1)/2 {
		t.Errorf("%d turns, %d rounds, limit %d", res.Turns, res.Rounds, res.MaxRounds)
	}
	if v.Agreement != rp.agreed || (rp.agreed && !slices.Equal(v.Shares[0], rp.alice)) {
		t.Fatalf("verdict %+v, replay %+v", v, rp)
	}
	if fmt.Sprint(res.Beliefs) != fmt.Sprint(rp.beliefs) {
		t.Errorf("belief steps %+v, want %+v", res.Beliefs, rp.beliefs)
	}
	if !v.Agreement {
		if v.Scores != [2]int{} || v.Total != 0 || v.ParetoOptimal || v.EnvyFree {
			t.Errorf("no deal, verdict %+v", v)
		}
		if res.Forfeit == nil && res.Turns != 2*res.MaxRounds {
			t.Errorf("no deal after %d of %d turns", res.Turns, 2*res.MaxRounds)
		}
		return
	}
	c := [3]int(s.Counts)
	val := [2][3]int{[3]int(s.Values[0]), [3]int(s.Values[1])}
	alice := [3]int(rp.alice)
	bob := [3]int{c[0] - alice[0], c[1] - alice[1], c[2] - alice[2]}
	scores := [2]int{dot(val[0], alice), dot(val[1], bob)}
	if v.Scores != scores || v.Total != scores[0]+scores[1] || !slices.Equal(v.Shares[1], bob[:]) {
		t.Errorf("scores %v total %d shares %v, want %v %d %v", v.Scores, v.Total, v.Shares, scores, scores[0]+scores[1], bob)
	}
	ef := dot(val[0], alice) >= dot(val[0], bob) && dot(val[1], bob) >= dot(val[1], alice)
	po := true
	for x := 0; x <= c[0]; x++ {
		for y := 0; y <= c[1]; y++ {
			for z := 0; z <= c[2]; z++ {
				a := [3]int{x, y, z}
				b := [3]int{c[0] - x, c[1] - y, c[2] - z}
				sa, sb := dot(val[0], a), dot(val[1], b)
				if sa >= scores[0] && sb >= scores[1] && (sa > scores[0] || sb > scores[1]) {
					po = false
				}
			}
		}
	}
	if v.EnvyFree != ef || v.ParetoOptimal != po {
		t.Errorf("envy-free %v Pareto-optimal %v, want %v %v", v.EnvyFree, v.ParetoOptimal, ef, po)
	}
}

// A full game per pairing, on several lines and seeds, ends (deal or limit) with scores
// equal to values · shares and the verdict and belief updates equal to the replay by hand.
func TestPlayPairings(t *testing.T) {
	pairings := [][2]Kind{{Workflow, Workflow}, {Workflow, Raw}, {Raw, Workflow}, {Raw, Raw}}
	outcomes := map[string]int{}
	for k, kinds := range pairings {
		for _, line := range []int{1, 2, 7, 19, 33, 50} {
			for _, rounds := range []int{2, 10} {
				t.Run(fmt.Sprintf("%s-%s/line%d/rounds%d", kinds[0], kinds[1], line, rounds), func(t *testing.T) {
					s := sampleLine(t, line)
					gen := fakegen.New(grammarScript(t, uint64(100*k+line+rounds)), &fakegen.Options{ContextSize: 1 << 17})
					res, err := Play(context.Background(), s, [2]Agent{{Gen: gen, Kind: kinds[0]}, {Gen: gen, Kind: kinds[1]}},
						&Options{Rounds: rounds, MessageChars: 12})
					if err != nil {
						t.Fatal(err)
					}
					if res.Forfeit != nil {
						t.Fatalf("forfeit under a grammar: %+v", res.Forfeit)
					}
					checkVerdict(t, s, res)
					checkWorkflowChoices(t, s, res, gen.Requests())
					if res.Verdict.Agreement {
						outcomes["deal"]++
					} else {
						outcomes["no deal"]++
					}
					if len(res.Beliefs) > 0 {
						outcomes["belief updates"]++
					}
				})
			}
		}
	}
	for _, k := range []string{"deal", "no deal", "belief updates"} {
		if outcomes[k] == 0 {
			t.Errorf("no game with %q", k)
		}
	}
	t.Logf("outcomes %v", outcomes)
}

// checkWorkflowChoices: a workflow agent proposes only candidates listed in its prompt and
// accepts only a proposal envy-free for itself.
func checkWorkflowChoices(t *testing.T, s *Setup, res *Result, reqs []inference.Request) {
	t.Helper()
	var standing [2]Split
	k := 0
	for _, e := range res.Transcript {
		if e.Phase != agents.PhaseProposal {
			continue
		}
		i := slices.Index(Players[:], e.Agent)
		prompt := reqs[k].Prompt
		k++
		if res.Kinds[i] == Workflow {
			if e.Action == AcceptTag {
				left := standing[1-i].Rest(s.Counts)
				if left.Value(s.Values[i]) < standing[1-i].Value(s.Values[i]) {
					t.Errorf("%s accepted a proposal that is not envy-free for it", e.Agent)
				}
			} else if !strings.Contains(prompt[strings.LastIndex(prompt, "Your best proposals"):], e.Action) {
				t.Errorf("%s proposed %s, not among its candidates", e.Agent, e.Action)
			}
		}
		if e.Action != AcceptTag {
			standing[i], _ = ParseDeal(e.Action, s.Items, s.Counts)
		}
	}
}

// goldenSeed makes the golden game last 6 turns (a belief update and the trimmed history).
const goldenSeed = 9

// The prompts and grammars of a workflow-against-raw game, as golden files.
func TestPromptsGolden(t *testing.T) {
	s := sampleLine(t, 1)
	gen := fakegen.New(grammarScript(t, goldenSeed), nil)
	if _, err := Play(context.Background(), s, [2]Agent{{Gen: gen, Kind: Workflow}, {Gen: gen, Kind: Raw}}, &Options{Rounds: 3, MessageChars: 30}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for k, r := range gen.Requests() {
		fmt.Fprintf(&b, "===== request %d (max %d tokens)\n%s\n----- grammar\n%s\n", k+1, r.MaxTokens, r.Prompt, r.Grammar)
	}
	golden(t, "line1_workflow_raw.txt", b.String())
}

// Without a grammar, an agent that keeps answering out of form forfeits: no deal, both 0.
// Cancellation ends a game promptly; an OnEvent error ends it too.
func TestForfeitCancel(t *testing.T) {
	s := sampleLine(t, 3)
	good := fakegen.New(fakegen.Replies("Message: hi\n<deal>book=1 hat=0 ball=0</deal>"), nil)
	bad := fakegen.New(func(inference.Request) (string, error) { return "Let us talk about the weather.", nil }, nil)
	res, err := Play(context.Background(), s, [2]Agent{{Gen: good}, {Gen: bad, Kind: Workflow}}, &Options{Unconstrained: true, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Forfeit == nil || res.Forfeit.Player != "Bob" || res.Verdict.Agreement || res.Verdict.Scores != [2]int{} {
		t.Fatalf("forfeit %+v verdict %+v", res.Forfeit, res.Verdict)
	}
	if n := len(bad.Requests()); n != 2 {
		t.Errorf("Bob asked %d times, want 2", n)
	}
	// A workflow agent must pick a candidate even without a grammar.
	off := fakegen.New(func(inference.Request) (string, error) {
		return "Message: all mine\n<deal>book=1 hat=1 ball=1</deal>", nil
	}, nil)
	res, err = Play(context.Background(), s, [2]Agent{{Gen: off, Kind: Workflow}, {Gen: good}}, &Options{Unconstrained: true, Retries: -1, Candidates: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Forfeit == nil || !strings.Contains(res.Forfeit.Reason, "not one of the proposals offered") {
		t.Errorf("forfeit %+v", res.Forfeit)
	}

	ctx, cancel := context.WithCancel(context.Background())
	slow := fakegen.New(func(inference.Request) (string, error) { cancel(); return strings.Repeat("y", 100000), nil }, nil)
	t0 := time.Now()
	if _, err := Play(ctx, s, [2]Agent{{Gen: slow}, {Gen: slow}}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	stop := errors.New("gone")
	gen := fakegen.New(grammarScript(t, 1), nil)
	if _, err := Play(context.Background(), s, [2]Agent{{Gen: gen}, {Gen: gen}}, &Options{OnEvent: func(agents.Event) error { return stop }}); !errors.Is(err, stop) {
		t.Errorf("OnEvent error: err = %v", err)
	}
	for _, o := range []*Options{{Rounds: MaxRounds + 1}, {Rounds: -1}, {Candidates: MaxCandidates + 1}, {MessageChars: -2}} {
		if _, err := Play(context.Background(), s, [2]Agent{{Gen: gen}, {Gen: gen}}, o); !errors.Is(err, ErrOptions) {
			t.Errorf("options %+v: err = %v", o, err)
		}
	}
	if _, err := Play(context.Background(), s, [2]Agent{{Gen: gen, Kind: "smart"}, {Gen: gen}}, nil); !errors.Is(err, ErrOptions) {
		t.Errorf("unknown kind: err = %v", err)
	}
}

func TestResultJSON(t *testing.T) {
	for seed := range uint64(4) {
		s := sampleLine(t, 5)
		gen := fakegen.New(grammarScript(t, seed), nil)
		res, err := Play(context.Background(), s, [2]Agent{{Gen: gen, Kind: Workflow}, {Gen: gen}}, &Options{Rounds: 2, MessageChars: 5})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"agreement", "rounds", "shares", "scores", "pareto_optimal", "envy_free", "total", "transcript", "stats"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no key %q in %s", k, b)
			}
		}
		var back Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, err := json.Marshal(&back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, b2) {
			t.Errorf("round trip differs:\n%s\n%s", b, b2)
		}
	}
}

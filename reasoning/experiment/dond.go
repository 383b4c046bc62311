package experiment

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"strings"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/dond"
	"github.com/nashd/nashd/solver/alloc"
)

// Pairing is an (Alice, Bob) pair of agent kinds.
type Pairing [2]dond.Kind

func (p Pairing) String() string { return string(p[0]) + "-" + string(p[1]) }

// DefaultPairings are the paper's pairings, workflow first.
var DefaultPairings = []Pairing{{dond.Workflow, dond.Workflow}, {dond.Workflow, dond.Raw}, {dond.Raw, dond.Workflow}, {dond.Raw, dond.Raw}}

// ParsePairings reads a comma-separated list of pairings ("workflow-raw,raw-raw"); an empty
// list is [DefaultPairings].
func ParsePairings(s string) ([]Pairing, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultPairings, nil
	}
	var out []Pairing
	seen := map[Pairing]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		a, b, ok := strings.Cut(f, "-")
		ka, err1 := dond.ParseKind(a)
		kb, err2 := dond.ParseKind(b)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: unknown pairing %q (want ALICE-BOB with raw or workflow each, e.g. workflow-raw)", ErrInput, f)
		}
		if p := (Pairing{ka, kb}); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// Dialogue is one counted line of the data: its setup and the solver's reference split.
type Dialogue struct {
	Setup *dond.Setup
	Best  BestSplit
}

// BestSplit is the solver's reference for one dialogue: among the envy-free splits of the
// largest total, the one with the smallest difference between the scores (then the first
// in the solver's order), with each player's score.
type BestSplit struct {
	Alice int `json:"alice"`
	Bob   int `json:"bob"`
	Total int `json:"total"`
}

// bestSplit returns the reference split of s, and false when no split is envy-free.
func bestSplit(s *dond.Setup) (BestSplit, bool) {
	an := alloc.Analyze(s.Allocation())
	var best BestSplit
	found := false
	for _, k := range an.BestEnvyFree {
		p := an.Splits[k].Payoffs
		b := BestSplit{Alice: int(p[0].Num().Int64()), Bob: int(p[1].Num().Int64())}
		b.Total = b.Alice + b.Bob
		if !found || abs(b.Alice-b.Bob) < abs(best.Alice-best.Bob) {
			best, found = b, true
		}
	}
	return best, found
}

func abs(x int) int { return max(x, -x) }

// DefaultData names the built-in data: the paper's 50-dialogue sample ([dond.Sample]), used
// when the data path is "".
const DefaultData = "sampled_50_deal_no_deal.txt (built in)"

// readData reads the data file at path ("": the built-in sample).
func readData(path string) (name string, data []byte, err error) {
	if path == "" {
		return DefaultData, dond.Sample(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	return path, b, nil
}

// LoadDialogues reads a Deal or No Deal data file ("": the built-in sample; one dialogue per
// line, blank lines skipped) and returns the dialogues that have an envy-free split, and the
// number of dialogues read. A malformed line is an error naming path:line.
func LoadDialogues(path string) ([]Dialogue, int, error) {
	path, b, err := readData(path)
	if err != nil {
		return nil, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), dond.MaxLineBytes)
	var out []Dialogue
	lines := 0
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		lines++
		s, err := dond.ParseLine(sc.Text())
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s:%d: %w", ErrInput, path, n, err)
		}
		s.Line = n
		if b, ok := bestSplit(s); ok {
			out = append(out, Dialogue{Setup: s, Best: b})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %w", ErrInput, path, err)
	}
	if lines == 0 {
		return nil, 0, fmt.Errorf("%w: %s holds no dialogues", ErrInput, path)
	}
	return out, lines, nil
}

// BestRowResult is the solver's reference row: the means over the counted dialogues.
type BestRowResult struct {
	Dialogues int     `json:"dialogues"`
	Alice     float64 `json:"alice"`
	Bob       float64 `json:"bob"`
	Total     float64 `json:"total"`
}

// BestRow computes the reference row of the dialogues ([BestSplit] means).
func BestRow(ds []Dialogue) BestRowResult {
	r := BestRowResult{Dialogues: len(ds)}
	var a, b, t int
	for _, d := range ds {
		a, b, t = a+d.Best.Alice, b+d.Best.Bob, t+d.Best.Total
	}
	if len(ds) > 0 {
		n := float64(len(ds))
		r.Alice, r.Bob, r.Total = round4(float64(a)/n), round4(float64(b)/n), round4(float64(t)/n)
	}
	return r
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// DondConfig is the Deal or No Deal experiment's parameters.
type DondConfig struct {
	// Data names the data file and its SHA-256; Lines is the number of dialogues it holds,
	// Counted the lines with an envy-free split (the ones played).
	Data     string    `json:"data"`
	DataHash string    `json:"data_sha256"`
	Lines    int       `json:"lines"`
	Counted  []int     `json:"counted"`
	Pairings []Pairing `json:"pairings"`
	Runs     int       `json:"runs"`
	// MaxRounds is the round limit (0: dond's default).
	MaxRounds    int     `json:"max_rounds,omitempty"`
	Seed         uint64  `json:"seed"`
	Temperature  float64 `json:"temperature"`
	MessageChars int     `json:"message_chars,omitempty"`
	Candidates   int     `json:"candidates,omitempty"`

	dialogues []Dialogue
}

func (c *DondConfig) seed() uint64 { return c.Seed }

// NewDondConfig reads the data file and checks the options. limit > 0 keeps only the first
// limit counted dialogues.
func NewDondConfig(data string, pairings []Pairing, runs, limit, maxRounds int, seed uint64, temperature float64) (*DondConfig, error) {
	if runs < 1 {
		return nil, fmt.Errorf("%w: %d runs (want at least 1)", ErrInput, runs)
	}
	if maxRounds < 0 || maxRounds > dond.MaxRounds {
		return nil, fmt.Errorf("%w: round limit %d (want 1 to %d)", ErrInput, maxRounds, dond.MaxRounds)
	}
	if len(pairings) == 0 {
		return nil, fmt.Errorf("%w: no pairings", ErrInput)
	}
	ds, lines, err := LoadDialogues(data)
	if err != nil {
		return nil, err
	}
	if limit > 0 && limit < len(ds) {
		ds = ds[:limit]
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: %s: no dialogue has an envy-free split", ErrInput, data)
	}
	name, b, err := readData(data)
	if err != nil {
		return nil, err
	}
	c := &DondConfig{Data: baseName(name), DataHash: hashBytes(b), Lines: lines, Pairings: pairings, Runs: runs, MaxRounds: maxRounds,
		Seed: seed, Temperature: temperature, dialogues: ds}
	for _, d := range ds {
		c.Counted = append(c.Counted, d.Setup.Line)
	}
	return c, nil
}

// DondRecord is the record of one negotiation.
type DondRecord struct {
	Header
	Line    int       `json:"line"`
	Pairing string    `json:"pairing"`
	Kinds   [2]string `json:"kinds"`
	Run     int       `json:"run"`
	Items   []string  `json:"items"`
	Counts  []int     `json:"counts"`
	Values  [2][]int  `json:"values"`
	// The verdict.
	Rounds        int               `json:"rounds"`
	Turns         int               `json:"turns"`
	Agreement     bool              `json:"agreement"`
	Shares        [2][]int          `json:"shares"`
	Scores        [2]int            `json:"scores"`
	Total         int               `json:"total"`
	ParetoOptimal bool              `json:"pareto_optimal"`
	EnvyFree      bool              `json:"envy_free"`
	MaxTotal      int               `json:"max_total"`
	Best          BestSplit         `json:"best"`
	Beliefs       []dond.BeliefStep `json:"beliefs,omitempty"`
	Forfeit       *agents.Forfeit   `json:"forfeit,omitempty"`
	Transcript    []agents.Event    `json:"transcript"`
	Tokens        Tokens            `json:"tokens"`
	Timings       Timings           `json:"timings"`
}

// RunDond plays every counted dialogue in every pairing, Runs times, with gen for both
// agents, and writes the summary ([Report]).
func RunDond(ctx context.Context, gen inference.Generator, c *DondConfig, o Options) (*Outcome, error) {
	if c == nil || len(c.dialogues) == 0 {
		return nil, fmt.Errorf("%w: build the configuration with NewDondConfig", ErrInput)
	}
	var jobs []job
	for _, p := range c.Pairings {
		for _, d := range c.dialogues {
			for run := 1; run <= c.Runs; run++ {
				p, d, run := p, d, run
				jobs = append(jobs, job{id: fmt.Sprintf("%s/%04d/%03d", p, d.Setup.Line, run), run: func(ctx context.Context, h Header) (any, error) {
					return playDond(ctx, gen, c, p, d, run, h)
				}})
			}
		}
	}
	return execute(ctx, KindDond, c, jobs, o)
}

func playDond(ctx context.Context, gen inference.Generator, c *DondConfig, p Pairing, d Dialogue, run int, h Header) (*DondRecord, error) {
	samp := func(i uint32) inference.Sampling {
		s := inference.DefaultSampling(h.Seed + i<<16)
		s.Temperature = float32(c.Temperature)
		return s
	}
	res, err := dond.Play(ctx, d.Setup, [2]dond.Agent{{Gen: gen, Kind: p[0], Sampling: samp(0)}, {Gen: gen, Kind: p[1], Sampling: samp(1)}},
		&dond.Options{Rounds: c.MaxRounds, MessageChars: c.MessageChars, Candidates: c.Candidates})
	if err != nil {
		return nil, err
	}
	s, v := d.Setup, res.Verdict
	r := &DondRecord{Header: h, Line: s.Line, Pairing: p.String(), Kinds: [2]string{string(p[0]), string(p[1])}, Run: run,
		Items: s.Items, Counts: s.Counts, Values: s.Values, Rounds: res.Rounds, Turns: res.Turns,
		Agreement: v.Agreement, Scores: v.Scores, Total: v.Total, ParetoOptimal: v.ParetoOptimal, EnvyFree: v.EnvyFree,
		MaxTotal: v.MaxTotal, Best: d.Best, Beliefs: res.Beliefs, Forfeit: res.Forfeit}
	for i := range 2 {
		r.Shares[i] = v.Shares[i]
	}
	r.Transcript, r.Tokens, r.Timings = splitTimes(res.Transcript, res.Stats)
	return r, nil
}

// ratMean is sum/n as an exact rational.
func ratMean(sum, n int) *big.Rat { return big.NewRat(int64(sum), int64(max(n, 1))) }

package solver

import (
	"encoding/json"
	"math/big"
	"strconv"
)

// Report is the result of [Solve]. Its JSON encoding is the stable schema of docs/solver.md.
type Report struct {
	Game       string        `json:"game"`
	Players    []string      `json:"players"`
	Strategies [][]string    `json:"strategies"`
	Method     string        `json:"method"`
	Complete   bool          `json:"complete"`
	Equilibria []Equilibrium `json:"equilibria"`

	ZeroSum    *ZeroSumInfo     `json:"zero_sum,omitempty"`
	Correlated *CorrelatedInfo  `json:"correlated,omitempty"`
	Eliminated []EliminatedInfo `json:"eliminated,omitempty"`
	Remaining  [][]string       `json:"remaining,omitempty"`
	Pareto     *ParetoInfo      `json:"pareto,omitempty"`
	SPE        *SPEInfo         `json:"spe,omitempty"`
	Allocation *AllocationInfo  `json:"allocation,omitempty"`
	// Note explains a limit the method hit (for example a search stopped early).
	Note string `json:"note,omitempty"`
}

// Rats is a vector of exact rationals; it encodes as ["p/q", ...].
type Rats []*big.Rat

// MarshalJSON writes each entry with big.Rat.RatString.
func (r Rats) MarshalJSON() ([]byte, error) {
	s := make([]string, len(r))
	for i, x := range r {
		s[i] = x.RatString()
	}
	return json.Marshal(s)
}

// Equilibrium is one equilibrium: a mixed profile and the expected payoffs. Exact equilibria
// have Profile and Payoffs; numerical ones (support enumeration) have Approx and ApproxPayoffs
// instead, with MaxRegret, their accuracy.
type Equilibrium struct {
	Profile       []Rats
	Payoffs       Rats
	Approx        [][]float64
	ApproxPayoffs []float64
	MaxRegret     float64
}

// Exact reports whether the equilibrium is exact (verified in rational arithmetic).
func (e Equilibrium) Exact() bool { return e.Approx == nil }

// MarshalJSON writes {"profile": [[...]], "payoffs": [...]}, plus "exact": false and
// "max_regret" for numerical equilibria, whose numbers are decimal strings.
func (e Equilibrium) MarshalJSON() ([]byte, error) {
	if e.Exact() {
		return json.Marshal(struct {
			Profile []Rats `json:"profile"`
			Payoffs Rats   `json:"payoffs"`
		}{e.Profile, e.Payoffs})
	}
	prof := make([][]string, len(e.Approx))
	for i, d := range e.Approx {
		for _, x := range d {
			prof[i] = append(prof[i], decimal(x))
		}
	}
	pay := make([]string, len(e.ApproxPayoffs))
	for i, x := range e.ApproxPayoffs {
		pay[i] = decimal(x)
	}
	return json.Marshal(struct {
		Profile   [][]string `json:"profile"`
		Payoffs   []string   `json:"payoffs"`
		Exact     bool       `json:"exact"`
		MaxRegret string     `json:"max_regret"`
	}{prof, pay, false, strconv.FormatFloat(e.MaxRegret, 'g', 3, 64)})
}

// decimal formats a float with 12 significant digits, no exponent for ordinary magnitudes.
func decimal(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', 12, 64)
}

// ZeroSumInfo is the extra field of method zerosum: the row player's value and the constant
// sum of payoffs (the column player gets constant − value).
type ZeroSumInfo struct {
	Value    *big.Rat `json:"-"`
	Constant *big.Rat `json:"-"`
}

// MarshalJSON writes {"value": "v", "constant": "c"}.
func (z ZeroSumInfo) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"value": z.Value.RatString(), "constant": z.Constant.RatString()})
}

// CorrelatedInfo is the extra field of method ce.
type CorrelatedInfo struct {
	Distribution []ProfileProb `json:"distribution"`
	Payoffs      Rats          `json:"payoffs"`
	Welfare      string        `json:"welfare"`
}

// ProfileProb is a pure profile (strategy names) with a probability.
type ProfileProb struct {
	Profile []string `json:"profile"`
	Prob    string   `json:"prob"`
}

// EliminatedInfo records one dominated strategy removed by iesds/iewds.
type EliminatedInfo struct {
	Round    int               `json:"round"`
	Player   string            `json:"player"`
	Strategy string            `json:"strategy"`
	By       string            `json:"by,omitempty"`
	Mixture  map[string]string `json:"mixture,omitempty"`
}

// ParetoInfo lists Pareto-optimal pure outcomes and, for each welfare rule, the
// Pareto-optimal outcome it selects (ties broken by the players' payoffs in player order, then
// by listing order), as GTAlign's reasoning step does.
type ParetoInfo struct {
	Strict []Outcome           `json:"strict"`
	Weak   []Outcome           `json:"weak"`
	Select map[string]Selected `json:"select"`
}

// Selected is the outcome a welfare rule picks, with the outcomes still tied after the whole
// tie-break chain (listing order decided among them).
type Selected struct {
	Outcome Outcome   `json:"outcome"`
	Tied    []Outcome `json:"tied,omitempty"`
}

// Outcome is a pure profile and its payoffs.
type Outcome struct {
	Profile []string `json:"profile"`
	Payoffs Rats     `json:"payoffs"`
}

// SPEInfo is the extra field of method spe.
type SPEInfo struct {
	Choices []NodeChoice `json:"choices"`
	Path    []string     `json:"path"`
	Payoffs Rats         `json:"payoffs"`
	Unique  bool         `json:"unique"`
}

// NodeChoice is the equilibrium move at one decision node.
type NodeChoice struct {
	Node   string   `json:"node"`
	Player string   `json:"player"`
	Action string   `json:"action"`
	Ties   []string `json:"ties,omitempty"`
	Value  Rats     `json:"value"`
}

// AllocationInfo is the extra field for allocation games.
type AllocationInfo struct {
	Items              []string    `json:"items"`
	Counts             []int       `json:"counts"`
	Splits             int         `json:"splits"`
	MaxWelfare         string      `json:"max_welfare"`
	MaxEnvyFreeWelfare *string     `json:"max_envy_free_welfare"`
	BestEnvyFree       []SplitInfo `json:"best_envy_free"`
	EnvyFree           int         `json:"envy_free_count"`
	ParetoOptimal      []SplitInfo `json:"pareto_optimal"`
	// NashBargaining is the split maximising the product of gains over the disagreement point
	// (Nash 1950), nil when no split gives every player more than disagreement.
	NashBargaining *SplitInfo `json:"nash_bargaining"`
	// NashBargainingLottery is the solution over the convex hull of the splits (two players):
	// a lottery between two splits with the probability of the second.
	NashBargainingLottery *Lottery `json:"nash_bargaining_lottery,omitempty"`
}

// Lottery mixes two splits: Second with probability P, First otherwise.
type Lottery struct {
	First   SplitInfo `json:"first"`
	Second  SplitInfo `json:"second"`
	P       string    `json:"p"`
	Payoffs Rats      `json:"payoffs"`
}

// SplitInfo is one split: shares[i][j] units of item j to player i.
type SplitInfo struct {
	Shares   [][]int `json:"shares"`
	Payoffs  Rats    `json:"payoffs"`
	EnvyFree bool    `json:"envy_free"`
	Pareto   bool    `json:"pareto_optimal"`
}

package solver

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
)

// Report is the result of [Solve]. Its JSON encoding is the stable schema of docs/solver.md,
// and it decodes back (encoding/json) to a report that encodes to the same bytes and prints the
// same text ([Report.WriteText]): exact numbers stay exact, numerical ones keep the digits the
// JSON carries.
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

// UnmarshalJSON reads ["p/q", ...] (null gives nil).
func (r *Rats) UnmarshalJSON(b []byte) error {
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil {
		*r = nil
		return nil
	}
	out := make(Rats, len(s))
	for i, x := range s {
		v, ok := new(big.Rat).SetString(x)
		if !ok {
			return fmt.Errorf("solver: %q is not a rational number", x)
		}
		out[i] = v
	}
	*r = out
	return nil
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
	}{prof, pay, false, strconv.FormatFloat(e.MaxRegret, 'g', regretDigits, 64)})
}

// UnmarshalJSON reads what MarshalJSON writes: an exact equilibrium unless "exact" is false.
// The numbers of a numerical one are the decimals the JSON carries.
func (e *Equilibrium) UnmarshalJSON(b []byte) error {
	var raw struct {
		Profile   json.RawMessage `json:"profile"`
		Payoffs   json.RawMessage `json:"payoffs"`
		Exact     *bool           `json:"exact"`
		MaxRegret string          `json:"max_regret"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = Equilibrium{}
	if raw.Exact == nil || *raw.Exact {
		if err := unmarshalOptional(raw.Profile, &e.Profile); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		if err := unmarshalOptional(raw.Payoffs, &e.Payoffs); err != nil {
			return fmt.Errorf("payoffs: %w", err)
		}
		return nil
	}
	var prof [][]string
	var pay []string
	if err := unmarshalOptional(raw.Profile, &prof); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := unmarshalOptional(raw.Payoffs, &pay); err != nil {
		return fmt.Errorf("payoffs: %w", err)
	}
	e.Approx = make([][]float64, len(prof))
	for i, d := range prof {
		for _, x := range d {
			v, err := parseDecimal(x)
			if err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			e.Approx[i] = append(e.Approx[i], v)
		}
	}
	e.ApproxPayoffs = make([]float64, len(pay))
	for i, x := range pay {
		v, err := parseDecimal(x)
		if err != nil {
			return fmt.Errorf("payoffs: %w", err)
		}
		e.ApproxPayoffs[i] = v
	}
	v, err := parseDecimal(raw.MaxRegret)
	if err != nil {
		return fmt.Errorf("max_regret: %w", err)
	}
	e.MaxRegret = v
	return nil
}

// unmarshalOptional decodes raw into v unless it is absent.
func unmarshalOptional(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

func parseDecimal(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("solver: %q is not a decimal number", s)
	}
	return v, nil
}

// Significant digits of the numbers of numerical equilibria in JSON: probabilities and
// payoffs, and the maximum regret.
const (
	decimalDigits = 12
	regretDigits  = 3
)

// decimal formats a float with 12 significant digits, no exponent for ordinary magnitudes.
func decimal(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', decimalDigits, 64)
}

// roundDigits returns x rounded to digits significant digits, as its JSON encoding carries
// it. The text output prints rounded values, so a decoded report prints as the original.
func roundDigits(x float64, digits int) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', digits, 64), 64)
	if err != nil {
		return x // ±Inf and NaN format as themselves and parse back; nothing else fails
	}
	return v
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

// UnmarshalJSON reads {"value": "v", "constant": "c"}.
func (z *ZeroSumInfo) UnmarshalJSON(b []byte) error {
	var raw struct {
		Value    string `json:"value"`
		Constant string `json:"constant"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	v, ok := new(big.Rat).SetString(raw.Value)
	if !ok {
		return fmt.Errorf("solver: zero_sum.value %q is not a rational number", raw.Value)
	}
	c, ok := new(big.Rat).SetString(raw.Constant)
	if !ok {
		return fmt.Errorf("solver: zero_sum.constant %q is not a rational number", raw.Constant)
	}
	z.Value, z.Constant = v, c
	return nil
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

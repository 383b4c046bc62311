package pricing

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
)

// Transforms accepted in [Config.Transform].
const (
	TransformCost  = "cost"
	TransformPaper = "paper"
)

// Payers accepted in [Config.Payer] and [Paper.Side].
const (
	PayerUser     = "user"     // per-token API billing: the user pays
	PayerProvider = "provider" // flat subscription: the provider bears the compute
)

// ErrInvalid matches (errors.Is) every validation error of a [Config]; those are
// [*FieldError]s naming the field.
var ErrInvalid = errors.New("pricing: invalid config")

// FieldError is a validation error naming the pricing.toml field at fault.
type FieldError struct {
	Field   string // e.g. "expected_completion_tokens.AQ"
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Config is pricing.toml. The zero value is not valid; start from [Default].
type Config struct {
	// Payer is who bears token costs: "user" or "provider".
	Payer string `toml:"payer" json:"payer"`
	// InputPricePerMillion and OutputPricePerMillion are prices per million tokens (any currency).
	InputPricePerMillion  float64 `toml:"input_price_per_million" json:"input_price_per_million"`
	OutputPricePerMillion float64 `toml:"output_price_per_million" json:"output_price_per_million"`
	// Rate converts one currency unit of cost into payoff units.
	Rate float64 `toml:"rate" json:"rate"`
	// ExpectedPromptTokens is the expected input length in the cost of every strategy.
	ExpectedPromptTokens int `toml:"expected_prompt_tokens" json:"expected_prompt_tokens"`
	// ExpectedCompletionTokens is each assistant strategy's expected output length (keyed by
	// strategy id, e.g. DA, CQ, AQ), used until learned averages exist.
	ExpectedCompletionTokens map[string]int `toml:"expected_completion_tokens" json:"expected_completion_tokens"`
	// LearnLengths uses running averages of observed response lengths per strategy.
	LearnLengths bool `toml:"learn_lengths" json:"learn_lengths"`
	// Transform is "cost" (default when empty) or "paper".
	Transform string `toml:"transform" json:"transform,omitempty"`
	// Paper configures the "paper" transform.
	Paper Paper `toml:"paper" json:"paper,omitzero"`
}

// Paper configures the GTAlign code's steering transform (reasoning.md §2).
type Paper struct {
	// Side is whose payoffs get Shift: "user" or "provider" (the LLM). Empty = the payer.
	Side string `toml:"side" json:"side,omitempty"`
	// Shift is added to every payoff of Side (negative: that side is charged).
	Shift float64 `toml:"shift" json:"shift"`
	// Bonus is added to the other side's payoff per strategy. Nil takes the paper's values
	// for the shifted side (see [PaperBonus]).
	Bonus map[string]float64 `toml:"bonus" json:"bonus,omitempty"`
}

// Default is the pricing used when pricing.toml is absent: the user pays, with GTAlign's three
// strategies' typical lengths.
func Default() Config {
	return Config{
		Payer:                    PayerUser,
		InputPricePerMillion:     0.5,
		OutputPricePerMillion:    1.5,
		Rate:                     1000,
		ExpectedPromptTokens:     200,
		ExpectedCompletionTokens: map[string]int{"DA": 150, "CQ": 40, "AQ": 200},
		LearnLengths:             true,
		Transform:                TransformCost,
	}
}

// PaperBonus returns the GTAlign code's strategy bonuses for the side that is not shifted:
// shifting the LLM ("provider") side gives the user +1 on AQ, +0.5 on CQ; shifting the user
// side gives the LLM +1 on DA, +0.5 on AQ.
func PaperBonus(shiftedSide string) map[string]float64 {
	if shiftedSide == PayerUser {
		return map[string]float64{"DA": 1, "AQ": 0.5, "CQ": 0}
	}
	return map[string]float64{"AQ": 1, "CQ": 0.5, "DA": 0}
}

var strategyID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// maxValue bounds every price, rate and shift: larger values can only be typos, and they
// would turn payoffs into infinities.
const maxValue = 1e12

// Validate reports the first bad field, naming it; errors wrap [ErrInvalid].
func (c *Config) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Field: field, Problem: fmt.Sprintf(format, a...)}
	}
	switch c.Payer {
	case PayerUser, PayerProvider:
	default:
		return bad("payer", "%q is not \"user\" or \"provider\"", c.Payer)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"input_price_per_million", c.InputPricePerMillion}, {"output_price_per_million", c.OutputPricePerMillion}, {"rate", c.Rate}} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return bad(f.name, "%v is not a finite number", f.v)
		case f.v < 0:
			return bad(f.name, "%v < 0", f.v)
		case f.v > maxValue:
			return bad(f.name, "%v exceeds %g", f.v, maxValue)
		}
	}
	if c.ExpectedPromptTokens < 0 {
		return bad("expected_prompt_tokens", "%d < 0", c.ExpectedPromptTokens)
	}
	for _, k := range sortedKeys(c.ExpectedCompletionTokens) {
		if !strategyID.MatchString(k) {
			return bad("expected_completion_tokens."+k, "bad strategy id (a letter, then letters, digits or _; at most 32)")
		}
		if v := c.ExpectedCompletionTokens[k]; v < 0 {
			return bad("expected_completion_tokens."+k, "%d < 0", v)
		}
	}
	switch c.Transform {
	case "", TransformCost:
	case TransformPaper:
		switch c.Paper.Side {
		case "", PayerUser, PayerProvider:
		default:
			return bad("paper.side", "%q is not \"user\" or \"provider\"", c.Paper.Side)
		}
		if v := c.Paper.Shift; math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxValue {
			return bad("paper.shift", "%v is not a finite number within ±%g", v, maxValue)
		}
		for _, k := range sortedKeys(c.Paper.Bonus) {
			if !strategyID.MatchString(k) {
				return bad("paper.bonus."+k, "bad strategy id")
			}
			if v := c.Paper.Bonus[k]; math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxValue {
				return bad("paper.bonus."+k, "%v is not a finite number within ±%g", v, maxValue)
			}
		}
	default:
		return bad("transform", "%q is not \"cost\" or \"paper\"", c.Transform)
	}
	return nil
}

// Cost returns the expected cost (currency units) of answering with a strategy whose expected
// completion is completion tokens.
func (c *Config) Cost(completion float64) float64 {
	return (float64(c.ExpectedPromptTokens)*c.InputPricePerMillion + completion*c.OutputPricePerMillion) / 1e6
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

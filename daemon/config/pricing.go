package config

import (
	"fmt"
	"regexp"
	"sort"
)

// Pricing is pricing.toml: GTAlign's inference-time adaptation (reasoning.md §2). The
// reasoning pipeline charges each assistant strategy its expected token cost,
// payoff' = payoff − Rate × cost, to whichever side pays.
type Pricing struct {
	// Payer is who bears token costs: "user" (per-token API billing) or "provider"
	// (flat subscription; the provider pays for compute).
	Payer string `toml:"payer"`
	// InputPricePerMillion and OutputPricePerMillion are prices per million tokens (any currency).
	InputPricePerMillion  float64 `toml:"input_price_per_million"`
	OutputPricePerMillion float64 `toml:"output_price_per_million"`
	// Rate converts one currency unit of cost into payoff units.
	Rate float64 `toml:"rate"`
	// ExpectedPromptTokens is the expected input length used before any data is observed.
	ExpectedPromptTokens int `toml:"expected_prompt_tokens"`
	// ExpectedCompletionTokens is the default expected output length of each assistant
	// strategy (keyed by strategy id, e.g. DA, CQ, AQ) before running averages exist.
	ExpectedCompletionTokens map[string]int `toml:"expected_completion_tokens"`
	// LearnLengths enables running averages of observed lengths per strategy.
	LearnLengths bool `toml:"learn_lengths"`
}

// DefaultPricing is used when pricing.toml is absent: the user pays, with GTAlign's three
// strategies' typical lengths.
func DefaultPricing() Pricing {
	return Pricing{
		Payer:                    "user",
		InputPricePerMillion:     0.5,
		OutputPricePerMillion:    1.5,
		Rate:                     1000,
		ExpectedPromptTokens:     200,
		ExpectedCompletionTokens: map[string]int{"DA": 150, "CQ": 40, "AQ": 200},
		LearnLengths:             true,
	}
}

var strategyID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// Validate checks every field.
func (p *Pricing) Validate() error {
	switch p.Payer {
	case "user", "provider":
	default:
		return fmt.Errorf("payer: %q is not \"user\" or \"provider\"", p.Payer)
	}
	switch {
	case !(p.InputPricePerMillion >= 0):
		return fmt.Errorf("input_price_per_million: %v < 0", p.InputPricePerMillion)
	case !(p.OutputPricePerMillion >= 0):
		return fmt.Errorf("output_price_per_million: %v < 0", p.OutputPricePerMillion)
	case !(p.Rate >= 0):
		return fmt.Errorf("rate: %v < 0", p.Rate)
	case p.ExpectedPromptTokens < 0:
		return fmt.Errorf("expected_prompt_tokens: %d < 0", p.ExpectedPromptTokens)
	}
	ids := make([]string, 0, len(p.ExpectedCompletionTokens))
	for k := range p.ExpectedCompletionTokens {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	for _, k := range ids {
		if !strategyID.MatchString(k) {
			return fmt.Errorf("expected_completion_tokens.%s: bad strategy id", k)
		}
		if v := p.ExpectedCompletionTokens[k]; v < 0 {
			return fmt.Errorf("expected_completion_tokens.%s: %d < 0", k, v)
		}
	}
	return nil
}

// Cost returns the expected cost (currency units) of answering with strategy, given the
// expected prompt tokens and the strategy's expected completion tokens; ok is false for an
// unknown strategy.
func (p *Pricing) Cost(strategy string) (cost float64, ok bool) {
	out, ok := p.ExpectedCompletionTokens[strategy]
	if !ok {
		return 0, false
	}
	return (float64(p.ExpectedPromptTokens)*p.InputPricePerMillion + float64(out)*p.OutputPricePerMillion) / 1e6, true
}

package pricing

import (
	"sort"
	"strings"
)

// Plan is a [Config] resolved for one request: the expected length and cost of every
// strategy, and the transform to apply. Its fields describe what was applied, for the result
// object; build one with [NewPlan].
type Plan struct {
	// Version names the pricing that was applied (e.g. "pricing.toml@3f2a…").
	Version   string `json:"version"`
	Transform string `json:"transform"`
	Payer     string `json:"payer"`
	// CompletionTokens is the expected completion length used per strategy, and Learned says
	// which of them came from observed lengths rather than the configured defaults.
	CompletionTokens map[string]float64 `json:"completion_tokens,omitempty"`
	Learned          map[string]bool    `json:"learned,omitempty"`
	// Costs is each strategy's expected cost in currency units ("cost" transform).
	Costs map[string]float64 `json:"costs,omitempty"`
	// Penalty is what the payer's payoff loses per strategy: Rate × Costs ("cost" transform).
	Penalty map[string]float64 `json:"penalty,omitempty"`
	// Shift, ShiftSide and Bonus describe the "paper" transform.
	Shift     float64            `json:"shift,omitempty"`
	ShiftSide string             `json:"shift_side,omitempty"`
	Bonus     map[string]float64 `json:"bonus,omitempty"`
}

// NewPlan resolves cfg for one request. learned maps strategies to their observed average
// completion length (from [Lengths.Means]); it is used only when cfg.LearnLengths is set, and
// may be nil. cfg must be valid.
func NewPlan(cfg Config, version string, learned map[string]float64) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Plan{Version: version, Transform: cfg.Transform, Payer: cfg.Payer}
	if p.Transform == "" {
		p.Transform = TransformCost
	}
	if p.Transform == TransformPaper {
		p.ShiftSide = cfg.Paper.Side
		if p.ShiftSide == "" {
			p.ShiftSide = cfg.Payer
		}
		p.Shift = cfg.Paper.Shift
		p.Bonus = cfg.Paper.Bonus
		if p.Bonus == nil {
			p.Bonus = PaperBonus(p.ShiftSide)
		}
		return p, nil
	}
	p.CompletionTokens = map[string]float64{}
	p.Learned = map[string]bool{}
	p.Costs = map[string]float64{}
	p.Penalty = map[string]float64{}
	for s, n := range cfg.ExpectedCompletionTokens {
		p.CompletionTokens[s] = float64(n)
	}
	if cfg.LearnLengths {
		for s, n := range learned {
			p.CompletionTokens[s] = n
			p.Learned[s] = true
		}
	}
	for s, n := range p.CompletionTokens {
		p.Costs[s] = cfg.Cost(n)
		p.Penalty[s] = cfg.Rate * p.Costs[s]
	}
	return p, nil
}

// Covers reports an error naming the strategies for which the plan has no expected length
// (under the "cost" transform such a strategy would be charged nothing). Call it with the
// game's strategies before trusting [Plan.Adjust].
func (p *Plan) Covers(strategies []string) error {
	if p.Transform != TransformCost {
		return nil
	}
	var missing []string
	for _, s := range strategies {
		if _, ok := p.CompletionTokens[s]; !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return &FieldError{Field: "expected_completion_tokens", Problem: "no length for strategy " + strings.Join(missing, ", ")}
}

// Adjust returns a cell's payoffs after the transform, for a cell whose assistant strategy is
// strategy. A strategy the plan does not know is charged nothing (see [Plan.Covers]).
func (p *Plan) Adjust(strategy string, llm, user float64) (llm2, user2 float64) {
	switch p.Transform {
	case TransformPaper:
		if p.ShiftSide == PayerUser {
			return llm + p.Bonus[strategy], user + p.Shift
		}
		return llm + p.Shift, user + p.Bonus[strategy]
	default:
		pen := p.Penalty[strategy]
		if p.Payer == PayerUser {
			return llm, user - pen
		}
		return llm - pen, user
	}
}

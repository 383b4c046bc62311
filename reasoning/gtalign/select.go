package gtalign

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/nashd/nashd/solver/welfare"
)

// Rule is a selection rule: how the solver picks one cell of the Pareto frontier.
type Rule string

// Selection rules.
const (
	// RuleWelfare is the rule GTAlign's prompt states: among the Pareto-optimal cells, the
	// largest LLM + user; ties go to the higher user payoff, then the higher LLM payoff.
	RuleWelfare Rule = "welfare"
	// RuleNashProduct is the rule GTAlign's inference code ranks by: among the Pareto-optimal
	// cells, the largest Nash product (LLM − d)·(user − d), with the same tie-breaks. The
	// disagreement point d is the same for both players: the game's lowest payoff, or the
	// lowest transformed payoff of any cell when pricing pushed one below it. Every gain is
	// then ≥ 0, so the product ranks all frontier cells as the paper's √(U·L) does on
	// non-negative payoffs, and a product of two negative payoffs can never win; a cell at
	// the disagreement point scores 0.
	RuleNashProduct Rule = "nash_product"
)

// ErrUnknownRule is returned for a rule name that is neither "welfare" nor "nash_product".
var ErrUnknownRule = errors.New("gtalign: unknown selection rule")

// ParseRule accepts "welfare" and "nash_product"; "" means [RuleWelfare].
func ParseRule(s string) (Rule, error) {
	switch Rule(s) {
	case "", RuleWelfare:
		return RuleWelfare, nil
	case RuleNashProduct:
		return RuleNashProduct, nil
	}
	return "", fmt.Errorf("%w %q (want %q or %q)", ErrUnknownRule, s, RuleWelfare, RuleNashProduct)
}

// Decision is the solver's verdict on a matrix.
type Decision struct {
	// Frontier lists the Pareto-optimal cells' keys in the matrix's order: no other cell is
	// at least as good for both sides and better for one.
	Frontier []string `json:"frontier"`
	// Choice is the selected key.
	Choice string `json:"choice"`
	// Tied lists every key equal to Choice on the rule and both tie-breaks; with more than
	// one, the matrix's order decided (the earliest wins).
	Tied []string `json:"tied,omitempty"`
	// Disagreement is the disagreement point d of [RuleNashProduct].
	Disagreement *float64 `json:"disagreement,omitempty"`
}

// Decide computes the Pareto frontier of m and selects one cell by rule, exactly (payoffs are
// read as the shortest decimals that print them, then compared as rationals by
// solver/welfare). lower is the game's lowest payoff (Game.Payoff.Min), used by
// [RuleNashProduct]. m is typically [Transform]'s output. Payoffs must be finite.
func Decide(m Matrix, rule Rule, lower float64) (Decision, error) {
	if len(m) == 0 {
		return Decision{}, errors.New("gtalign: decide: empty matrix")
	}
	if _, err := ParseRule(string(rule)); err != nil {
		return Decision{}, err
	}
	points := make([]welfare.Point, len(m))
	d := lower
	for i, c := range m {
		l, u, err := ratPair(c)
		if err != nil {
			return Decision{}, err
		}
		points[i] = welfare.Point{Label: c.Key, Payoffs: []*big.Rat{l, u}}
		d = min(d, c.LLM, c.User)
	}
	front, err := welfare.Frontier(points)
	if err != nil {
		return Decision{}, fmt.Errorf("gtalign: decide: %w", err)
	}
	var dec Decision
	for _, i := range front {
		dec.Frontier = append(dec.Frontier, m[i].Key)
	}
	chain := []welfare.Criterion{welfare.ByRule(welfare.Utilitarian), welfare.ByPlayer(playerUser), welfare.ByPlayer(playerLLM)}
	if rule == RuleNashProduct {
		dr, err := rat(d)
		if err != nil {
			return Decision{}, err
		}
		for i := range points {
			p := points[i].Payoffs
			points[i].Payoffs = []*big.Rat{new(big.Rat).Sub(p[0], dr), new(big.Rat).Sub(p[1], dr)}
		}
		chain[0] = welfare.ByRule(welfare.NashProduct)
		dec.Disagreement = &d
	}
	sel, err := welfare.Select(points, front, chain...)
	if err != nil {
		return Decision{}, fmt.Errorf("gtalign: decide: %w", err)
	}
	dec.Choice = m[sel.Index].Key
	for _, i := range sel.Tied {
		dec.Tied = append(dec.Tied, m[i].Key)
	}
	if len(dec.Tied) == 1 {
		dec.Tied = nil
	}
	return dec, nil
}

// Player indices in the welfare points: the payoff object's order.
const (
	playerLLM  = 0
	playerUser = 1
)

func ratPair(c Cell) (l, u *big.Rat, err error) {
	if l, err = rat(c.LLM); err != nil {
		return nil, nil, fmt.Errorf("gtalign: decide: %s.LLM: %w", c.Key, err)
	}
	if u, err = rat(c.User); err != nil {
		return nil, nil, fmt.Errorf("gtalign: decide: %s.user: %w", c.Key, err)
	}
	return l, u, nil
}

// rat reads x as the shortest decimal that prints it (4.3 is 43/10, not the binary float).
func rat(x float64) (*big.Rat, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("%v is not a finite number", x)
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return nil, fmt.Errorf("cannot read %v", x)
	}
	return r, nil
}

package solver

import (
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/strategic"
)

// Verification is the JSON-friendly verdict on a pure profile (see [VerifyChoice]).
type Verification struct {
	Game          string     `json:"game"`
	Players       []string   `json:"players"`
	Profile       []string   `json:"profile"`
	Payoffs       Rats       `json:"payoffs"`
	Regret        Rats       `json:"regret"`
	Equilibrium   bool       `json:"equilibrium"`
	BestResponses [][]string `json:"best_responses"`
	DominatedBy   []Outcome  `json:"pareto_dominated_by"`
	Welfare       string     `json:"welfare"`
	WelfareRank   int        `json:"welfare_rank"`
	Outcomes      int        `json:"outcomes"`
}

// VerifyChoice judges the pure profile that names one strategy per player (for tree games, the
// normal-form strategy names of [game.Tree.ToNormal]): each player's regret (gain from the best
// deviation, exact), whether it is a Nash equilibrium, which pure outcomes Pareto-dominate it
// and its rank by total payoff among all pure outcomes (1 = highest).
func VerifyChoice(g *game.Game, choice []string) (*Verification, error) {
	var nf *game.Normal
	switch g.Kind() {
	case game.KindNormal:
		nf = g.Normal
	case game.KindTree:
		var err error
		if nf, _, err = g.Tree.ToNormal(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: verify needs a normal-form or tree game", ErrMethod)
	}
	if len(choice) != nf.NumPlayers() {
		return nil, fmt.Errorf("%w: %d strategies for %d players", strategic.ErrProfile, len(choice), nf.NumPlayers())
	}
	p := make([]int, len(choice))
	for i, name := range choice {
		p[i] = -1
		for s, label := range nf.Strategies(i) {
			if label == name {
				p[i] = s
				break
			}
		}
		if p[i] < 0 {
			return nil, fmt.Errorf("%w: player %q has no strategy %q (has %q)", strategic.ErrProfile, nf.Players()[i], name, nf.Strategies(i))
		}
	}
	v, err := strategic.VerifyPure(nf, p)
	if err != nil {
		return nil, err
	}
	out := &Verification{Game: g.Name, Players: nf.Players(), Profile: choice, Payoffs: v.Payoffs, Regret: v.Regret,
		Equilibrium: v.Equilibrium, Welfare: v.Welfare.RatString(), WelfareRank: v.WelfareRank, Outcomes: nf.NumProfiles(),
		DominatedBy: []Outcome{}}
	for i, br := range v.BestResponses {
		var names []string
		for _, s := range br {
			names = append(names, nf.Strategies(i)[s])
		}
		out.BestResponses = append(out.BestResponses, names)
	}
	for _, k := range v.DominatedBy {
		out.DominatedBy = append(out.DominatedBy, Outcome{Profile: names(nf, nf.Profile(k, nil)), Payoffs: append([]*big.Rat(nil), nf.Payoffs(k)...)})
	}
	return out, nil
}

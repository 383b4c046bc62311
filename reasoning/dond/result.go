package dond

import (
	"encoding/json"
	"fmt"

	"github.com/nashd/nashd/reasoning/agents"
)

// resultJSON is the wire form of a Result.
type resultJSON struct {
	Game              string                    `json:"game"`
	Line              int                       `json:"line,omitempty"`
	Items             []string                  `json:"items"`
	Counts            map[string]int            `json:"counts"`
	Values            map[string]map[string]int `json:"values"`
	Kinds             map[string]Kind           `json:"kinds"`
	MaxRounds         int                       `json:"max_rounds"`
	Rounds            int                       `json:"rounds"`
	Turns             int                       `json:"turns"`
	Agreement         bool                      `json:"agreement"`
	Shares            map[string]map[string]int `json:"shares"`
	Scores            map[string]int            `json:"scores"`
	Total             int                       `json:"total"`
	ParetoOptimal     bool                      `json:"pareto_optimal"`
	EnvyFree          bool                      `json:"envy_free"`
	MaxTotal          int                       `json:"max_total"`
	BestEnvyFreeTotal *int                      `json:"best_envy_free_total"`
	Beliefs           []BeliefStep              `json:"beliefs,omitempty"`
	Forfeit           *agents.Forfeit           `json:"forfeit,omitempty"`
	Transcript        []agents.Event            `json:"transcript"`
	Stats             agents.Stats              `json:"stats"`
}

// GameName is the "game" of a Deal or No Deal result's JSON.
const GameName = "deal_or_no_deal"

// MarshalJSON writes the result as one object: game ("deal_or_no_deal"), line, items,
// counts {item: n}, values {player: {item: v}}, kinds {player: raw|workflow}, max_rounds,
// rounds, turns, agreement, shares {player: {item: n}} (null without a deal), scores
// {player: x}, total, pareto_optimal, envy_free, max_total, best_envy_free_total (null when
// no split is envy-free), beliefs (the workflow agents' updates), forfeit, transcript, stats.
func (r *Result) MarshalJSON() ([]byte, error) {
	s, v := r.Setup, r.Verdict
	if s == nil || v == nil {
		return nil, fmt.Errorf("dond: incomplete result")
	}
	w := resultJSON{Game: GameName, Line: s.Line, Items: s.Items, Counts: itemMap(s.Items, s.Counts),
		Values: map[string]map[string]int{}, Kinds: map[string]Kind{}, MaxRounds: r.MaxRounds, Rounds: r.Rounds, Turns: r.Turns,
		Agreement: v.Agreement, Scores: map[string]int{}, Total: v.Total, ParetoOptimal: v.ParetoOptimal, EnvyFree: v.EnvyFree,
		MaxTotal: v.MaxTotal, Beliefs: r.Beliefs, Forfeit: r.Forfeit, Transcript: r.Transcript, Stats: r.Stats}
	if v.BestEnvyFreeTotal >= 0 {
		w.BestEnvyFreeTotal = &v.BestEnvyFreeTotal
	}
	if w.Transcript == nil {
		w.Transcript = []agents.Event{}
	}
	for i, p := range Players {
		w.Values[p] = itemMap(s.Items, s.Values[i])
		w.Kinds[p] = r.Kinds[i]
		w.Scores[p] = v.Scores[i]
		if v.Agreement {
			if w.Shares == nil {
				w.Shares = map[string]map[string]int{}
			}
			w.Shares[p] = itemMap(s.Items, v.Shares[i])
		}
	}
	return json.Marshal(w)
}

func itemMap(items []string, n []int) map[string]int {
	m := map[string]int{}
	for j, it := range items {
		m[it] = n[j]
	}
	return m
}

func itemList(items []string, m map[string]int) []int {
	out := make([]int, len(items))
	for j, it := range items {
		out[j] = m[it]
	}
	return out
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error {
	var w resultJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s := &Setup{Items: w.Items, Counts: itemList(w.Items, w.Counts), Line: w.Line}
	v := &Verdict{Agreement: w.Agreement, Total: w.Total, ParetoOptimal: w.ParetoOptimal, EnvyFree: w.EnvyFree,
		MaxTotal: w.MaxTotal, BestEnvyFreeTotal: -1}
	if w.BestEnvyFreeTotal != nil {
		v.BestEnvyFreeTotal = *w.BestEnvyFreeTotal
	}
	*r = Result{Setup: s, Verdict: v, MaxRounds: w.MaxRounds, Rounds: w.Rounds, Turns: w.Turns, Beliefs: w.Beliefs,
		Forfeit: w.Forfeit, Transcript: w.Transcript, Stats: w.Stats}
	for i, p := range Players {
		s.Values[i] = itemList(w.Items, w.Values[p])
		r.Kinds[i] = w.Kinds[p]
		v.Scores[i] = w.Scores[p]
		if w.Shares != nil {
			v.Shares[i] = itemList(w.Items, w.Shares[p])
		}
	}
	return nil
}

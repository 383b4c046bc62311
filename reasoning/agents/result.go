package agents

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
)

// Result is a finished game: who played how, the solver's verdict and the transcript. Its
// JSON (see [Result.MarshalJSON]) is what `nash play --json` prints and the daemon returns.
type Result struct {
	Game    string
	Kind    game.Kind // game.KindNormal or game.KindTree
	Players [2]string
	Modes   [2]Mode
	// Rounds is the number of negotiation rounds held (normal form).
	Rounds int
	// Normal or Tree is the verdict, by Kind; both are nil when an agent forfeited.
	Normal *NormalVerdict
	Tree   *TreeVerdict
	// Forfeit records the agent that gave no valid answer, if one did.
	Forfeit *Forfeit
	// Claims grades each prompted agent's workflow (nil for the other modes).
	Claims     [2]*Claims
	Transcript []Event
	Stats      Stats
}

// resultJSON is the wire form: the keys of the game's kind only.
type resultJSON struct {
	Game    string          `json:"game"`
	Kind    string          `json:"kind"`
	Players []string        `json:"players"`
	Modes   map[string]Mode `json:"modes"`
	Rounds  *int            `json:"rounds,omitempty"`

	Actions           map[string]string          `json:"actions,omitempty"`
	Path              []string                   `json:"path,omitempty"`
	Steps             []TreeStep                 `json:"steps,omitempty"`
	Payoffs           map[string]gamefile.Number `json:"payoffs,omitempty"`
	Equilibrium       *bool                      `json:"equilibrium,omitempty"`
	ParetoEquilibrium *bool                      `json:"pareto_equilibrium,omitempty"`
	ParetoOptimal     *bool                      `json:"pareto_optimal,omitempty"`
	Regret            map[string]gamefile.Number `json:"regret,omitempty"`
	Equilibria        []map[string]string        `json:"equilibria,omitempty"`
	ParetoEquilibria  []map[string]string        `json:"pareto_equilibria,omitempty"`
	SPE               *bool                      `json:"spe,omitempty"`
	SPEPath           []string                   `json:"spe_path,omitempty"`
	SPEPayoffs        map[string]gamefile.Number `json:"spe_payoffs,omitempty"`
	UniqueSPE         *bool                      `json:"unique_spe,omitempty"`

	Forfeit    *Forfeit           `json:"forfeit,omitempty"`
	Workflow   map[string]*Claims `json:"workflow,omitempty"`
	Transcript []Event            `json:"transcript"`
	Stats      Stats              `json:"stats"`
}

// MarshalJSON writes the result as one object. Common keys: game, kind ("normal" or
// "tree"), players, modes {player: mode}, forfeit (if any), workflow {player: claims} for
// prompted agents, transcript and stats. A normal-form game adds rounds, actions {player:
// strategy}, payoffs {player: x}, equilibrium, pareto_equilibrium, pareto_optimal, regret
// {player: x}, equilibria and pareto_equilibria (lists of {player: strategy}); a tree adds
// path (the actions in order), steps ({node, player, action}), payoffs, spe, spe_path,
// spe_payoffs and unique_spe. Numbers are exact, as strings ("3", "-1/2"). After a forfeit
// the outcome keys are absent and equilibrium (or spe) is false.
func (r *Result) MarshalJSON() ([]byte, error) {
	w := resultJSON{Game: r.Game, Kind: r.Kind.String(), Players: r.Players[:], Modes: map[string]Mode{},
		Forfeit: r.Forfeit, Transcript: r.Transcript, Stats: r.Stats}
	if w.Transcript == nil {
		w.Transcript = []Event{}
	}
	for i, p := range r.Players {
		w.Modes[p] = r.Modes[i]
		if r.Claims[i] != nil {
			if w.Workflow == nil {
				w.Workflow = map[string]*Claims{}
			}
			w.Workflow[p] = r.Claims[i]
		}
	}
	no := false
	switch r.Kind {
	case game.KindNormal:
		w.Rounds = &r.Rounds
		v := r.Normal
		if v == nil {
			w.Equilibrium, w.ParetoEquilibrium = &no, &no
			break
		}
		w.Actions = map[string]string{r.Players[0]: v.Actions[0], r.Players[1]: v.Actions[1]}
		w.Payoffs, w.Regret = r.byPlayer(v.Payoffs), r.byPlayer(v.Regret)
		w.Equilibrium, w.ParetoEquilibrium, w.ParetoOptimal = &v.Equilibrium, &v.ParetoEquilibrium, &v.ParetoOptimal
		w.Equilibria, w.ParetoEquilibria = r.profiles(v.Equilibria), r.profiles(v.ParetoEquilibria)
	case game.KindTree:
		v := r.Tree
		if v == nil {
			w.SPE = &no
			break
		}
		w.Path = []string{}
		for _, s := range v.Path {
			w.Path = append(w.Path, s.Action)
		}
		w.Steps, w.Payoffs, w.SPE = v.Path, r.byPlayer(v.Payoffs), &v.SPE
		w.SPEPath, w.SPEPayoffs, w.UniqueSPE = v.SPEPath, r.byPlayer(v.SPEPayoffs), &v.UniqueSPE
	default:
		return nil, fmt.Errorf("agents: result of kind %v", r.Kind)
	}
	return json.Marshal(w)
}

func (r *Result) byPlayer(v []*big.Rat) map[string]gamefile.Number {
	m := map[string]gamefile.Number{}
	for i, x := range v {
		m[r.Players[i]] = gamefile.Number{R: x}
	}
	return m
}

func (r *Result) profiles(list [][2]string) []map[string]string {
	out := []map[string]string{}
	for _, p := range list {
		out = append(out, map[string]string{r.Players[0]: p[0], r.Players[1]: p[1]})
	}
	return out
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error {
	var w resultJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if len(w.Players) != 2 {
		return fmt.Errorf("agents: result with %d players", len(w.Players))
	}
	*r = Result{Game: w.Game, Players: [2]string{w.Players[0], w.Players[1]}, Forfeit: w.Forfeit, Transcript: w.Transcript, Stats: w.Stats}
	for i, p := range r.Players {
		r.Modes[i] = w.Modes[p]
		r.Claims[i] = w.Workflow[p]
	}
	rats := func(m map[string]gamefile.Number) []*big.Rat {
		if m == nil {
			return nil
		}
		return []*big.Rat{m[r.Players[0]].R, m[r.Players[1]].R}
	}
	pairs := func(list []map[string]string) [][2]string {
		var out [][2]string
		for _, m := range list {
			out = append(out, [2]string{m[r.Players[0]], m[r.Players[1]]})
		}
		return out
	}
	switch w.Kind {
	case "normal":
		r.Kind = game.KindNormal
		if w.Rounds != nil {
			r.Rounds = *w.Rounds
		}
		if w.Actions != nil {
			r.Normal = &NormalVerdict{Actions: [2]string{w.Actions[r.Players[0]], w.Actions[r.Players[1]]},
				Payoffs: rats(w.Payoffs), Regret: rats(w.Regret), Equilibrium: deref(w.Equilibrium),
				ParetoEquilibrium: deref(w.ParetoEquilibrium), ParetoOptimal: deref(w.ParetoOptimal),
				Equilibria: pairs(w.Equilibria), ParetoEquilibria: pairs(w.ParetoEquilibria)}
		}
	case "tree":
		r.Kind = game.KindTree
		if w.Path != nil {
			r.Tree = &TreeVerdict{Path: w.Steps, Payoffs: rats(w.Payoffs), SPE: deref(w.SPE), SPEPath: w.SPEPath,
				SPEPayoffs: rats(w.SPEPayoffs), UniqueSPE: deref(w.UniqueSPE)}
		}
	default:
		return fmt.Errorf("agents: result of kind %q", w.Kind)
	}
	return nil
}

func deref(b *bool) bool { return b != nil && *b }

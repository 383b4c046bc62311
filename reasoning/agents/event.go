package agents

import (
	"errors"
	"fmt"
	"time"

	"github.com/nashd/nashd/reasoning/internal/turn"
)

// Phases of an [Event].
const (
	// PhaseMessage: a pre-play negotiation message (Text) from Agent.
	PhaseMessage = "message"
	// PhaseAction: Agent's answer choosing a strategy (Action) or a move; Text is the
	// whole answer (the reason, or the prompted workflow's lines).
	PhaseAction = "action"
	// PhaseChance: a chance move of a sequential game (Action), drawn with the seed.
	PhaseChance = "chance"
	// PhaseRetry: Agent's answer (Text) failed to parse (Error); it is asked again.
	PhaseRetry = "retry"
	// PhaseForfeit: Agent gave no valid answer within its retries; the game ends.
	PhaseForfeit = "forfeit"
	// PhaseProposal, PhaseBelief: Deal or No Deal turns and belief updates (package
	// reasoning/dond).
	PhaseProposal = "proposal"
	PhaseBelief   = "belief"
	// PhaseVerdict: the game is over; Text summarises the solver's verdict.
	PhaseVerdict = "verdict"
)

// Event is one step of a game's transcript, delivered to Options.OnEvent as it happens
// and kept in [Result.Transcript]. A daemon streams them as server-sent events.
type Event struct {
	Seq   int    `json:"seq"`             // 1, 2, … in the game
	Turn  int    `json:"turn"`            // the turn it belongs to (1-based; 0 for the verdict)
	Round int    `json:"round,omitempty"` // negotiation round (1-based), when in one
	Agent string `json:"agent,omitempty"` // the player's name; "" for chance and the referee
	Phase string `json:"phase"`
	Text  string `json:"text,omitempty"`
	// Action is the parsed choice: a strategy, a move, a chance outcome, a deal.
	Action string `json:"action,omitempty"`
	Error  string `json:"error,omitempty"`
	// Model figures of the generation behind the event (zero for events without one).
	PromptTokens int     `json:"prompt_tokens,omitempty"`
	CacheN       int     `json:"cache_n,omitempty"`
	Tokens       int     `json:"tokens,omitempty"` // generated
	MS           float64 `json:"ms,omitempty"`     // wall time of the generation
}

// withReply fills an event's model figures from a generation.
func (e Event) withReply(r turn.Reply) Event {
	e.PromptTokens, e.CacheN, e.Tokens, e.MS = r.Result.PromptTokens, r.Result.Timings.CacheN, len(r.Result.Tokens), r.MS
	return e
}

// Stats are a game's figures.
type Stats struct {
	Turns           int     `json:"turns"`            // agent turns taken
	Generations     int     `json:"generations"`      // model requests, retries included
	PromptTokens    int     `json:"prompt_tokens"`    // over all requests
	CacheN          int     `json:"cache_n"`          // prompt tokens reused from the KV cache
	GeneratedTokens int     `json:"generated_tokens"` // over all requests
	ModelMS         float64 `json:"model_ms"`         // wall time inside the generators
	TotalMS         float64 `json:"total_ms"`         // wall time of the whole game
	// OutsideShare is the share of the game's time spent outside the model: prompting,
	// parsing, the solver, belief updates (1 − ModelMS/TotalMS).
	OutsideShare float64 `json:"outside_share"`
	// Trimmed counts the earlier messages dropped from the agents' conversations because
	// they outgrew the model's context.
	Trimmed int `json:"history_trimmed,omitempty"`
}

// newStats converts a game's generation figures.
func newStats(t *turn.Stats, turns int, start time.Time) Stats {
	total := float64(time.Since(start)) / float64(time.Millisecond)
	s := Stats{Turns: turns, Generations: t.Generations, PromptTokens: t.PromptTokens, CacheN: t.CacheN,
		GeneratedTokens: t.GeneratedTokens, ModelMS: t.ModelMS, TotalMS: total, Trimmed: t.Trimmed}
	if total > 0 {
		s.OutsideShare = max(0, 1-t.ModelMS/total)
	}
	return s
}

// Recorder numbers events, keeps them and passes them on.
type Recorder struct {
	On     func(Event) error
	Events []Event
}

// Emit records e (numbered) and passes it to On.
func (r *Recorder) Emit(e Event) error {
	e.Seq = len(r.Events) + 1
	r.Events = append(r.Events, e)
	if r.On != nil {
		if err := r.On(e); err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
	}
	return nil
}

// Forfeit records an agent that gave no valid answer.
type Forfeit struct {
	Player string `json:"player"`
	Turn   int    `json:"turn"`
	Reason string `json:"reason"`
}

// IsForfeit reports whether err is an agent's forfeit (every answer failed to parse).
func IsForfeit(err error) bool { return errors.Is(err, turn.ErrForfeit) }

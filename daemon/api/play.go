package api

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/dond"
)

// GameDond is [PlayRequest.Game] for Deal or No Deal on one line of the data.
const GameDond = "dond"

// PlayRequest is the body of POST /v1/games/play: two agents, Alice and Bob, both on the
// serving model (or Model), play a game with the solver as referee (package
// reasoning/agents; Deal or No Deal: reasoning/dond).
//
// Game is a game configured in configs/games (normal form and trees: Mode, AliceMode,
// BobMode; an allocation game plays as Deal or No Deal: Alice, Bob), or [GameDond] with a
// data line: Line alone picks a line (from 1) of the data's shipped sample; LineText gives
// the line inline (then Line, if set, only labels the result). The server reads no file the
// client names. Invalid fields are 400 errors naming the field; an unknown game is a 404
// naming "game".
type PlayRequest struct {
	Game  string `json:"game"`
	Model string `json:"model,omitempty"` // a configured model's name ("" = the serving model)
	// Mode is both agents' mode (raw, prompted, verified; "" = raw); AliceMode and BobMode
	// override it per agent. Complete-information games only.
	Mode      string `json:"mode,omitempty"`
	AliceMode string `json:"alice_mode,omitempty"`
	BobMode   string `json:"bob_mode,omitempty"`
	// Alice and Bob are the Deal or No Deal agents: raw or workflow ("" = raw).
	Alice string `json:"alice,omitempty"`
	Bob   string `json:"bob,omitempty"`
	// Line and LineText choose the Deal or No Deal data line (see above).
	Line     int    `json:"line,omitempty"`
	LineText string `json:"line_text,omitempty"`
	// Rounds: pre-play negotiation rounds of a simultaneous game (0–20), or Deal or No
	// Deal's round limit (0 = 10, at most 20).
	Rounds int `json:"rounds,omitempty"`
	// Seed seeds the sampling (Alice's requests from uint32(Seed), Bob's from
	// uint32(Seed)+65536, as `nash play` does) and a tree's chance moves; 0 by default, so
	// a game repeats.
	Seed uint64 `json:"seed,omitempty"`
	// Sampling (nil = the engine's defaults: temperature 0.8).
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"top_p,omitempty"`
	TopK          *int     `json:"top_k,omitempty"`
	MinP          *float64 `json:"min_p,omitempty"`
	RepeatPenalty *float64 `json:"repeat_penalty,omitempty"`
	// MessageChars bounds a negotiation message, ReasonChars the reason line before an
	// action (-1: none), Candidates the proposals a workflow agent is offered; 0 = the
	// library's defaults.
	MessageChars int `json:"message_chars,omitempty"`
	ReasonChars  int `json:"reason_chars,omitempty"`
	Candidates   int `json:"candidates,omitempty"`
	// Unconstrained sends the model no grammars (answers are parsed tolerantly; an agent
	// that keeps answering out of form forfeits).
	Unconstrained bool `json:"unconstrained,omitempty"`
	// Stream asks for server-sent events: each [agents.Event] of the transcript as it
	// happens, then the result, then "data: [DONE]" (see [DecodePlayEvent]).
	Stream bool `json:"stream,omitempty"`
}

// PlayResult is the answer of POST /v1/games/play: exactly one of Game (a complete-
// information game) and Dond (Deal or No Deal). Its JSON is that result's own, the stable
// object `nash play --json` prints.
type PlayResult struct {
	Game *agents.Result
	Dond *dond.Result
}

// MarshalJSON writes the result that is set.
func (r *PlayResult) MarshalJSON() ([]byte, error) {
	switch {
	case r.Dond != nil:
		return json.Marshal(r.Dond)
	case r.Game != nil:
		return json.Marshal(r.Game)
	}
	return nil, errors.New("api: empty PlayResult")
}

// UnmarshalJSON reads either result, telling them apart by "game" (Deal or No Deal's is
// dond.GameName).
func (r *PlayResult) UnmarshalJSON(b []byte) error {
	var probe struct {
		Game string `json:"game"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	*r = PlayResult{}
	if probe.Game == dond.GameName {
		r.Dond = new(dond.Result)
		return json.Unmarshal(b, r.Dond)
	}
	r.Game = new(agents.Result)
	return json.Unmarshal(b, r.Game)
}

// Transcript returns the result's events.
func (r *PlayResult) Transcript() []agents.Event {
	switch {
	case r.Dond != nil:
		return r.Dond.Transcript
	case r.Game != nil:
		return r.Game.Transcript
	}
	return nil
}

// Stats returns the result's figures.
func (r *PlayResult) Stats() agents.Stats {
	switch {
	case r.Dond != nil:
		return r.Dond.Stats
	case r.Game != nil:
		return r.Game.Stats
	}
	return agents.Stats{}
}

// DecodePlayEvent reads the data of one server-sent event of a streamed POST
// /v1/games/play. Exactly one of its answers is set: a transcript event (an object with
// "phase"), the game's result (the last event before "data: [DONE]", an object with "game"),
// or an error that ended the game ({"error": {…}}, then "data: [DONE]").
func DecodePlayEvent(data []byte) (*agents.Event, *PlayResult, *APIError, error) {
	var probe struct {
		Error *APIError `json:"error"`
		Game  *string   `json:"game"`
		Phase *string   `json:"phase"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, nil, fmt.Errorf("decoding a game event: %w", err)
	}
	switch {
	case probe.Error != nil:
		return nil, nil, probe.Error, nil
	case probe.Game != nil:
		var r PlayResult
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, nil, nil, fmt.Errorf("decoding a game's result: %w", err)
		}
		return nil, &r, nil, nil
	case probe.Phase != nil:
		var e agents.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, nil, nil, fmt.Errorf("decoding a game event: %w", err)
		}
		return &e, nil, nil, nil
	}
	return nil, nil, nil, fmt.Errorf("decoding a game event: neither an event, a result nor an error: %.200s", data)
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/dond"
	"github.com/nashd/nashd/solver/game"
)

// playCall is a validated POST /v1/games/play request: a complete-information game (g) or a
// Deal or No Deal setup, the agents' modes or kinds, their sampling and the options.
type playCall struct {
	model    string
	g        *game.Game  // normal form or tree; nil for Deal or No Deal
	setup    *dond.Setup // Deal or No Deal; nil otherwise
	modes    [2]agents.Mode
	kinds    [2]dond.Kind
	sampling [2]inference.Sampling
	opts     agents.Options
	dopts    dond.Options
}

// parsePlay validates a play request against the config snapshot's games: every field out
// of range is a 400 naming it, an unknown game a 404 naming "game".
func parsePlay(req *api.PlayRequest, snap *config.Snapshot) (*playCall, error) {
	call := &playCall{model: req.Model}
	switch {
	case req.Game == "":
		return nil, api.BadRequest("game", "missing: give a game name from configs/games or %q", api.GameDond)
	case req.Game == api.GameDond:
		var err error
		switch {
		case req.Line < 0:
			return nil, api.BadRequest("line", "%d: lines count from 1", req.Line)
		case req.LineText != "":
			if len(req.LineText) > dond.MaxLineBytes {
				return nil, api.BadRequest("line_text", "longer than %d bytes", dond.MaxLineBytes)
			}
			if call.setup, err = dond.ParseLine(req.LineText); err != nil {
				return nil, api.BadRequest("line_text", "%v", err)
			}
			call.setup.Line = req.Line
		case req.Line == 0:
			return nil, api.BadRequest("line", "missing: give a line of the shipped sample (from 1) or the line's text in line_text")
		default:
			if call.setup, err = dond.SampleLine(req.Line); err != nil {
				return nil, api.BadRequest("line", "%v", err)
			}
		}
	default:
		cg, ok := snap.Games[req.Game]
		if !ok {
			names := make([]string, 0, len(snap.Games))
			for n := range snap.Games {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, &api.APIError{Status: http.StatusNotFound, Message: fmt.Sprintf("game: unknown game %q (configured: %v, or %q with a data line)", req.Game, names, api.GameDond),
				Type: api.TypeInvalidRequest, Param: "game", Code: "game_not_found"}
		}
		g := cg.Value
		if g == nil {
			return nil, api.BadRequest("game", "%q did not parse as a game", req.Game) // an opaque parser: no solver wired in
		}
		switch g.Kind() {
		case game.KindAllocation:
			s, err := dond.FromAllocation(g.Allocation)
			if err != nil {
				return nil, api.BadRequest("game", "%s cannot be played as Deal or No Deal: %v", req.Game, err)
			}
			call.setup = s
		case game.KindNormal, game.KindTree:
			call.g = g
		default:
			return nil, api.BadRequest("game", "%s: a %s game cannot be played", req.Game, g.Kind())
		}
		if req.Line != 0 || req.LineText != "" {
			field := "line"
			if req.LineText != "" {
				field = "line_text"
			}
			return nil, api.BadRequest(field, "goes with the game %q only", api.GameDond)
		}
	}
	if call.setup != nil {
		if err := parseDond(req, call); err != nil {
			return nil, err
		}
	} else if err := parseGame(req, call); err != nil {
		return nil, err
	}
	return call, parseSampling(req, call)
}

// parseGame checks the fields of a complete-information game.
func parseGame(req *api.PlayRequest, call *playCall) error {
	if req.Alice != "" || req.Bob != "" || req.Candidates != 0 {
		field := map[bool]string{true: "alice", false: "bob"}[req.Alice != ""]
		if req.Alice == "" && req.Bob == "" {
			field = "candidates"
		}
		return api.BadRequest(field, "goes with Deal or No Deal (use mode, alice_mode, bob_mode)")
	}
	for i, f := range []struct{ field, v string }{{"alice_mode", req.AliceMode}, {"bob_mode", req.BobMode}} {
		field, v := f.field, f.v
		if v == "" {
			field, v = "mode", req.Mode
		}
		if v == "" {
			v = string(agents.Raw)
		}
		m, err := agents.ParseMode(v)
		if err != nil {
			return api.BadRequest(field, "%q is not raw, prompted or verified", v)
		}
		call.modes[i] = m
	}
	if g := call.g; len(g.Players()) != 2 {
		return api.BadRequest("game", "%s has %d players; the agents play two-player games", g.Name, len(g.Players()))
	}
	if req.Rounds < 0 || req.Rounds > agents.MaxRounds { // trees hold no negotiation: still in range
		return api.BadRequest("rounds", "%d outside [0, %d]", req.Rounds, agents.MaxRounds)
	}
	if req.MessageChars < 0 || req.MessageChars > agents.MaxTextChars {
		return api.BadRequest("message_chars", "%d outside [0, %d]", req.MessageChars, agents.MaxTextChars)
	}
	if req.ReasonChars < agents.NoText || req.ReasonChars > agents.MaxTextChars {
		return api.BadRequest("reason_chars", "%d outside [%d, %d]", req.ReasonChars, agents.NoText, agents.MaxTextChars)
	}
	call.opts = agents.Options{Rounds: req.Rounds, Seed: req.Seed, MessageChars: req.MessageChars, ReasonChars: req.ReasonChars, Unconstrained: req.Unconstrained}
	return nil
}

// parseDond checks the fields of a Deal or No Deal game.
func parseDond(req *api.PlayRequest, call *playCall) error {
	for _, f := range []struct{ field, v string }{{"mode", req.Mode}, {"alice_mode", req.AliceMode}, {"bob_mode", req.BobMode}} {
		if f.v != "" {
			return api.BadRequest(f.field, "goes with complete-information games (Deal or No Deal takes alice and bob: raw or workflow)")
		}
	}
	if req.ReasonChars != 0 {
		return api.BadRequest("reason_chars", "goes with complete-information games")
	}
	for i, f := range []struct{ field, v string }{{"alice", req.Alice}, {"bob", req.Bob}} {
		v := f.v
		if v == "" {
			v = string(dond.Raw)
		}
		k, err := dond.ParseKind(v)
		if err != nil {
			return api.BadRequest(f.field, "%q is not raw or workflow", v)
		}
		call.kinds[i] = k
	}
	switch {
	case req.Rounds < 0 || req.Rounds > dond.MaxRounds:
		return api.BadRequest("rounds", "%d outside [0, %d] (0: the default, %d)", req.Rounds, dond.MaxRounds, dond.DefaultRounds)
	case req.MessageChars < 0 || req.MessageChars > dond.MaxMessageChars:
		return api.BadRequest("message_chars", "%d outside [0, %d]", req.MessageChars, dond.MaxMessageChars)
	case req.Candidates < 0 || req.Candidates > dond.MaxCandidates:
		return api.BadRequest("candidates", "%d outside [0, %d]", req.Candidates, dond.MaxCandidates)
	}
	call.dopts = dond.Options{Rounds: req.Rounds, MessageChars: req.MessageChars, Candidates: req.Candidates, Unconstrained: req.Unconstrained}
	return nil
}

// parseSampling sets both agents' samplers: the engine's defaults with the request's
// fields, Alice seeded from uint32(Seed), Bob from uint32(Seed)+65536 (as `nash play`).
func parseSampling(req *api.PlayRequest, call *playCall) error {
	s := inference.DefaultSampling(0)
	if t := req.Temperature; t != nil {
		if !(*t >= 0 && *t <= 2) {
			return api.BadRequest("temperature", "%v outside [0, 2]", *t)
		}
		s.Temperature = float32(*t)
	}
	if p := req.TopP; p != nil {
		if !(*p >= 0 && *p <= 1) {
			return api.BadRequest("top_p", "%v outside [0, 1]", *p)
		}
		s.TopP = float32(*p)
	}
	if k := req.TopK; k != nil {
		if *k < 0 {
			return api.BadRequest("top_k", "%d < 0", *k)
		}
		s.TopK = *k
	}
	if p := req.MinP; p != nil {
		if !(*p >= 0 && *p <= 1) {
			return api.BadRequest("min_p", "%v outside [0, 1]", *p)
		}
		s.MinP = float32(*p)
	}
	if p := req.RepeatPenalty; p != nil {
		if !(*p >= 0) || *p > 10 || math.IsInf(*p, 0) {
			return api.BadRequest("repeat_penalty", "%v outside [0, 10]", *p)
		}
		s.RepeatPenalty = float32(*p)
	}
	for i := range call.sampling {
		call.sampling[i] = s
		call.sampling[i].Seed = uint32(req.Seed) + uint32(i)<<16
	}
	return nil
}

// runPlay plays call with both agents on one lease of the model (held for the whole game;
// each turn queues for a slot like any request), under server.request_timeout. onEvent
// (nil for none) receives the transcript as it happens; its error ends the game.
func (s *Server) runPlay(ctx context.Context, env *Env, call *playCall, onEvent func(agents.Event) error) (*api.PlayResult, error) {
	lease, err := env.Acquire(call.model)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	ctx, cancel := context.WithTimeout(ctx, env.Config.Daemon.Server.RequestTimeout.D())
	defer cancel()
	gen := leaseGen{lease}
	res := &api.PlayResult{}
	var st agents.Stats
	if call.setup != nil {
		o := call.dopts
		o.OnEvent = onEvent
		r, err := dond.Play(ctx, call.setup, [2]dond.Agent{{Gen: gen, Kind: call.kinds[0], Sampling: call.sampling[0]}, {Gen: gen, Kind: call.kinds[1], Sampling: call.sampling[1]}}, &o)
		if err != nil {
			return nil, s.playError(err)
		}
		res.Dond, st = r, r.Stats
	} else {
		o := call.opts
		o.OnEvent = onEvent
		r, err := agents.Play(ctx, call.g, [2]agents.Agent{{Gen: gen, Mode: call.modes[0], Sampling: call.sampling[0]}, {Gen: gen, Mode: call.modes[1], Sampling: call.sampling[1]}}, &o)
		if err != nil {
			return nil, s.playError(err)
		}
		res.Game, st = r, r.Stats
	}
	env.RecordTokens(st.PromptTokens, st.GeneratedTokens, st.ModelMS)
	return res, nil
}

// playError maps a game's error: options or a game the library refuses are 400s (parsePlay
// catches the usual ones first), cancellation is counted.
func (s *Server) playError(err error) error {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		s.metrics.cancelled.Inc()
	case errors.Is(err, agents.ErrGame), errors.Is(err, dond.ErrData):
		return api.BadRequest("game", "%v", err)
	case errors.Is(err, agents.ErrOptions), errors.Is(err, dond.ErrOptions):
		return api.BadRequest("", "%v", err)
	}
	return err
}

// play serves POST /v1/games/play: the result, or with stream each transcript event as it
// happens, then the result, then [DONE]. The game stops when the client goes away.
func (s *Server) play(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.PlayRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	call, err := parsePlay(&req, env.Config)
	if err != nil {
		WriteError(w, err)
		return
	}
	if !req.Stream {
		res, err := s.runPlay(r.Context(), env, call, nil)
		if err != nil {
			WriteError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
		return
	}
	// Streaming: headers go out with the first event, so errors before it keep their status.
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	res, err := s.runPlay(r.Context(), env, call, func(e agents.Event) error {
		if !sse.started {
			sse.start()
		}
		return sse.send(e)
	})
	if err != nil {
		if !sse.started {
			WriteError(w, err)
			return
		}
		if errors.Is(err, context.Canceled) || sse.failed {
			return // the client is gone
		}
		sse.send(api.ErrorBody{Error: AsAPIError(err)})
		sse.done()
		return
	}
	if !sse.started {
		sse.start()
	}
	sse.send(res)
	sse.done()
}

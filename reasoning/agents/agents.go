package agents

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/internal/turn"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
)

// Mode says how much help an agent gets (Hua et al. 2024, §3: the workflow against the raw
// model).
type Mode string

// The modes.
const (
	// Raw: the game's description only; the model chooses unaided.
	Raw Mode = "raw"
	// Prompted: the model does the paper's workflow itself before choosing: for a
	// simultaneous game, the opponent's best response to each of its strategies, its own best
	// response to each of the opponent's, then a one-line strategy; for a sequential game,
	// backward induction node by node from the deepest decisions up. The workflow's lines
	// are fixed by the grammar, and the solver grades every claim they make ([Claims]).
	Prompted Mode = "prompted"
	// Verified: the solver computes those facts (best responses, the equilibria and which
	// are Pareto-optimal, the subgame-perfect plan) and gives them to the model, which
	// still chooses.
	Verified Mode = "verified"
)

// Modes lists the modes in the order of their help.
var Modes = []Mode{Raw, Prompted, Verified}

// ParseMode reads a mode's name.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: unknown mode %q (want raw, prompted or verified)", ErrOptions, s)
}

// Agent is one player's side: its model, how it plays and how it samples.
type Agent struct {
	// Gen is the agent's model. Both agents may share one generator.
	Gen inference.Generator
	// Mode is the help the agent gets ("" = [Raw]).
	Mode Mode
	// Sampling is the agent's sampler; request k of the agent (from 0) uses seed
	// Sampling.Seed + k, so a game repeats exactly.
	Sampling inference.Sampling
}

// Limits of the options.
const (
	// MaxRounds bounds the pre-play negotiation rounds.
	MaxRounds = 20
	// DefaultMessageChars and MaxTextChars bound one negotiation message, and the free
	// text lines of an answer (the reason, the strategy summary).
	DefaultMessageChars = 200
	DefaultReasonChars  = 200
	MaxTextChars        = 2000
	// DefaultRetries is the number of further attempts an agent gets for an answer that
	// does not parse (possible only without a grammar); then it forfeits.
	DefaultRetries = 2
	// MaxRetries bounds Options.Retries.
	MaxRetries = 10
)

// NoText, as Options.ReasonChars, leaves out the free-text reason before an action.
const NoText = -1

// Options configure [Play]; nil means the defaults.
type Options struct {
	// Rounds is the number of pre-play negotiation rounds before a simultaneous move, each
	// one message from every agent (Alice first), at most [MaxRounds]; 0 = none. Sequential
	// games ignore it.
	Rounds int
	// Seed samples the chance moves of sequential games.
	Seed uint64
	// MessageChars bounds a negotiation message (characters; 0 = [DefaultMessageChars]).
	MessageChars int
	// ReasonChars bounds the one-line reason (raw, verified) or strategy summary (prompted)
	// an agent writes before its action (0 = [DefaultReasonChars]; [NoText] leaves the line
	// out, so the answer is the prompted workflow's lines, if any, and the action).
	ReasonChars int
	// Retries is the number of further attempts after an answer that does not parse
	// (0 = [DefaultRetries]; a negative value means none). With a grammar every answer
	// parses unless it was cut at its token limit.
	Retries int
	// Unconstrained sends no grammars: answers are parsed tolerantly and an agent that
	// keeps answering out of form forfeits. For generators without grammar support, and
	// for measuring what the grammar buys.
	Unconstrained bool
	// OnEvent receives each event of the game as it happens (the transcript); its error
	// ends the game with that error. Called from Play's goroutine.
	OnEvent func(Event) error
}

// Errors.
var (
	// ErrOptions reports options out of range.
	ErrOptions = errors.New("agents: invalid options")
	// ErrGame reports a game the agents cannot play (not two players, an allocation game).
	ErrGame = errors.New("agents: game cannot be played")
	// ErrUnknownGame reports a game name that names no game file.
	ErrUnknownGame = errors.New("agents: unknown game")
)

// settings are the options with defaults applied.
type settings struct {
	rounds, messageChars, reasonChars, retries int
	seed                                       uint64
	grammar                                    bool
	onEvent                                    func(Event) error
}

func (o *Options) settings() (settings, error) {
	if o == nil {
		o = &Options{}
	}
	s := settings{rounds: o.Rounds, messageChars: o.MessageChars, reasonChars: o.ReasonChars, retries: o.Retries,
		seed: o.Seed, grammar: !o.Unconstrained, onEvent: o.OnEvent}
	if s.rounds < 0 || s.rounds > MaxRounds {
		return s, fmt.Errorf("%w: %d negotiation rounds (want 0 to %d)", ErrOptions, s.rounds, MaxRounds)
	}
	switch {
	case s.messageChars == 0:
		s.messageChars = DefaultMessageChars
	case s.messageChars < 0 || s.messageChars > MaxTextChars:
		return s, fmt.Errorf("%w: message length %d (want 1 to %d)", ErrOptions, s.messageChars, MaxTextChars)
	}
	switch {
	case s.reasonChars == 0:
		s.reasonChars = DefaultReasonChars
	case s.reasonChars == NoText:
		s.reasonChars = 0
	case s.reasonChars < 0 || s.reasonChars > MaxTextChars:
		return s, fmt.Errorf("%w: reason length %d (want 1 to %d, or NoText)", ErrOptions, s.reasonChars, MaxTextChars)
	}
	switch {
	case s.retries == 0:
		s.retries = DefaultRetries
	case s.retries < 0:
		s.retries = 0
	case s.retries > MaxRetries:
		return s, fmt.Errorf("%w: %d retries (at most %d)", ErrOptions, s.retries, MaxRetries)
	}
	return s, nil
}

// Play has two agents play g: agents[0] is the game's first player (Alice, the row player),
// agents[1] the second. Normal-form games are played simultaneously after the optional
// negotiation; trees node by node from the root, chance moves drawn with Options.Seed. The
// solver judges the outcome ([JudgeNormal], [JudgeTree]). An agent whose answers keep
// failing to parse forfeits: the result records it and has no outcome. Play returns an error
// for a game that is not a two-player normal-form or tree game, invalid options, a generator
// error, ctx's cancellation (promptly: the generator stops before its next token) and an
// error from Options.OnEvent.
func Play(ctx context.Context, g *game.Game, agents [2]Agent, o *Options) (*Result, error) {
	s, err := o.settings()
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("%w: no game", ErrGame)
	}
	for i := range agents {
		if agents[i].Gen == nil {
			return nil, fmt.Errorf("%w: agent %d has no generator", ErrOptions, i+1)
		}
		if agents[i].Mode == "" {
			agents[i].Mode = Raw
		}
		if _, err := ParseMode(string(agents[i].Mode)); err != nil {
			return nil, err
		}
	}
	if n := len(g.Players()); n != 2 && g.Kind() != game.KindAllocation {
		return nil, fmt.Errorf("%w: %s has %d players; two agents play two-player games", ErrGame, g.Name, n)
	}
	p := &play{g: g, s: s, start: time.Now(), stats: &turn.Stats{}, rec: Recorder{On: s.onEvent}}
	p.res = &Result{Game: g.Name, Players: [2]string{g.Players()[0], g.Players()[1]}, Modes: [2]Mode{agents[0].Mode, agents[1].Mode}}
	for i, a := range agents {
		p.conv[i] = &turn.Conv{Gen: a.Gen, Sampling: a.Sampling, Stats: p.stats}
		p.modes[i] = a.Mode
		if a.Mode == Prompted {
			p.res.Claims[i] = &Claims{}
		}
	}
	switch g.Kind() {
	case game.KindNormal:
		p.res.Kind = game.KindNormal
		err = p.playNormal(ctx)
	case game.KindTree:
		p.res.Kind = game.KindTree
		err = p.playTree(ctx)
	case game.KindAllocation:
		return nil, fmt.Errorf("%w: %s is an allocation game (play it with package reasoning/dond)", ErrGame, g.Name)
	default:
		return nil, fmt.Errorf("%w: empty game", ErrGame)
	}
	if err != nil {
		return nil, err
	}
	p.res.Stats = p.finishStats()
	return p.res, nil
}

// FindGame loads the game ref names: a game file (.toml, .json or .nfg) when ref is a path
// that exists, else the file NAME.toml in dir (configs/games). An unknown name is an error
// wrapping [ErrUnknownGame] that lists the names dir holds.
func FindGame(dir, ref string) (*game.Game, error) {
	if ref == "" {
		return nil, fmt.Errorf("%w: empty name", ErrUnknownGame)
	}
	if st, err := os.Stat(ref); err == nil && !st.IsDir() {
		return gamefile.Load(ref)
	}
	if !strings.ContainsAny(ref, `/\`) && filepath.Ext(ref) == "" {
		p := filepath.Join(dir, ref+".toml")
		if _, err := os.Stat(p); err == nil {
			return gamefile.Load(p)
		}
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	for i, n := range names {
		names[i] = strings.TrimSuffix(filepath.Base(n), ".toml")
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: %q is not a game file, and %s holds no games", ErrUnknownGame, ref, dir)
	}
	return nil, fmt.Errorf("%w: %q is neither a game file nor a game in %s (%s)", ErrUnknownGame, ref, dir, strings.Join(names, ", "))
}

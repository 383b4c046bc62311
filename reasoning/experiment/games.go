package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/solver/game"
)

// The game lists of the negotiation-games paper (seed-games.md): names in configs/games.
var (
	SimultaneousGames = []string{"prisoner_dilemma", "stag_hunt", "battle_of_sexes", "wait_go", "duopolistic_competition"}
	SequentialGames   = []string{"escalation", "monopoly", "hot_cold", "draco", "trigame"}
	PerturbedGames    = []string{"prisoner_dilemma_large", "prisoner_dilemma_very_large", "prisoner_dilemma_small", "prisoner_dilemma_very_small",
		"stag_hunt_large", "stag_hunt_very_large", "stag_hunt_small", "stag_hunt_very_small"}
)

// GameRef names a game of the suite and the SHA-256 of its file.
type GameRef struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "normal" or "tree"
	SHA256 string `json:"sha256"`
}

// GamesConfig is the games experiment's parameters.
type GamesConfig struct {
	Games []GameRef     `json:"games"`
	Modes []agents.Mode `json:"modes"`
	// Runs is the number of runs of every game, mode and negotiation setting.
	Runs int `json:"runs"`
	// Rounds is the number of pre-play negotiation rounds of the "with negotiation" setting of
	// the simultaneous games; 0 plays without negotiation only.
	Rounds       int     `json:"rounds"`
	Seed         uint64  `json:"seed"`
	Temperature  float64 `json:"temperature"`
	MessageChars int     `json:"message_chars,omitempty"`
	ReasonChars  int     `json:"reason_chars,omitempty"`

	games []*game.Game
}

func (c *GamesConfig) seed() uint64 { return c.Seed }

// ExpandGames expands a game list: the names "default" (the 5 simultaneous and 5 sequential
// games), "simultaneous", "sequential" and "perturbed" (the 8 perturbed variants) stand for
// their lists; other entries are game names or files. Duplicates are dropped.
func ExpandGames(list []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	for _, s := range list {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "default":
			add(SimultaneousGames...)
			add(SequentialGames...)
		case "simultaneous":
			add(SimultaneousGames...)
		case "sequential":
			add(SequentialGames...)
		case "perturbed":
			add(PerturbedGames...)
		default:
			add(s)
		}
	}
	return out
}

// NewGamesConfig loads the games named in names (see [ExpandGames]) from dir (or as files),
// checks the modes and counts, and returns the configuration.
func NewGamesConfig(dir string, names []string, modes []string, runs, rounds int, seed uint64, temperature float64) (*GamesConfig, error) {
	c := &GamesConfig{Runs: runs, Rounds: rounds, Seed: seed, Temperature: temperature}
	if runs < 1 {
		return nil, fmt.Errorf("%w: %d runs (want at least 1)", ErrInput, runs)
	}
	if rounds < 0 || rounds > agents.MaxRounds {
		return nil, fmt.Errorf("%w: %d negotiation rounds (want 0 to %d)", ErrInput, rounds, agents.MaxRounds)
	}
	if temperature < 0 {
		return nil, fmt.Errorf("%w: temperature %v < 0", ErrInput, temperature)
	}
	seenMode := map[agents.Mode]bool{}
	for _, s := range modes {
		m, err := agents.ParseMode(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		if !seenMode[m] {
			seenMode[m] = true
			c.Modes = append(c.Modes, m)
		}
	}
	if len(c.Modes) == 0 {
		return nil, fmt.Errorf("%w: no modes", ErrInput)
	}
	names = ExpandGames(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no games", ErrInput)
	}
	for _, n := range names {
		g, err := agents.FindGame(dir, n)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		if k := g.Kind(); k != game.KindNormal && k != game.KindTree || len(g.Players()) != 2 {
			return nil, fmt.Errorf("%w: %s is not a two-player simultaneous or sequential game", ErrInput, n)
		}
		path := n
		if st, err := os.Stat(n); err != nil || st.IsDir() {
			path = filepath.Join(dir, n+".toml")
		}
		sum, err := FileSHA256(path)
		if err != nil {
			return nil, err
		}
		c.Games = append(c.Games, GameRef{Name: g.Name, Kind: g.Kind().String(), SHA256: sum})
		c.games = append(c.games, g)
	}
	return c, nil
}

// GameRecord is the record of one game played.
type GameRecord struct {
	Header
	Game   string      `json:"game"`
	Kind   string      `json:"kind"`
	Mode   agents.Mode `json:"mode"`
	Rounds int         `json:"rounds"`
	Run    int         `json:"run"`
	// Actions (normal form: Alice's, Bob's) or Path (tree: the moves) and the payoffs
	// (exact, as strings).
	Actions []string `json:"actions,omitempty"`
	Path    []string `json:"path,omitempty"`
	Payoffs []string `json:"payoffs,omitempty"`
	// Equilibrium: a pure Nash equilibrium (normal form) or a subgame-perfect play (tree).
	// ParetoEquilibrium: an equilibrium no other pure equilibrium Pareto-dominates (normal
	// form; for a tree, the same as Equilibrium). Reached is the paper's metric: the outcome
	// is the (Pareto-optimal) equilibrium; false after a forfeit.
	Equilibrium       bool              `json:"equilibrium"`
	ParetoEquilibrium bool              `json:"pareto_equilibrium"`
	Reached           bool              `json:"reached"`
	Forfeit           *agents.Forfeit   `json:"forfeit,omitempty"`
	Claims            [2]*agents.Claims `json:"claims"`
	// Transcript is the game's events with their wall times moved to Timings.
	Transcript []agents.Event `json:"transcript"`
	Tokens     Tokens         `json:"tokens"`
	Timings    Timings        `json:"timings"`
}

// Tokens are a run's model figures (deterministic for a seed).
type Tokens struct {
	Turns       int `json:"turns"`
	Generations int `json:"generations"`
	Prompt      int `json:"prompt"`
	Generated   int `json:"generated"`
}

// Timings are a run's wall-clock figures and its KV-cache reuse, which depends on the
// requests the generator served before: the only part of a record that differs between two
// runs with the same seed.
type Timings struct {
	TotalMS float64 `json:"total_ms"`
	ModelMS float64 `json:"model_ms"`
	// CacheN is the number of prompt tokens reused from the KV cache.
	CacheN int `json:"cache_n"`
	// EventMS and EventCacheN are each transcript event's generation time and cache reuse,
	// in order.
	EventMS     []float64 `json:"event_ms,omitempty"`
	EventCacheN []int     `json:"event_cache_n,omitempty"`
	// PassMS is each GTAlign pass's time (prompt, generation), in order.
	PassMS []PassTime `json:"pass_ms,omitempty"`
	// JudgeMS is the time in the judge model (GTAlign with a judge); not in ModelMS.
	JudgeMS float64 `json:"judge_ms,omitempty"`
}

// PassTime is one GTAlign pass's time.
type PassTime struct {
	PromptMS   float64 `json:"prompt_ms"`
	GenerateMS float64 `json:"generate_ms"`
	MS         float64 `json:"ms"`
	CacheN     int     `json:"cache_n"`
}

// splitTimes moves the events' wall times out of a transcript.
func splitTimes(events []agents.Event, st agents.Stats) ([]agents.Event, Tokens, Timings) {
	ev := make([]agents.Event, len(events))
	t := Timings{TotalMS: st.TotalMS, ModelMS: st.ModelMS, CacheN: st.CacheN, EventMS: make([]float64, len(events)), EventCacheN: make([]int, len(events))}
	for i, e := range events {
		t.EventMS[i], t.EventCacheN[i] = e.MS, e.CacheN
		e.MS, e.CacheN = 0, 0
		ev[i] = e
	}
	return ev, Tokens{Turns: st.Turns, Generations: st.Generations, Prompt: st.PromptTokens, Generated: st.GeneratedTokens}, t
}

// gameColumn is one column of the games table: a mode and a negotiation setting.
type gameColumn struct {
	Mode   agents.Mode
	Rounds int
}

func (c gameColumn) label() string {
	if c.Rounds == 0 {
		return string(c.Mode)
	}
	return fmt.Sprintf("%s + talk (%d)", c.Mode, c.Rounds)
}

func (c *GamesConfig) columns() []gameColumn {
	var out []gameColumn
	for _, r := range []int{0, c.Rounds} {
		for _, m := range c.Modes {
			out = append(out, gameColumn{m, r})
		}
		if c.Rounds == 0 {
			break
		}
	}
	return out
}

// gameID is a run's id.
func gameID(g string, col gameColumn, run int) string {
	return fmt.Sprintf("%s/%s/r%d/%03d", g, col.Mode, col.Rounds, run)
}

// RunGames plays the suite: for every game, column (mode, negotiation rounds: sequential
// games only without) and run, two agents of the column's mode sharing gen play the game;
// the solver judges it. Then it writes the summary ([Report]).
func RunGames(ctx context.Context, gen inference.Generator, c *GamesConfig, o Options) (*Outcome, error) {
	if c == nil || len(c.games) != len(c.Games) || len(c.games) == 0 {
		return nil, fmt.Errorf("%w: build the games configuration with NewGamesConfig", ErrInput)
	}
	var jobs []job
	for gi, g := range c.games {
		for _, col := range c.columns() {
			if col.Rounds > 0 && g.Kind() != game.KindNormal {
				continue
			}
			for run := 1; run <= c.Runs; run++ {
				g, col, run := g, col, run
				jobs = append(jobs, job{id: gameID(c.Games[gi].Name, col, run), run: func(ctx context.Context, h Header) (any, error) {
					return playGame(ctx, gen, c, g, col, run, h)
				}})
			}
		}
	}
	return execute(ctx, KindGames, c, jobs, o)
}

func playGame(ctx context.Context, gen inference.Generator, c *GamesConfig, g *game.Game, col gameColumn, run int, h Header) (*GameRecord, error) {
	samp := func(i uint32) inference.Sampling {
		s := inference.DefaultSampling(h.Seed + i<<16)
		s.Temperature = float32(c.Temperature)
		return s
	}
	res, err := agents.Play(ctx, g, [2]agents.Agent{{Gen: gen, Mode: col.Mode, Sampling: samp(0)}, {Gen: gen, Mode: col.Mode, Sampling: samp(1)}},
		&agents.Options{Rounds: col.Rounds, Seed: uint64(h.Seed), MessageChars: c.MessageChars, ReasonChars: c.ReasonChars})
	if err != nil {
		return nil, err
	}
	r := &GameRecord{Header: h, Game: g.Name, Kind: g.Kind().String(), Mode: col.Mode, Rounds: col.Rounds, Run: run,
		Forfeit: res.Forfeit, Claims: res.Claims}
	r.Transcript, r.Tokens, r.Timings = splitTimes(res.Transcript, res.Stats)
	switch {
	case res.Normal != nil:
		v := res.Normal
		r.Actions = v.Actions[:]
		r.Payoffs = ratStrings(v.Payoffs)
		r.Equilibrium, r.ParetoEquilibrium, r.Reached = v.Equilibrium, v.ParetoEquilibrium, v.ParetoEquilibrium
	case res.Tree != nil:
		v := res.Tree
		for _, s := range v.Path {
			r.Path = append(r.Path, s.Action)
		}
		r.Payoffs = ratStrings(v.Payoffs)
		r.Equilibrium, r.ParetoEquilibrium, r.Reached = v.SPE, v.SPE, v.SPE
	}
	return r, nil
}

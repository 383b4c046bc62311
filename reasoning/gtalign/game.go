package gtalign

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"

	"github.com/nashd/nashd/internal/stricttoml"
)

// ErrInvalidGame is wrapped by every validation error of a [Game].
var ErrInvalidGame = errors.New("gtalign: invalid game")

// Response forms a [Strategy] can require of the `<response>` block.
const (
	// FormAnswer: the answer itself, any length up to the response limit.
	FormAnswer = "answer"
	// FormQuestion: exactly one question and nothing else; the block's only '?' ends it.
	FormQuestion = "question"
	// FormAnswerQuestion: a brief answer, then exactly one follow-up question; the block's
	// only '?' ends it.
	FormAnswerQuestion = "answer_question"
)

// UserType is one kind of user request the model classifies the conversation as (GTAlign's
// DQ, a definite question, and VQ, a vague one).
type UserType struct {
	ID          string `toml:"id" json:"id"`
	Name        string `toml:"name" json:"name"`
	Description string `toml:"description" json:"description"`
}

// Strategy is one way the assistant can answer (GTAlign's DA, CQ and AQ). Form fixes what the
// `<response>` block must contain when the strategy is applied.
type Strategy struct {
	ID          string `toml:"id" json:"id"`
	Name        string `toml:"name" json:"name"`
	Description string `toml:"description" json:"description"`
	// Form is FormAnswer, FormQuestion or FormAnswerQuestion.
	Form string `toml:"form" json:"form"`
}

// Range is the closed interval of payoffs the model may write. Integer bounds keep the number
// grammar exact: every number with at most one decimal in [Min, Max] is accepted, nothing
// else.
type Range struct {
	Min int `toml:"min" json:"min"`
	Max int `toml:"max" json:"max"`
}

// Limits bound the blocks the model writes, in characters (Unicode code points). The
// grammars enforce them, so a pass ends within a known number of tokens. A zero field takes
// its value from [DefaultLimits].
type Limits struct {
	// ThinkingChars bounds the `<thinking>` text.
	ThinkingChars int `toml:"thinking_chars" json:"thinking_chars"`
	// ResponseChars bounds the `<response>` text of the "answer" and "answer_question" forms.
	ResponseChars int `toml:"response_chars" json:"response_chars"`
	// QuestionChars bounds the `<response>` text of the "question" form.
	QuestionChars int `toml:"question_chars" json:"question_chars"`
}

// DefaultLimits are the block bounds when a game sets none: room for GTAlign's 2–5 sentences
// of thinking and a few paragraphs of answer.
var DefaultLimits = Limits{ThinkingChars: 800, ResponseChars: 2000, QuestionChars: 300}

// maxChars bounds every limit: llama.cpp's grammar repetition count stops at 2000.
const maxChars = 2000

// maxPayoffBound bounds |Min| and |Max|: payoffs are small scores, and larger bounds can only
// be typos.
const maxPayoffBound = 1_000_000

// maxKeys bounds the number of matrix cells (user types × strategies): the payoff block, its
// grammar and the prompt grow with it.
const maxKeys = 64

// idPattern is what a user-type or strategy id looks like. No '_': it joins the two in a
// matrix key, which must split back unambiguously.
var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,15}$`)

// maxDescription bounds a name or description (bytes): they are pasted into every prompt.
const maxDescription = 1000

// Game is the game the assistant plays with its user: who the user may be, what the
// assistant may do, the payoff range and the block bounds. The matrix has one cell per
// (user type, strategy) pair, keyed "TYPE_STRATEGY", in the order user types × strategies.
type Game struct {
	UserTypes  []UserType `toml:"user_types" json:"user_types"`
	Strategies []Strategy `toml:"strategies" json:"strategies"`
	Payoff     Range      `toml:"payoff" json:"payoff"`
	Limits     Limits     `toml:"limits" json:"limits"`
}

// Default returns GTAlign's game: user types DQ (definite) and VQ (vague) × strategies DA
// (direct answer), CQ (clarifying question) and AQ (answer plus a follow-up question),
// payoffs in [-5, 5]. configs/gtalign.toml holds the same game.
func Default() *Game {
	return &Game{
		UserTypes: []UserType{
			{ID: "DQ", Name: "definite question",
				Description: "The request is clear and specific: it can be answered well as it stands."},
			{ID: "VQ", Name: "vague question",
				Description: "The request is ambiguous or underspecified: several readings or missing details would change the answer."},
		},
		Strategies: []Strategy{
			{ID: "DA", Name: "direct answer", Form: FormAnswer,
				Description: "Answer at once, without asking anything. Cheapest in turns; risks a wrong or generic answer when the request is vague."},
			{ID: "CQ", Name: "clarifying question", Form: FormQuestion,
				Description: "Ask one clarifying question and nothing else. Costs the user a turn; removes the ambiguity before any answer is given."},
			{ID: "AQ", Name: "answer plus follow-up question", Form: FormAnswerQuestion,
				Description: "Give a brief answer for the most likely reading, then ask one follow-up question to refine it. Useful at once, more tokens."},
		},
		Payoff: Range{Min: -5, Max: 5},
		Limits: DefaultLimits,
	}
}

// Key returns the matrix key of a user type and a strategy: "DQ_DA".
func Key(userType, strategy string) string { return userType + "_" + strategy }

// SplitKey splits a matrix key into its user type and strategy.
func SplitKey(key string) (userType, strategy string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '_' {
			return key[:i], key[i+1:], i > 0 && i+1 < len(key)
		}
	}
	return "", "", false
}

// Keys returns the matrix keys in the game's order: for each user type, each strategy.
func (g *Game) Keys() []string {
	keys := make([]string, 0, len(g.UserTypes)*len(g.Strategies))
	for _, u := range g.UserTypes {
		for _, s := range g.Strategies {
			keys = append(keys, Key(u.ID, s.ID))
		}
	}
	return keys
}

// StrategyIDs returns the strategies' ids in order (for [pricing.Plan.Covers]).
func (g *Game) StrategyIDs() []string {
	ids := make([]string, len(g.Strategies))
	for i, s := range g.Strategies {
		ids[i] = s.ID
	}
	return ids
}

// Strategy returns the strategy with the given id.
func (g *Game) Strategy(id string) (Strategy, bool) {
	for _, s := range g.Strategies {
		if s.ID == id {
			return s, true
		}
	}
	return Strategy{}, false
}

// limits returns g.Limits with zero fields filled from DefaultLimits.
func (g *Game) limits() Limits {
	l := g.Limits
	if l.ThinkingChars == 0 {
		l.ThinkingChars = DefaultLimits.ThinkingChars
	}
	if l.ResponseChars == 0 {
		l.ResponseChars = DefaultLimits.ResponseChars
	}
	if l.QuestionChars == 0 {
		l.QuestionChars = DefaultLimits.QuestionChars
	}
	return l
}

// Validate reports the first invalid field, naming it ("strategies[1].id: ..."); errors wrap
// [ErrInvalidGame].
func (g *Game) Validate() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidGame, field, fmt.Sprintf(format, a...))
	}
	if len(g.UserTypes) == 0 {
		return bad("user_types", "no user types")
	}
	if len(g.Strategies) == 0 {
		return bad("strategies", "no strategies")
	}
	if n := len(g.UserTypes) * len(g.Strategies); n > maxKeys {
		return bad("strategies", "%d user types × %d strategies = %d cells, at most %d", len(g.UserTypes), len(g.Strategies), n, maxKeys)
	}
	text := func(field, s string) error {
		switch {
		case s == "":
			return bad(field, "empty")
		case len(s) > maxDescription:
			return bad(field, "%d bytes, at most %d", len(s), maxDescription)
		case !validText(s):
			return bad(field, "contains a control character or '<'")
		}
		return nil
	}
	var seen map[string]string // per list: a user type and a strategy may share an id
	id := func(field, v string) error {
		if !idPattern.MatchString(v) {
			return bad(field, "%q is not an id (a letter, then letters or digits; at most 16)", v)
		}
		if prev, ok := seen[v]; ok {
			return bad(field, "duplicate id %q (also %s)", v, prev)
		}
		seen[v] = field
		return nil
	}
	seen = map[string]string{}
	for i, u := range g.UserTypes {
		f := fmt.Sprintf("user_types[%d]", i)
		if err := id(f+".id", u.ID); err != nil {
			return err
		}
		if err := text(f+".name", u.Name); err != nil {
			return err
		}
		if err := text(f+".description", u.Description); err != nil {
			return err
		}
	}
	seen = map[string]string{}
	for i, s := range g.Strategies {
		f := fmt.Sprintf("strategies[%d]", i)
		if err := id(f+".id", s.ID); err != nil {
			return err
		}
		if err := text(f+".name", s.Name); err != nil {
			return err
		}
		if err := text(f+".description", s.Description); err != nil {
			return err
		}
		switch s.Form {
		case FormAnswer, FormQuestion, FormAnswerQuestion:
		default:
			return bad(f+".form", "%q is not %q, %q or %q", s.Form, FormAnswer, FormQuestion, FormAnswerQuestion)
		}
	}
	p := g.Payoff
	switch {
	case p.Min >= p.Max:
		return bad("payoff", "min %d is not below max %d", p.Min, p.Max)
	case p.Min < -maxPayoffBound:
		return bad("payoff.min", "%d below -%d", p.Min, maxPayoffBound)
	case p.Max > maxPayoffBound:
		return bad("payoff.max", "%d above %d", p.Max, maxPayoffBound)
	}
	for _, l := range []struct {
		field string
		v     int
	}{{"limits.thinking_chars", g.Limits.ThinkingChars}, {"limits.response_chars", g.Limits.ResponseChars},
		{"limits.question_chars", g.Limits.QuestionChars}} {
		if l.v < 0 || l.v > maxChars {
			return bad(l.field, "%d outside [1, %d] (0 = default)", l.v, maxChars)
		}
	}
	return nil
}

// validText reports whether s is fit for a prompt: no control characters but newlines and
// tabs, and no '<' (it could open or close a block).
func validText(s string) bool {
	for _, r := range s {
		if r == '<' || r == 0x7f || (r < 0x20 && r != '\n' && r != '\t') {
			return false
		}
	}
	return true
}

// LoadGame reads and validates a game file (configs/gtalign.toml).
func LoadGame(path string) (*Game, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gtalign: %w", err)
	}
	return DecodeGame(path, b)
}

// DecodeGame decodes a game from TOML strictly: a key the game does not define is an error
// naming file:line, as are syntax and type errors. An omitted [payoff] table takes [-5, 5],
// omitted limits take [DefaultLimits]. The game is validated.
func DecodeGame(file string, data []byte) (*Game, error) {
	var g Game
	md, err := stricttoml.Decode(file, data, &g)
	if err != nil {
		return nil, fmt.Errorf("gtalign: %w", err)
	}
	def := Default()
	if !md.IsDefined("payoff", "min") {
		g.Payoff.Min = def.Payoff.Min
	}
	if !md.IsDefined("payoff", "max") {
		g.Payoff.Max = def.Payoff.Max
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	g.Limits = g.limits()
	return &g, nil
}

// roundPayoff rounds x to payoffDigits decimals (see payoffScale).
func roundPayoff(x float64) float64 { return math.Round(x*payoffScale) / payoffScale }

// payoffScale: transformed payoffs are rounded to 1e-9 before they are compared, so float
// noise from the pricing arithmetic (4 − 0.325 = 3.6750000000000003) cannot break a tie
// that exact decimals would make. Payoffs and prices carry far fewer digits.
const payoffScale = 1e9

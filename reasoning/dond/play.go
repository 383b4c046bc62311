package dond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/gbnf"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/internal/turn"
)

// Kind is how an agent negotiates.
type Kind string

// The kinds of agent.
const (
	// Raw negotiates unaided: the rules, its own values, the dialogue.
	Raw Kind = "raw"
	// Workflow is the paper's workflow agent (Hua et al. 2024, §5): it keeps a [Belief]
	// over the opponent's values, updated after every rejection, and chooses among the
	// solver's [Candidates] (envy-free for itself, ranked by the chance of acceptance); it
	// may accept only a proposal that is envy-free for itself.
	Workflow Kind = "workflow"
)

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case Raw, Workflow:
		return Kind(s), nil
	}
	return "", fmt.Errorf("%w: unknown agent kind %q (want raw or workflow)", ErrOptions, s)
}

// Agent is one negotiator: its model, its kind and its sampler (request k of the agent,
// from 0, uses seed Sampling.Seed + k).
type Agent struct {
	Gen      inference.Generator
	Kind     Kind // "" = Raw
	Sampling inference.Sampling
}

// Limits of the options.
const (
	DefaultRounds       = 10
	MaxRounds           = 20
	DefaultMessageChars = 200
	MaxMessageChars     = 2000
	DefaultCandidates   = 3
	MaxCandidates       = 10
)

// ErrOptions reports options out of range.
var ErrOptions = errors.New("dond: invalid options")

// Options configure [Play]; nil means the defaults.
type Options struct {
	// Rounds is the round limit, each round one turn of each agent, Alice first
	// (0 = [DefaultRounds], at most [MaxRounds]). Without a deal by then both score 0.
	Rounds int
	// MessageChars bounds a turn's message (0 = [DefaultMessageChars]).
	MessageChars int
	// Candidates is the number of proposals a workflow agent is offered
	// (0 = [DefaultCandidates], at most [MaxCandidates]).
	Candidates int
	// Retries is the number of further attempts after an answer that does not parse
	// (0 = agents.DefaultRetries; negative: none); then the agent forfeits and there is no
	// deal.
	Retries int
	// Unconstrained sends no grammars (see agents.Options.Unconstrained).
	Unconstrained bool
	// OnEvent receives each event as it happens; its error ends the game.
	OnEvent func(agents.Event) error
}

// BeliefStep records one belief update of a workflow agent.
type BeliefStep struct {
	Turn   int     `json:"turn"`
	Player string  `json:"player"`
	Envy   int     `json:"envy"`
	Greed  int     `json:"greed"`
	PEnvy  float64 `json:"p_envy"`
	Reset  bool    `json:"reset"`
	Size   int     `json:"size"` // valuations left
}

// Result is a finished negotiation; its JSON is described at [Result.MarshalJSON].
type Result struct {
	Setup *Setup
	Kinds [2]Kind
	// MaxRounds is the round limit; Rounds the rounds begun, Turns the turns taken.
	MaxRounds, Rounds, Turns int

	// Verdict is the solver's judgement; Beliefs the workflow agents' updates, in order.
	Verdict *Verdict
	Beliefs []BeliefStep
	// Forfeit records an agent that gave no valid answer (the game then ends with no deal).
	Forfeit    *agents.Forfeit
	Transcript []agents.Event
	Stats      agents.Stats
}

type settings struct {
	rounds, messageChars, candidates, retries int
	grammar                                   bool
}

func (o *Options) settings() (settings, error) {
	if o == nil {
		o = &Options{}
	}
	s := settings{o.Rounds, o.MessageChars, o.Candidates, o.Retries, !o.Unconstrained}
	def := func(v *int, d, hi int, what string) error {
		switch {
		case *v == 0:
			*v = d
		case *v < 0 || *v > hi:
			return fmt.Errorf("%w: %s %d (want 1 to %d)", ErrOptions, what, *v, hi)
		}
		return nil
	}
	if err := def(&s.rounds, DefaultRounds, MaxRounds, "rounds"); err != nil {
		return s, err
	}
	if err := def(&s.messageChars, DefaultMessageChars, MaxMessageChars, "message length"); err != nil {
		return s, err
	}
	if err := def(&s.candidates, DefaultCandidates, MaxCandidates, "candidates"); err != nil {
		return s, err
	}
	switch {
	case s.retries == 0:
		s.retries = agents.DefaultRetries
	case s.retries < 0:
		s.retries = 0
	case s.retries > agents.MaxRetries:
		return s, fmt.Errorf("%w: %d retries (at most %d)", ErrOptions, s.retries, agents.MaxRetries)
	}
	return s, nil
}

// game is a negotiation in progress.
type negotiation struct {
	s      *Setup
	o      settings
	agents [2]Agent
	conv   [2]*turn.Conv
	belief [2]*Belief
	rec    agents.Recorder
	stats  turn.Stats
	res    *Result
}

// Play has two agents negotiate the setup: agents[0] is Alice (the data's <input> values),
// agents[1] Bob. Turns alternate, Alice first; each turn is a message and either a proposal
// `<deal>book=x hat=y ball=z</deal>` stating the speaker's own share, or AcceptTag, which
// accepts the opponent's latest proposal. Proposing exactly what the opponent's latest
// proposal leaves the speaker accepts it too. Every answer is grammar-constrained (legal
// shares only; acceptance only when there is a proposal to accept; a workflow agent only its
// candidates, and acceptance only of a proposal envy-free for itself). Without agreement
// within the round limit, or when an agent forfeits, there is no deal and both score 0.
// The solver judges the end ([Judge]). Errors: invalid setup or options, generator errors,
// ctx's cancellation, an error from Options.OnEvent.
func Play(ctx context.Context, s *Setup, ag [2]Agent, o *Options) (*Result, error) {
	start := time.Now()
	set, err := o.settings()
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("%w: no setup", ErrData)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n := &negotiation{s: s, o: set, agents: ag, res: &Result{Setup: s, MaxRounds: set.rounds}}
	if o != nil {
		n.rec.On = o.OnEvent
	}
	for i := range 2 {
		if ag[i].Gen == nil {
			return nil, fmt.Errorf("%w: %s has no generator", ErrOptions, Players[i])
		}
		if ag[i].Kind == "" {
			ag[i].Kind = Raw
		}
		if _, err := ParseKind(string(ag[i].Kind)); err != nil {
			return nil, err
		}
		n.agents[i] = ag[i]
		n.res.Kinds[i] = ag[i].Kind
		n.conv[i] = &turn.Conv{Gen: ag[i].Gen, Sampling: ag[i].Sampling, Stats: &n.stats,
			Msgs: []inference.Message{{Role: "system", Content: systemPrompt(s, i, set.rounds)}}}
		if ag[i].Kind == Workflow {
			n.belief[i] = NewBelief(s.Counts)
		}
	}
	agreed, err := n.run(ctx)
	if err != nil {
		return nil, err
	}
	n.res.Verdict = Judge(s, agreed)
	if err := n.emit(agents.Event{Phase: agents.PhaseVerdict, Text: n.res.Verdict.summary(s)}); err != nil {
		return nil, err
	}
	n.res.Stats = stats(&n.stats, n.res.Turns, start)
	return n.res, nil
}

func (n *negotiation) emit(e agents.Event) error {
	if err := n.rec.Emit(e); err != nil {
		return err
	}
	n.res.Transcript = n.rec.Events
	return nil
}

func withReply(e agents.Event, r turn.Reply) agents.Event {
	e.PromptTokens, e.CacheN, e.Tokens, e.MS = r.Result.PromptTokens, r.Result.Timings.CacheN, len(r.Result.Tokens), r.MS
	return e
}

func stats(t *turn.Stats, turns int, start time.Time) agents.Stats {
	total := float64(time.Since(start)) / float64(time.Millisecond)
	s := agents.Stats{Turns: turns, Generations: t.Generations, PromptTokens: t.PromptTokens, CacheN: t.CacheN,
		GeneratedTokens: t.GeneratedTokens, ModelMS: t.ModelMS, TotalMS: total, Trimmed: t.Trimmed}
	if total > 0 {
		s.OutsideShare = max(0, 1-t.ModelMS/total)
	}
	return s
}

// run plays the turns and returns Alice's share in the deal (nil: no deal).
func (n *negotiation) run(ctx context.Context) (Split, error) {
	s := n.s
	// Each player's latest proposal (its own share), nil before its first turn: every turn
	// that does not end the game is a proposal, so a player's latest proposal was rejected
	// by the opponent's counter-proposal when both are set.
	var standing [2]Split
	var said [2]string // each player's last message
	for t := 0; t < 2*n.o.rounds; t++ {
		i, round := t%2, t/2+1
		n.res.Turns, n.res.Rounds = t+1, round
		me, opp := Players[i], Players[1-i]
		var user strings.Builder
		if t < 2 {
			if i == 0 {
				user.WriteString("You speak first. ")
			}
		}
		fmt.Fprintf(&user, "Round %d of %d.", round, n.o.rounds)
		if round == n.o.rounds {
			user.WriteString(" This is the last round: without a deal now, both of you score 0.")
		}
		user.WriteString("\n")
		if t > 0 {
			fmt.Fprintf(&user, "%s says: %q\n", opp, said[1-i])
			ask, left := standing[1-i], standing[1-i].Rest(s.Counts)
			fmt.Fprintf(&user, "%s proposes to get %s, which leaves you %s, worth %d to you.\n", opp, shareText(s.Items, ask), shareText(s.Items, left), left.Value(s.Values[i]))
		}
		// The conversation keeps this turn's news, not the analysis and the form.
		keep := user.String() + "Your turn."
		canAccept := standing[1-i] != nil
		var cands []Candidate
		if n.agents[i].Kind == Workflow {
			b := n.belief[i]
			if standing[i] != nil {
				u := b.Reject(standing[i], standing[1-i])
				step := BeliefStep{Turn: t + 1, Player: me, Envy: len(u.Envy), Greed: len(u.Greed), PEnvy: u.PEnvy, Reset: u.Reset, Size: u.After}
				n.res.Beliefs = append(n.res.Beliefs, step)
				if err := n.emit(agents.Event{Turn: t + 1, Round: round, Agent: me, Phase: agents.PhaseBelief, Text: step.text(opp, b.Size())}); err != nil {
					return nil, err
				}
			}
			cands = Candidates(s, i, b, standing[1-i], n.o.candidates)
			if canAccept {
				left := standing[1-i].Rest(s.Counts)
				canAccept = left.Value(s.Values[i]) >= standing[1-i].Value(s.Values[i])
			}
			user.WriteString("\n" + workflowFacts(s, i, b, cands, standing[1-i], canAccept) + "\n")
		}
		f := turnForm{items: s.Items, counts: s.Counts, chars: n.o.messageChars, accept: canAccept}
		if cands != nil {
			for _, c := range cands {
				f.only = append(f.only, c.Share)
			}
		}
		fmt.Fprintf(&user, "\nYour turn: write one message to %s, then ", opp)
		switch {
		case cands != nil && canAccept:
			user.WriteString("propose one of the splits above or accept.")
		case cands != nil:
			user.WriteString("propose one of the splits above.")
		case canAccept:
			fmt.Fprintf(&user, "propose a split (the items you get) or accept %s's proposal.", opp)
		default:
			user.WriteString("propose a split (the items you get).")
		}
		user.WriteString("\n\nAnswer exactly in this form, with nothing before or after it:\n" + f.show())
		grammar := f.grammar(fmt.Sprintf("%s's %s turn %d", me, n.agents[i].Kind, t+1))
		if _, err := gbnf.Parse(grammar, gbnf.Limits{}); err != nil {
			return nil, fmt.Errorf("dond: generated grammar: %w", err)
		}
		if !n.o.grammar {
			grammar = ""
		}
		var a answer
		r, err := n.conv[i].Ask(ctx, turn.Question{User: user.String(), Keep: keep, Grammar: grammar, MaxTokens: f.maxTokens(n.o.grammar), Retries: n.o.retries,
			Check: func(text string) error {
				var err error
				a, err = f.parse(text)
				return err
			},
			OnRetry: func(r turn.Reply, err error) error {
				return n.emit(withReply(agents.Event{Turn: t + 1, Round: round, Agent: me, Phase: agents.PhaseRetry, Text: r.Text, Error: err.Error()}, r))
			}})
		if agents.IsForfeit(err) {
			n.res.Forfeit = &agents.Forfeit{Player: me, Turn: t + 1, Reason: err.Error()}
			return nil, n.emit(withReply(agents.Event{Turn: t + 1, Round: round, Agent: me, Phase: agents.PhaseForfeit, Text: r.Text, Error: err.Error()}, r))
		}
		if err != nil {
			return nil, fmt.Errorf("dond: %s, turn %d: %w", me, t+1, err)
		}
		said[i] = a.message
		action := AcceptTag
		if !a.accept {
			action = FormatDeal(s.Items, a.share)
		}
		if err := n.emit(withReply(agents.Event{Turn: t + 1, Round: round, Agent: me, Phase: agents.PhaseProposal, Text: r.Text, Action: action}, r)); err != nil {
			return nil, err
		}
		if a.accept || (standing[1-i] != nil && slices.Equal(a.share, standing[1-i].Rest(s.Counts))) {
			share := standing[1-i].Rest(s.Counts) // the speaker's share in the accepted proposal
			if i == 0 {
				return share, nil
			}
			return standing[1-i], nil
		}
		standing[i] = a.share
	}
	return nil, nil
}

func (b BeliefStep) text(opp string, all int) string {
	if b.Reset {
		return fmt.Sprintf("%s's counter-offer fits no remaining valuation: back to all %d", opp, all)
	}
	return fmt.Sprintf("%s's counter-offer: envy explains %d valuations, greed %d; P(envy) = %.2f; %d of %d remain", opp, b.Envy, b.Greed, b.PEnvy, b.Size, all)
}

func (v *Verdict) summary(s *Setup) string {
	if !v.Agreement {
		return "no deal: both score 0"
	}
	return fmt.Sprintf("deal: Alice gets %s (%d), Bob %s (%d); total %d; Pareto-optimal %v, envy-free %v",
		shareText(s.Items, v.Shares[0]), v.Scores[0], shareText(s.Items, v.Shares[1]), v.Scores[1], v.Total, v.ParetoOptimal, v.EnvyFree)
}

package gtalign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/pricing"
)

// Policy says what happens when the model's choice in `<analyze>` differs from the solver's.
type Policy string

// Mismatch policies.
const (
	// PolicyOverride (the default): the response follows the solver's choice, and the prompt
	// continues from "</payoff>" with the solver's analysis, so the model's wrong analysis is
	// not in the context the response is written from.
	PolicyOverride Policy = "override"
	// PolicyAnnotate keeps the model's analysis and choice; the result flags the mismatch.
	PolicyAnnotate Policy = "annotate"
	// PolicyReject stops before the response: [Reasoner.Reason] returns a *[RejectedError]
	// carrying the result so far (matrix, both choices).
	PolicyReject Policy = "reject"
)

// ParsePolicy accepts "override", "annotate" and "reject"; "" means [PolicyOverride].
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case "":
		return PolicyOverride, nil
	case PolicyOverride, PolicyAnnotate, PolicyReject:
		return p, nil
	}
	return "", fmt.Errorf("%w: unknown policy %q (want override, annotate or reject)", ErrOptions, s)
}

// AnalyzeBy says who writes the `<analyze>` block.
type AnalyzeBy string

// Writers of the `<analyze>` block.
const (
	// AnalyzeByModel (the default): the model writes it under the analyze grammar, and the
	// solver verifies it.
	AnalyzeByModel AnalyzeBy = "model"
	// AnalyzeBySolver: nashd writes the solver's analysis itself (one pass and a few dozen
	// generated tokens fewer).
	AnalyzeBySolver AnalyzeBy = "solver"
)

// ParseAnalyzeBy accepts "model" and "solver"; "" means [AnalyzeByModel].
func ParseAnalyzeBy(s string) (AnalyzeBy, error) {
	switch a := AnalyzeBy(s); a {
	case "":
		return AnalyzeByModel, nil
	case AnalyzeByModel, AnalyzeBySolver:
		return a, nil
	}
	return "", fmt.Errorf("%w: unknown analyze_by %q (want model or solver)", ErrOptions, s)
}

// Stream delta kinds passed to [Options.OnDelta].
const (
	// KindReasoning: transcript text before the response, tags included: the `<thinking>`
	// and `<payoff>` blocks as generated, then the `<analyze>` block that stands in the
	// context (emitted once verified).
	KindReasoning = "reasoning"
	// KindContent: the `<response>` block's text, without its tags.
	KindContent = "content"
)

// Bounds of [Options.Retries].
const (
	// DefaultRetries is the number of further pass-1 attempts a generator that cannot
	// enforce the grammar gets when its output does not parse.
	DefaultRetries = 2
	// MaxRetries bounds Options.Retries.
	MaxRetries = 10
)

// Errors of [Reasoner.Reason].
var (
	// ErrOptions is wrapped by errors about [Options] values.
	ErrOptions = errors.New("gtalign: invalid options")
	// ErrRejected is wrapped by *[RejectedError].
	ErrRejected = errors.New("gtalign: analysis rejected")
)

// RejectedError is returned under [PolicyReject] when the model's choice is not the solver's.
// Result holds everything up to the rejection: matrix, transformed matrix, frontier, both
// choices, passes.
type RejectedError struct {
	Result *Result
}

func (e *RejectedError) Error() string {
	mc := e.Result.ModelChoice
	if mc == "" {
		mc = "nothing readable"
	}
	return fmt.Sprintf("gtalign: analysis rejected: the model chose %s, the solver %s", mc, e.Result.SolverChoice)
}

// Unwrap returns [ErrRejected].
func (e *RejectedError) Unwrap() error { return ErrRejected }

// Options configure one [Reasoner.Reason] call. The zero value (or nil) means: rule welfare,
// policy override, the model writes `<analyze>`, greedy sampling, no pricing transform, the
// game's block limits.
type Options struct {
	Rule      Rule
	Policy    Policy
	AnalyzeBy AnalyzeBy
	// Sampling applies to every pass.
	Sampling inference.Sampling
	// Pricing transforms the payoffs before the solver chooses (nil: untransformed). Build it
	// with [pricing.NewPlan]; its Version is reported in the result.
	Pricing *pricing.Plan
	// Limits, when set, replaces the game's block bounds for this call (zero fields keep the
	// game's); the call then generates its own grammars.
	Limits *Limits
	// MaxResponseTokens caps the response pass (0: only the grammar's bound). A response cut
	// short is reported with Result.Truncated.
	MaxResponseTokens int
	// Retries is the number of further pass-1 attempts when the generator cannot enforce the
	// grammar ([inference.ModelInfo.NoGrammar]) and its output does not parse even read
	// tolerantly (0: [DefaultRetries]; negative: none; at most [MaxRetries]). A generator
	// that enforces the grammar is never retried: its output always parses.
	Retries int
	// OnDelta, when set, receives the transcript as it is written: kind [KindReasoning] or
	// [KindContent], and the new text. An error stops the call and is returned.
	OnDelta func(kind, text string) error
}

// Pass is one generation of the pipeline.
type Pass struct {
	// Name is "payoff" (thinking and payoff), "analyze" or "response".
	Name string `json:"name"`
	// PromptTokens is the prompt's length; CacheN of them were reused from the KV cache.
	// A pass after the first extends the previous pass's prompt and output, so CacheN covers
	// all of it and only the injected text is evaluated; after an override, it covers
	// everything up to the model's analysis (and what that shares with the solver's).
	PromptTokens int `json:"prompt_tokens"`
	CacheN       int `json:"cache_n"`
	// GeneratedTokens counts the tokens the pass generated.
	GeneratedTokens int     `json:"generated_tokens"`
	PromptMS        float64 `json:"prompt_ms"`
	GenerateMS      float64 `json:"generate_ms"`
	// MS is the pass's wall time as the pipeline saw it (queueing included).
	MS         float64 `json:"ms"`
	StopReason string  `json:"stop_reason"`
	// Error is why a "payoff" pass's output did not parse (the pass was retried, or was the
	// last attempt); empty for a pass whose output stands.
	Error string `json:"error,omitempty"`
}

// Usage totals a call's tokens.
type Usage struct {
	// PromptTokens is the rendered conversation (pass 1's prompt).
	PromptTokens int `json:"prompt_tokens"`
	// CompletionTokens counts every generated token over all passes.
	CompletionTokens int `json:"completion_tokens"`
	// TotalTokens = PromptTokens + CompletionTokens (OpenAI's sense).
	TotalTokens int `json:"total_tokens"`
	// ContextTokens is the final context's length: the conversation, the generated text that
	// stands and the text nashd injected between passes.
	ContextTokens int `json:"context_tokens"`
	// CacheN sums the passes' reused tokens.
	CacheN int `json:"cache_n"`
}

// ResponseCheck verifies the response against the applied strategy's form.
type ResponseCheck struct {
	Form string `json:"form"`
	// Questions counts '?' in the response.
	Questions int  `json:"questions"`
	OK        bool `json:"ok"`
	// Problem says what is wrong when OK is false.
	Problem string `json:"problem,omitempty"`
}

// Result is the outcome of one GTAlign call: what the model wrote, what the solver decided
// and what was applied.
type Result struct {
	// Matrix is the payoff block as the model wrote it; Transformed is after pricing.
	Matrix      Matrix `json:"matrix"`
	Transformed Matrix `json:"transformed"`
	// Frontier is the solver's Pareto frontier of Transformed.
	Frontier []string `json:"frontier"`
	// ModelChoice and ModelFrontier are the model's analysis ("" and nil with analyze_by
	// "solver", or when its block did not parse: see ModelAnalyzeError).
	ModelChoice       string   `json:"model_choice"`
	ModelFrontier     []string `json:"model_frontier,omitempty"`
	ModelAnalyzeError string   `json:"model_analyze_error,omitempty"`
	SolverChoice      string   `json:"solver_choice"`
	// Tied lists keys equal to SolverChoice under the rule and its tie-breaks (game order
	// decided); empty when the choice was unique.
	Tied []string `json:"tied,omitempty"`
	// Disagreement is the nash_product rule's disagreement point.
	Disagreement *float64 `json:"disagreement,omitempty"`
	// Agree reports whether the model's choice is the solver's (true with analyze_by
	// "solver": the solver wrote the analysis). FrontierAgree compares the frontiers as sets
	// (the model sees the untransformed matrix, so pricing alone can make them differ); the
	// policy acts on the choice only.
	Agree         bool `json:"agree"`
	FrontierAgree bool `json:"frontier_agree"`
	// Applied is the key whose strategy the response follows; AppliedStrategy its strategy.
	Applied         string    `json:"applied"`
	AppliedStrategy string    `json:"applied_strategy"`
	Policy          Policy    `json:"policy"`
	Rule            Rule      `json:"rule"`
	AnalyzeBy       AnalyzeBy `json:"analyze_by"`
	// Pricing is the plan applied (version, costs per strategy, …); nil when none was.
	Pricing *pricing.Plan `json:"pricing"`
	// Thinking, Analyze and Response are the blocks' texts without tags. Analyze is the
	// analysis that stands in the context (the solver's after an override); ModelAnalyze is
	// the model's text when it wrote one.
	Thinking     string `json:"thinking"`
	Analyze      string `json:"analyze"`
	ModelAnalyze string `json:"model_analyze,omitempty"`
	Response     string `json:"response"`
	// ResponseTokens is the response pass's generated length; see [Result.ObservedLength].
	ResponseTokens int           `json:"response_tokens"`
	Truncated      bool          `json:"truncated,omitempty"`
	ResponseCheck  ResponseCheck `json:"response_check"`
	// Transcript is the whole assistant text as it stands in the context.
	Transcript string `json:"transcript"`
	// Retries counts the pass-1 attempts whose output did not parse and were retried (each
	// is in Passes, with its Error); Repairs lists what it took to read the pass-1 output
	// that stands (see [RepairPass1]). Both stay empty with a generator that enforces the
	// grammar.
	Retries int      `json:"retries,omitempty"`
	Repairs []string `json:"repairs,omitempty"`
	Usage   Usage    `json:"usage"`
	Passes  []Pass   `json:"passes"`
	// MS is the call's wall time.
	MS float64 `json:"ms"`
}

// ObservedLength returns the applied strategy and the response's length in tokens, for
// [pricing.Lengths.Observe]; ok is false when no complete response was written.
func (r *Result) ObservedLength() (strategy string, tokens int, ok bool) {
	if r.AppliedStrategy == "" || r.Response == "" || r.Truncated {
		return "", 0, false
	}
	return r.AppliedStrategy, r.ResponseTokens, true
}

// Reasoner runs GTAlign's passes for one game. Build it once per game configuration (a
// reloaded gtalign.toml builds a new one); it is safe for concurrent use.
type Reasoner struct {
	game     *Game
	grammars *Grammars
}

// New validates the game and generates its grammars (each through the gbnf safety check).
func New(g *Game) (*Reasoner, error) {
	gr, err := NewGrammars(g)
	if err != nil {
		return nil, err
	}
	cp := *g
	cp.Limits = g.limits()
	return &Reasoner{game: &cp, grammars: gr}, nil
}

// Game returns the reasoner's game (do not modify it).
func (r *Reasoner) Game() *Game { return r.game }

// Grammars returns the reasoner's grammars (do not modify them).
func (r *Reasoner) Grammars() *Grammars { return r.grammars }

// Reason answers the conversation conv with GTAlign's passes on gen:
//
//  1. "payoff": the model writes `<thinking>` and `<payoff>` under the payoff grammar;
//     the matrix is parsed strictly.
//  2. The pricing plan transforms the matrix; the solver computes the Pareto frontier and
//     the rule's choice ([Decide]).
//  3. "analyze" (analyze_by "model"): the model writes `<analyze>` under the analyze
//     grammar and the solver verifies it; the policy settles a mismatch. With "solver",
//     nashd writes the block and there is no such pass.
//  4. "response": the model writes `<response>` under the applied strategy's grammar.
//
// Each pass's prompt is the previous pass's prompt, its output and the injected text, so the
// generator reuses the KV cache and evaluates no earlier token again (Pass.CacheN).
//
// A generator that cannot enforce the grammar ([inference.ModelInfo.NoGrammar]) has its
// passes read tolerantly and pass 1 retried up to [Options.Retries] times (see the package
// documentation).
//
// On an error the returned Result, when not nil, holds what was done before it: a pass-1
// output that does not parse (after the retries) returns a *[ParseError] (wrapping
// [ErrParse]) with the result's Thinking and Transcript of the last attempt; a rejection
// returns a *[RejectedError]; generator errors are wrapped.
func (r *Reasoner) Reason(ctx context.Context, gen inference.Generator, conv []inference.Message, opts *Options) (*Result, error) {
	t0 := time.Now()
	var o Options
	if opts != nil {
		o = *opts
	}
	var err error
	if o.Rule, err = ParseRule(string(o.Rule)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if o.Policy, err = ParsePolicy(string(o.Policy)); err != nil {
		return nil, err
	}
	if o.AnalyzeBy, err = ParseAnalyzeBy(string(o.AnalyzeBy)); err != nil {
		return nil, err
	}
	if o.MaxResponseTokens < 0 {
		return nil, fmt.Errorf("%w: max response tokens %d < 0", ErrOptions, o.MaxResponseTokens)
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	case o.Retries > MaxRetries:
		return nil, fmt.Errorf("%w: %d retries (at most %d)", ErrOptions, o.Retries, MaxRetries)
	}
	if o.Pricing != nil {
		if err := o.Pricing.Covers(r.game.StrategyIDs()); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
	}
	game, grammars := r.game, r.grammars
	if o.Limits != nil {
		g := *r.game
		l := *o.Limits
		for _, f := range []struct{ dst, src *int }{{&l.ThinkingChars, &g.Limits.ThinkingChars},
			{&l.ResponseChars, &g.Limits.ResponseChars}, {&l.QuestionChars, &g.Limits.QuestionChars}} {
			if *f.dst == 0 {
				*f.dst = *f.src
			}
		}
		g.Limits = l
		if grammars, err = NewGrammars(&g); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
		game = &g
	}
	run := &run{game: game, grammars: grammars, gen: gen, conv: conv, o: &o, res: &Result{Rule: o.Rule, Policy: o.Policy, AnalyzeBy: o.AnalyzeBy, Pricing: o.Pricing}}
	err = run.reason(ctx)
	run.res.MS = float64(time.Since(t0)) / float64(time.Millisecond)
	run.res.Transcript = run.transcript.String()
	u := &run.res.Usage
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	if n := len(run.res.Passes); n > 0 {
		last := run.res.Passes[n-1]
		u.ContextTokens = last.PromptTokens + last.GeneratedTokens
	}
	return run.res, err
}

// run is one Reason call in progress.
type run struct {
	game     *Game
	grammars *Grammars
	gen      inference.Generator
	conv     []inference.Message
	o        *Options
	res      *Result
	// The context the next pass continues: as text, and as the tokens the generator holds
	// (the prompt's, then every generated token as sampled, then injected text's).
	prompt string
	toks   []int32
	// spacePrefix is the token the generator's tokenizer puts before a text it tokenizes on
	// its own (SentencePiece's "▁"), -1 when it adds none.
	spacePrefix int32
	transcript  strings.Builder // the assistant's text so far
	// noGrammar: the generator cannot enforce the grammars (inference.ModelInfo.NoGrammar),
	// so every pass ends at its block's closing tag as a stop string and is read tolerantly.
	noGrammar bool
	sampling  inference.Sampling // Options.Sampling, its seed moved on by each retry
}

func (x *run) emit(kind, text string) error {
	if x.o.OnDelta == nil || text == "" {
		return nil
	}
	return x.o.OnDelta(kind, text)
}

// inject appends text nashd writes between passes (it starts with a line break) to the
// context and the transcript. Its tokens are the tokenizer's for the text alone, without the
// space a SentencePiece tokenizer puts before a text's start: the model's own tokens before
// it stay as they are.
func (x *run) inject(text string) error {
	toks, err := x.gen.Tokenize(text, false)
	if err != nil {
		return fmt.Errorf("gtalign: tokenize: %w", err)
	}
	if len(toks) > 0 && toks[0] == x.spacePrefix {
		toks = toks[1:]
	}
	x.prompt += text
	x.toks = append(x.toks, toks...)
	x.transcript.WriteString(text)
	return nil
}

// mark is a point in the context to return to.
type mark struct{ prompt, toks, transcript int }

func (x *run) mark() mark { return mark{len(x.prompt), len(x.toks), x.transcript.Len()} }

// reset drops everything after m from the context and the transcript.
func (x *run) reset(m mark) {
	x.prompt, x.toks = x.prompt[:m.prompt], x.toks[:m.toks]
	t := x.transcript.String()[:m.transcript]
	x.transcript.Reset()
	x.transcript.WriteString(t)
}

// detectSpacePrefix finds the token a SentencePiece tokenizer with add_space_prefix puts
// before a text on its own: "\n" then tokenizes as two tokens, the first that space.
func (x *run) detectSpacePrefix() error {
	x.spacePrefix = -1
	toks, err := x.gen.Tokenize("\n", false)
	if err != nil {
		return fmt.Errorf("gtalign: tokenize: %w", err)
	}
	if len(toks) == 2 {
		x.spacePrefix = toks[0]
	}
	return nil
}

// start begins the context afresh with the chat prompt of msgs.
func (x *run) start(msgs []inference.Message) error {
	prompt, err := x.gen.ChatPrompt(msgs)
	if err != nil {
		return fmt.Errorf("gtalign: chat prompt: %w", err)
	}
	toks, err := x.gen.Tokenize(prompt, false)
	if err != nil {
		return fmt.Errorf("gtalign: tokenize: %w", err)
	}
	x.prompt, x.toks = prompt, toks
	x.transcript.Reset()
	return nil
}

// pass runs one generation continuing the context and appends its output to it. Without a
// grammar the generation stops at closeTag, the block's closing tag.
func (x *run) pass(ctx context.Context, name, grammar, closeTag string, maxTokens int, onText func(string) error) (inference.Result, error) {
	req := inference.Request{Prompt: x.prompt, Tokens: x.toks, MaxTokens: maxTokens, Sampling: x.sampling, Grammar: grammar}
	if x.noGrammar {
		req.Stop = []string{closeTag}
	}
	var cb func(inference.Token) error
	if onText != nil {
		cb = func(t inference.Token) error { return onText(t.Text) }
	}
	t0 := time.Now()
	out, err := x.gen.Generate(ctx, req, cb)
	p := Pass{Name: name, PromptTokens: out.PromptTokens, CacheN: out.Timings.CacheN, GeneratedTokens: generated(out),
		PromptMS: out.Timings.PromptMS, GenerateMS: out.Timings.PredictedMS, MS: float64(time.Since(t0)) / float64(time.Millisecond),
		StopReason: out.StopReason}
	x.res.Passes = append(x.res.Passes, p)
	u := &x.res.Usage
	if len(x.res.Passes) == 1 {
		u.PromptTokens = out.PromptTokens
	} else {
		u.CacheN += p.CacheN
	}
	u.CompletionTokens += p.GeneratedTokens
	if err != nil {
		return out, fmt.Errorf("gtalign: %s pass: %w", name, err)
	}
	x.prompt += out.Text
	x.toks = append(x.toks, out.Tokens...)
	x.transcript.WriteString(out.Text)
	return out, nil
}

func (x *run) reason(ctx context.Context) error {
	g, res := x.game, x.res
	x.noGrammar, x.sampling = x.gen.Info().NoGrammar, x.o.Sampling
	if err := x.payoff(ctx); err != nil {
		return err
	}

	// The solver decides on the transformed matrix.
	res.Transformed = Transform(res.Matrix, x.o.Pricing)
	dec, err := Decide(res.Transformed, x.o.Rule, float64(g.Payoff.Min))
	if err != nil {
		return err
	}
	res.Frontier, res.SolverChoice, res.Tied, res.Disagreement = dec.Frontier, dec.Choice, dec.Tied, dec.Disagreement
	solver := Analysis{Frontier: dec.Frontier, Choice: dec.Choice}.String()

	// The analysis: the model's, verified, or the solver's. Either way the block reaches the
	// stream once it stands.
	analysis, applied := solver, dec.Choice
	res.Agree, res.FrontierAgree = true, true
	afterPayoff := x.mark()
	keep := false
	if x.o.AnalyzeBy == AnalyzeByModel {
		if err := x.inject(analyzeOpen); err != nil {
			return err
		}
		out, err := x.pass(ctx, "analyze", x.grammars.Analyze, strings.TrimPrefix(analyzeClose, "\n"), g.analyzeMaxBytes()+1, nil)
		if err != nil {
			return err
		}
		text, closed := strings.CutSuffix(out.Text, analyzeClose)
		if !closed && x.noGrammar && out.StopReason == inference.StopString {
			// The stop string (or the model's end) closed the block.
			text, closed = strings.TrimSpace(out.Text), true
		}
		res.ModelAnalyze = text
		a, perr := ParseAnalyze(g, text)
		switch {
		case !closed:
			res.ModelAnalyzeError = "the block is not closed by </analyze>"
		case perr != nil:
			res.ModelAnalyzeError = perr.Error()
		default:
			res.ModelChoice, res.ModelFrontier = a.Choice, a.Frontier
		}
		res.Agree = res.ModelAnalyzeError == "" && a.Choice == dec.Choice
		res.FrontierAgree = res.ModelAnalyzeError == "" && sameSet(a.Frontier, dec.Frontier)
		switch {
		case res.Agree || (x.o.Policy == PolicyAnnotate && res.ModelAnalyzeError == ""):
			// The model's block stands, closed by "</analyze>" (written by the model under the
			// grammar, else by nashd).
			keep = true
			analysis, applied = text, a.Choice
			if block := text + analyzeClose; out.Text != block {
				x.reset(afterPayoff)
				if err := x.inject(analyzeOpen + block); err != nil {
					return err
				}
			}
			if err := x.emit(KindReasoning, analyzeOpen+text+analyzeClose); err != nil {
				return err
			}
		case x.o.Policy == PolicyReject:
			return &RejectedError{Result: res}
		default:
			// Override (or annotate with nothing readable to keep): the context continues
			// from "</payoff>" with the solver's analysis.
			x.reset(afterPayoff)
		}
	}
	next := responseOpen
	if !keep {
		next = analyzeOpen + solver + analyzeClose + responseOpen
		if err := x.emit(KindReasoning, analyzeOpen+solver+analyzeClose); err != nil {
			return err
		}
	}
	if err := x.inject(next); err != nil {
		return err
	}
	res.Analyze, res.Applied = analysis, applied
	_, res.AppliedStrategy, _ = SplitKey(applied)
	st, _ := g.Strategy(res.AppliedStrategy)

	// The response, following the applied strategy.
	hold := holdBack{end: responseClose}
	maxTok := g.responseMaxBytes(st.Form) + 1
	if x.o.MaxResponseTokens > 0 {
		maxTok = min(maxTok, x.o.MaxResponseTokens)
	}
	beforeResponse := x.mark()
	out, err := x.pass(ctx, "response", x.grammars.Response[st.ID], strings.TrimPrefix(responseClose, "\n"), maxTok, func(s string) error {
		return x.emit(KindContent, hold.push(s))
	})
	if err != nil {
		return err
	}
	body, closed := strings.CutSuffix(out.Text, responseClose)
	if !closed && x.noGrammar && out.StopReason == inference.StopString {
		// The stop string (or the model's end) closed the block: nashd writes the tag.
		body, closed = strings.TrimRight(out.Text, " \t\r\n"), true
		if held := strings.TrimRight(hold.flush(), " \t\r\n"); held != "" {
			if err := x.emit(KindContent, held); err != nil {
				return err
			}
		}
		x.reset(beforeResponse)
		if err := x.inject(body + responseClose); err != nil {
			return err
		}
	}
	if !closed {
		if err := x.emit(KindContent, hold.flush()); err != nil {
			return err
		}
	}
	res.Response = body
	res.Truncated = !closed
	res.ResponseTokens = generated(out)
	res.ResponseCheck = CheckResponse(st.Form, body)
	return nil
}

// responseClose ends the response (the grammar writes it).
const responseClose = "\n</response>"

// payoffEnd ends pass 1 (the grammar writes it).
const payoffEnd = "\n</payoff>"

// payoff runs pass 1, `<thinking>` and `<payoff>`, and reads the matrix. Under a grammar
// the output streams as it is written and is parsed strictly. Without one (x.noGrammar) it
// is held back, read with [RepairPass1], and the context continues from the blocks in the
// grammar's layout, which then reach the stream; output that does not parse is retried up
// to Options.Retries times, each retry with the next seed and a prompt of the conversation
// followed by the last failed reply and a message naming its problem.
func (x *run) payoff(ctx context.Context) error {
	g, res := x.game, x.res
	base := Messages(g, x.o.Rule, x.conv)
	if err := x.start(base); err != nil {
		return err
	}
	if err := x.detectSpacePrefix(); err != nil {
		return err
	}
	retries := 0
	if x.noGrammar {
		retries = x.o.Retries
	}
	var onText func(string) error
	if !x.noGrammar {
		onText = func(s string) error { return x.emit(KindReasoning, s) }
	}
	var last error // the last attempt's parse error
	for attempt := 0; ; attempt++ {
		begin := x.mark()
		out, err := x.pass(ctx, "payoff", x.grammars.Payoff, strings.TrimPrefix(payoffEnd, "\n"), g.payoffMaxBytes()+1, onText)
		if attempt > 0 && errors.Is(err, inference.ErrPromptTooLong) {
			return fmt.Errorf("gtalign: payoff pass: %s did not parse and a retry's prompt does not fit the context; the last: %w", attempts(attempt), last)
		}
		if err != nil {
			return err
		}
		perr := x.readPayoff(out, begin)
		if perr == nil {
			return nil
		}
		res.Passes[len(res.Passes)-1].Error = perr.Error()
		if attempt >= retries {
			if attempt > 0 {
				return fmt.Errorf("gtalign: payoff pass: %s did not parse; the last: %w", attempts(attempt+1), perr)
			}
			return perr
		}
		res.Retries++
		last = perr
		msgs := append(slices.Clip(base), inference.Message{Role: "assistant", Content: clip(out.Text, maxEcho)},
			inference.Message{Role: "user", Content: fmt.Sprintf("That reply does not follow the required layout (%s). "+
				"Reply again from the start: the <thinking> block, then the <payoff> block holding one JSON object with exactly "+
				"the keys %s, each {\"LLM\": x, \"user\": y} with numbers from %d to %d.",
				clip(firstLine(perr.Error()), 200), strings.Join(g.Keys(), ", "), g.Payoff.Min, g.Payoff.Max)})
		x.sampling.Seed++
		if err := x.start(msgs); err != nil {
			return err
		}
	}
}

// readPayoff reads pass 1's output out (generated from the context at begin) into the
// result; see [run.payoff].
func (x *run) readPayoff(out inference.Result, begin mark) error {
	g, res := x.game, x.res
	if !x.noGrammar {
		thinking, payoff, err := splitPass1(out.Text)
		res.Thinking = thinking
		if err != nil {
			if out.StopReason == inference.StopLength {
				return fmt.Errorf("gtalign: payoff pass stopped at its length limit (is the context full?): %w", err)
			}
			return err
		}
		res.Matrix, err = ParsePayoff(g, payoff)
		return err
	}
	text := out.Text
	if out.StopReason == inference.StopString && !payoffCloseRE.MatchString(text) {
		// The stop string (or the model's end) closed the block.
		text = strings.TrimRight(text, " \t\r\n") + payoffEnd
	}
	p, err := RepairPass1(g, text)
	res.Thinking = p.Thinking
	if err != nil {
		return err
	}
	res.Matrix, res.Repairs = p.Matrix, p.Repairs
	blocks := text // read strictly: the blocks stand as written
	if p.Repairs != nil {
		blocks = p.String()
	}
	if out.Text != blocks {
		if rest, ok := strings.CutPrefix(blocks, out.Text); ok {
			err = x.inject(rest)
		} else {
			x.reset(begin)
			err = x.inject(blocks)
		}
		if err != nil {
			return err
		}
	}
	return x.emit(KindReasoning, blocks)
}

// generated counts a generation's tokens: its ids, or the server's count where it streams no
// ids (a remote model of the "openai" or "vllm" dialect).
func generated(out inference.Result) int {
	if len(out.Tokens) == 0 && out.Text != "" {
		return out.Timings.PredictedN
	}
	return len(out.Tokens)
}

// attempts writes "1 attempt", "n attempts".
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// maxEcho bounds the failed reply a retry's conversation repeats (bytes).
const maxEcho = 2000

// clip cuts s to at most n bytes on a character boundary, marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// firstLine returns s up to its first line break.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// splitPass1 splits pass 1's output into the thinking text and the payoff block's text.
func splitPass1(out string) (thinking, payoff string, err error) {
	const open, mid, end = "<thinking>\n", "\n</thinking>\n<payoff>\n", "\n</payoff>"
	rest, ok := strings.CutPrefix(out, open)
	if !ok {
		return "", "", &ParseError{Block: "transcript", Field: "thinking", Problem: "pass 1 does not start with <thinking>"}
	}
	thinking, rest, ok = strings.Cut(rest, mid)
	if !ok {
		return strings.TrimSuffix(rest, "\n"), "", &ParseError{Block: "transcript", Field: "thinking", Problem: "<thinking> is not closed and followed by <payoff>"}
	}
	payoff, ok = strings.CutSuffix(rest, end)
	if !ok {
		return thinking, "", &ParseError{Block: "payoff", Problem: "pass 1 does not end with </payoff>"}
	}
	return thinking, payoff, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}

// holdBack streams the response body while holding back text that may begin its closing tag.
type holdBack struct {
	end  string
	held string
}

func (h *holdBack) push(s string) string {
	t := h.held + s
	if i := strings.Index(t, h.end); i >= 0 {
		h.held = t[i:]
		return t[:i]
	}
	keep := 0
	for k := min(len(t), len(h.end)-1); k > 0; k-- {
		if strings.HasSuffix(t, h.end[:k]) {
			keep = k
			break
		}
	}
	h.held = t[len(t)-keep:]
	return t[:len(t)-keep]
}

// flush returns what is held back (the response ended without its closing tag).
func (h *holdBack) flush() string {
	s := h.held
	h.held = ""
	return s
}

// CheckResponse verifies a response text against a strategy's form: "question" must hold
// exactly one '?', ending the text; "answer_question" the same, with an answer (a sentence
// ending in '.', '!', ':' or a line break) before the question; "answer" is any text.
func CheckResponse(form, text string) ResponseCheck {
	c := ResponseCheck{Form: form, Questions: strings.Count(text, "?"), OK: true}
	t := strings.TrimSpace(text)
	fail := func(p string) ResponseCheck {
		c.OK, c.Problem = false, p
		return c
	}
	if t == "" {
		return fail("empty response")
	}
	switch form {
	case FormQuestion, FormAnswerQuestion:
		if c.Questions != 1 {
			return fail(fmt.Sprintf("%d questions, want exactly one", c.Questions))
		}
		if !strings.HasSuffix(t, "?") {
			return fail("the question does not end the response")
		}
		if form == FormAnswerQuestion && strings.LastIndexAny(t, ".!:\n") < 0 {
			return fail("no answer before the question")
		}
	}
	return c
}

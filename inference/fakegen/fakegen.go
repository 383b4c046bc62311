package fakegen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/gbnf"
)

// Special tokens. Code points end at 0x10FFFF, so these IDs never stand for text.
const (
	// BOS begins a prompt tokenized with addSpecial.
	BOS int32 = utf8.MaxRune + 1
	// EOS ends a reply; it carries the text held back until then, if any.
	EOS int32 = utf8.MaxRune + 2
	// VocabSize is the number of token IDs: every code point, BOS and EOS.
	VocabSize = utf8.MaxRune + 3
)

// DefaultContextSize is the context of a Generator whose Options leave it zero.
const DefaultContextSize = 4096

// ErrExhausted is returned by a [Replies] script asked for more replies than it holds.
var ErrExhausted = errors.New("fakegen: script exhausted")

// Script answers one request with the text to stream back. An error is returned by
// [Generator.Generate] as it is (wrap an inference sentinel to simulate that failure). A
// Generator calls its script at most once per request, never concurrently, and only for
// requests that passed validation.
type Script func(req inference.Request) (string, error)

// Replies returns a Script that answers the n-th request it is asked with replies[n], and
// fails with [ErrExhausted] after the last.
func Replies(replies ...string) Script {
	var mu sync.Mutex
	next := 0
	return func(inference.Request) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if next == len(replies) {
			return "", fmt.Errorf("%w after %d replies", ErrExhausted, len(replies))
		}
		next++
		return replies[next-1], nil
	}
}

// Options configure [New]; nil means the defaults.
type Options struct {
	// ContextSize is the most tokens a request may hold, prompt and output together
	// (a prompt must leave room for one); 0 = [DefaultContextSize].
	ContextSize int
	// NoGrammar makes Info say the generator cannot enforce a grammar
	// ([inference.ModelInfo].NoGrammar), as a remote model of the openai dialect does, so
	// callers take their tolerant paths. (The fake never enforces a grammar either way.)
	NoGrammar bool
}

// Generator is a scripted [inference.Generator]; see the package documentation. Its methods
// are safe for concurrent use.
type Generator struct {
	script    Script
	ctxLen    int
	noGrammar bool
	slot      chan struct{} // capacity 1: held by the running Generate
	quit      chan struct{} // closed by Close

	// cached is the last request's prompt and generated tokens; guarded by slot.
	cached []int32

	mu       sync.Mutex
	closed   bool
	requests []inference.Request
}

var _ inference.Generator = (*Generator)(nil)

// New returns a Generator that answers with script. It panics if script is nil or
// opts.ContextSize is negative.
func New(script Script, opts *Options) *Generator {
	if script == nil {
		panic("fakegen: nil script")
	}
	n := DefaultContextSize
	if opts != nil && opts.ContextSize != 0 {
		n = opts.ContextSize
	}
	if n < 0 {
		panic(fmt.Sprintf("fakegen: context size %d < 0", n))
	}
	return &Generator{script: script, ctxLen: n, noGrammar: opts != nil && opts.NoGrammar, slot: make(chan struct{}, 1), quit: make(chan struct{})}
}

// Requests returns every request Generate received, in call order, including those it
// rejected.
func (g *Generator) Requests() []inference.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]inference.Request, len(g.requests))
	for i, r := range g.requests {
		r.Stop = slices.Clone(r.Stop)
		out[i] = r
	}
	return out
}

// Info describes the fake model.
func (g *Generator) Info() inference.ModelInfo {
	return inference.ModelInfo{
		Path: "fakegen", Description: "fakegen scripted generator (no model)", Architecture: "fakegen",
		ContextLength: g.ctxLen, ContextSize: g.ctxLen, VocabSize: VocabSize, Slots: 1, ChatTemplate: "chatml",
		NoGrammar: g.noGrammar,
	}
}

// Close makes every later call fail with [inference.ErrClosed]; a running Generate stops
// before its next token with that error. It is safe to call more than once.
func (g *Generator) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		close(g.quit)
	}
	return nil
}

func (g *Generator) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// ChatPrompt renders msgs in the ChatML format and opens the assistant's turn:
//
//	<|im_start|>user
//	Cooperate or defect?<|im_end|>
//	<|im_start|>assistant
//
// Roles must be system, user or assistant.
func (g *Generator) ChatPrompt(msgs []inference.Message) (string, error) {
	if g.isClosed() {
		return "", inference.ErrClosed
	}
	if len(msgs) == 0 {
		return "", fmt.Errorf("%w: no messages", inference.ErrInvalidRequest)
	}
	var sb strings.Builder
	for i, m := range msgs {
		if !utf8.ValidString(m.Content) || !utf8.ValidString(m.Role) {
			return "", fmt.Errorf("%w: message %d is not valid UTF-8", inference.ErrInvalidRequest, i)
		}
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return "", fmt.Errorf("%w: message %d has role %q (want system, user or assistant)", inference.ErrInvalidRequest, i, m.Role)
		}
		fmt.Fprintf(&sb, "<|im_start|>%s\n%s<|im_end|>\n", m.Role, m.Content)
	}
	sb.WriteString("<|im_start|>assistant\n")
	return sb.String(), nil
}

// Tokenize returns text's code points, after [BOS] if addSpecial is set.
func (g *Generator) Tokenize(text string, addSpecial bool) ([]int32, error) {
	if g.isClosed() {
		return nil, inference.ErrClosed
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: text is not valid UTF-8", inference.ErrInvalidRequest)
	}
	return tokenize(text, addSpecial), nil
}

func tokenize(text string, addSpecial bool) []int32 {
	toks := make([]int32, 0, len(text)+1)
	if addSpecial {
		toks = append(toks, BOS)
	}
	for _, r := range text {
		toks = append(toks, r)
	}
	return toks
}

// Generate validates req as the engine does, waits for the slot, asks the script for the
// reply and streams it one code point per token, honouring ctx, req.MaxTokens, req.Stop and
// the context size. See [inference.Generator].
func (g *Generator) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	g.mu.Lock()
	closed := g.closed
	rec := req
	rec.Stop = slices.Clone(req.Stop)
	g.requests = append(g.requests, rec)
	g.mu.Unlock()
	if closed {
		return inference.Result{}, inference.ErrClosed
	}
	prompt, err := g.check(req)
	if err != nil {
		return inference.Result{}, err
	}
	select {
	case g.slot <- struct{}{}:
	case <-ctx.Done():
		return inference.Result{StopReason: inference.StopCancelled}, ctx.Err()
	case <-g.quit:
		return inference.Result{}, inference.ErrClosed
	}
	defer func() { <-g.slot }()
	if err := g.interrupted(ctx); err != nil {
		return inference.Result{StopReason: inference.StopCancelled}, err
	}
	return g.run(ctx, req, prompt, onToken)
}

// check validates req and tokenizes its prompt.
func (g *Generator) check(req inference.Request) ([]int32, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if !utf8.ValidString(req.Prompt) {
		return nil, fmt.Errorf("%w: prompt is not valid UTF-8", inference.ErrInvalidRequest)
	}
	for i, s := range req.Stop {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("%w: stop[%d] is not valid UTF-8", inference.ErrInvalidRequest, i)
		}
	}
	prompt := slices.Clone(req.Tokens)
	for i, t := range prompt {
		if t < 0 || t >= VocabSize {
			return nil, fmt.Errorf("%w: tokens[%d] = %d outside the vocabulary", inference.ErrInvalidRequest, i, t)
		}
	}
	if len(prompt) == 0 {
		prompt = tokenize(req.Prompt, req.AddSpecial)
	}
	if len(prompt) == 0 {
		return nil, fmt.Errorf("%w: empty prompt", inference.ErrInvalidRequest)
	}
	if len(prompt) >= g.ctxLen {
		return nil, fmt.Errorf("%w: %d prompt tokens, context holds %d", inference.ErrPromptTooLong, len(prompt), g.ctxLen)
	}
	if req.Grammar != "" {
		if _, err := gbnf.Parse(req.Grammar, gbnf.Limits{}); err != nil {
			return nil, fmt.Errorf("%w: %v", inference.ErrInvalidGrammar, err)
		}
	}
	return prompt, nil
}

// interrupted reports why generation must stop now: ctx's error, ErrClosed, or nil.
func (g *Generator) interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-g.quit:
		return inference.ErrClosed
	default:
		return nil
	}
}

// run generates the scripted reply to req; the caller holds the slot.
func (g *Generator) run(ctx context.Context, req inference.Request, prompt []int32, onToken func(inference.Token) error) (inference.Result, error) {
	tStart := time.Now()
	reply, err := g.script(req)
	if err != nil {
		return inference.Result{}, err
	}
	reply = strings.ToValidUTF8(reply, "\uFFFD")
	cacheN := min(commonPrefix(g.cached, prompt), len(prompt)-1)
	tPrompt := time.Now()
	res := inference.Result{PromptTokens: len(prompt)}
	ts := textStream{stops: req.Stop}
	sampled := 0
	finish := func(reason string, err error) (inference.Result, error) {
		g.cached = append(slices.Clip(prompt), res.Tokens...)
		res.Text, res.StopReason, res.StoppedBy = ts.emitted.String(), reason, ts.stopped
		end := time.Now()
		res.Timings = timings(cacheN, len(prompt), sampled, tPrompt.Sub(tStart), end.Sub(tPrompt))
		return res, err
	}
	deliver := func(t inference.Token) error {
		if onToken == nil {
			return nil
		}
		return onToken(t)
	}
	for _, r := range reply {
		if err := g.interrupted(ctx); err != nil {
			return finish(inference.StopCancelled, err)
		}
		sampled++
		res.Tokens = append(res.Tokens, r)
		text, stopped := ts.push(string(r))
		reason := ""
		switch {
		case stopped:
			reason = inference.StopString
		case req.MaxTokens > 0 && len(res.Tokens) >= req.MaxTokens:
			reason = inference.StopLength
		case len(prompt)+len(res.Tokens) >= g.ctxLen:
			reason = inference.StopLength // the context is full
		}
		if reason == inference.StopLength {
			text += ts.flush()
		}
		if err := deliver(inference.Token{ID: r, Text: text}); err != nil {
			return finish(inference.StopCancelled, err)
		}
		if reason != "" {
			return finish(reason, nil)
		}
	}
	// The reply is over: the end-of-generation token carries what was held back.
	if err := g.interrupted(ctx); err != nil {
		return finish(inference.StopCancelled, err)
	}
	sampled++
	if tail := ts.flush(); tail != "" {
		if err := deliver(inference.Token{ID: EOS, Text: tail}); err != nil {
			return finish(inference.StopCancelled, err)
		}
	}
	return finish(inference.StopEOG, nil)
}

// timings fills llama-server's timing fields from the fake's counts and durations.
func timings(cacheN, promptLen, sampled int, prompt, predicted time.Duration) inference.Timings {
	t := inference.Timings{CacheN: cacheN, PromptN: promptLen - cacheN, PredictedN: sampled,
		PromptMS: ms(prompt), PredictedMS: ms(predicted)}
	if prompt > 0 {
		t.PromptPerSecond = float64(t.PromptN) / prompt.Seconds()
	}
	if predicted > 0 {
		t.PredictedPerSecond = float64(t.PredictedN) / predicted.Seconds()
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

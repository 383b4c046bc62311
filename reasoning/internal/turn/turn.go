// Package turn holds the model conversation that the reasoning agents share: one agent's
// chat history, one generation per question under a grammar, a check of every answer with
// bounded retries, and the figures of every generation (tokens, cache reuse, time in the
// model) for the game's statistics.
package turn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nashd/nashd/inference"
)

// ErrForfeit is returned by [Conv.Ask] when every attempt's answer failed its check.
var ErrForfeit = errors.New("no valid answer")

// Stats accumulates the figures of a game's generations.
type Stats struct {
	Generations     int     // requests sent to a generator
	PromptTokens    int     // prompt tokens over all requests
	CacheN          int     // prompt tokens reused from the KV cache
	GeneratedTokens int     // tokens generated
	ModelMS         float64 // wall time inside Generate
	// Trimmed counts the earlier messages dropped because the conversation outgrew the
	// model's context.
	Trimmed int
}

// Reply is one answer of the model.
type Reply struct {
	Text     string
	Result   inference.Result
	MS       float64 // wall time of the Generate call
	Attempts int     // 1 + the retries it took
}

// Conv is one agent's conversation with its model. Every request's seed is
// Sampling.Seed plus the number of requests the conversation made before, so a game repeats
// exactly and no two requests share a seed.
type Conv struct {
	Gen      inference.Generator
	Sampling inference.Sampling
	Msgs     []inference.Message
	Stats    *Stats // shared by the conversations of one game; nil: not counted
	requests uint32
	question int // index in Msgs of the question being asked
}

// Question is what [Conv.Ask] asks.
type Question struct {
	User string // the user message
	// Keep, when set, replaces User in the conversation once the question is answered: a
	// shorter record of it (for example without facts that only the current turn needs),
	// so long games fit the context.
	Keep      string
	Grammar   string // GBNF constraining the answer; "" = unconstrained
	MaxTokens int    // generation bound
	// Check validates an answer (nil: every answer is valid). A failed answer is retried.
	Check func(text string) error
	// Retries is the number of further attempts after a failed check.
	Retries int
	// OnRetry, if set, is told about each failed answer before the retry; its error ends
	// the question.
	OnRetry func(r Reply, err error) error
}

// Ask adds q.User to the conversation, generates the answer and checks it; a failed answer
// stays in the conversation, followed by a message naming the problem, and is asked again up
// to q.Retries times. The accepted answer is added to the conversation. When every attempt
// fails it returns the last reply and an error wrapping [ErrForfeit] and the last check's
// error. Generator errors (cancellation included) are returned as they are.
func (c *Conv) Ask(ctx context.Context, q Question) (Reply, error) {
	c.Msgs = append(c.Msgs, inference.Message{Role: "user", Content: q.User})
	c.question = len(c.Msgs) - 1
	var last Reply
	for attempt := 1; ; attempt++ {
		r, err := c.generate(ctx, q)
		r.Attempts = attempt
		if err != nil {
			return r, err
		}
		c.Msgs = append(c.Msgs, inference.Message{Role: "assistant", Content: r.Text})
		var bad error
		if q.Check != nil {
			bad = q.Check(r.Text)
		}
		if bad == nil {
			if q.Keep != "" {
				c.Msgs[c.question].Content = q.Keep
			}
			return r, nil
		}
		last = r
		if attempt > q.Retries {
			return last, fmt.Errorf("%w after %d attempts: %w", ErrForfeit, attempt, bad)
		}
		if q.OnRetry != nil {
			if err := q.OnRetry(r, bad); err != nil {
				return r, err
			}
		}
		c.Msgs = append(c.Msgs, inference.Message{Role: "user", Content: fmt.Sprintf(
			"That answer does not follow the required form (%s). Answer again, exactly in the form asked.", oneLine(bad.Error()))})
	}
}

// generate answers the conversation as it stands. When the prompt outgrows the context it
// drops the oldest exchange after the system message (a user message and the answer) and
// tries again, as long as one precedes the current question.
func (c *Conv) generate(ctx context.Context, q Question) (Reply, error) {
	for {
		r, err := c.generateOnce(ctx, q)
		if !errors.Is(err, inference.ErrPromptTooLong) {
			return r, err
		}
		first := 0
		if len(c.Msgs) > 0 && c.Msgs[0].Role == "system" {
			first = 1
		}
		if c.question-first < 2 {
			return r, err
		}
		c.Msgs = append(c.Msgs[:first], c.Msgs[first+2:]...)
		c.question -= 2
		if c.Stats != nil {
			c.Stats.Trimmed += 2
		}
	}
}

func (c *Conv) generateOnce(ctx context.Context, q Question) (Reply, error) {
	prompt, err := c.Gen.ChatPrompt(c.Msgs)
	if err != nil {
		return Reply{}, fmt.Errorf("chat prompt: %w", err)
	}
	s := c.Sampling
	s.Seed += c.requests
	c.requests++
	req := inference.Request{Prompt: prompt, MaxTokens: q.MaxTokens, Sampling: s, Grammar: q.Grammar}
	t0 := time.Now()
	res, err := c.Gen.Generate(ctx, req, nil)
	ms := float64(time.Since(t0)) / float64(time.Millisecond)
	if c.Stats != nil {
		c.Stats.Generations++
		c.Stats.PromptTokens += res.PromptTokens
		c.Stats.CacheN += res.Timings.CacheN
		c.Stats.GeneratedTokens += len(res.Tokens)
		c.Stats.ModelMS += ms
	}
	r := Reply{Text: res.Text, Result: res, MS: ms}
	if err != nil {
		return r, err
	}
	return r, nil
}

// oneLine shortens an error message for the model: its first line, at most 200 bytes.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

package turn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
)

func isYes(s string) error {
	if s != "yes" {
		return errors.New("want yes")
	}
	return nil
}

// A failed answer is asked again with the problem named; the accepted answer ends the
// question; each request's seed is the base plus the request's number; Keep shortens the
// recorded question.
func TestAskRetries(t *testing.T) {
	gen := fakegen.New(fakegen.Replies("no", "maybe", "yes", "yes"), nil)
	st := &Stats{}
	c := &Conv{Gen: gen, Sampling: inference.Sampling{Seed: 10}, Stats: st, Msgs: []inference.Message{{Role: "system", Content: "s"}}}
	var retried []string
	r, err := c.Ask(context.Background(), Question{User: "long question with facts", Keep: "short", Check: isYes, Retries: 2,
		OnRetry: func(r Reply, err error) error { retried = append(retried, r.Text); return nil }})
	if err != nil || r.Text != "yes" || r.Attempts != 3 {
		t.Fatalf("Ask = %+v, %v", r, err)
	}
	if strings.Join(retried, ",") != "no,maybe" {
		t.Errorf("retries %q", retried)
	}
	if c.Msgs[1].Content != "short" || len(c.Msgs) != 7 || !strings.Contains(c.Msgs[3].Content, "want yes") {
		t.Errorf("conversation %+v", c.Msgs)
	}
	for k, req := range gen.Requests() {
		if req.Sampling.Seed != uint32(10+k) {
			t.Errorf("request %d seed %d", k, req.Sampling.Seed)
		}
	}
	if st.Generations != 3 || st.GeneratedTokens != len("no")+len("maybe")+len("yes") {
		t.Errorf("stats %+v", st)
	}
	// Out of retries: a forfeit carrying the last problem.
	c2 := &Conv{Gen: fakegen.New(fakegen.Replies("a", "b"), nil)}
	r, err = c2.Ask(context.Background(), Question{User: "q", Check: isYes, Retries: 1})
	if !errors.Is(err, ErrForfeit) || !strings.Contains(err.Error(), "want yes") || r.Text != "b" {
		t.Errorf("forfeit: %+v, %v", r, err)
	}
	// OnRetry's error ends the question.
	stop := errors.New("stop")
	c3 := &Conv{Gen: fakegen.New(fakegen.Replies("a", "b"), nil)}
	if _, err := c3.Ask(context.Background(), Question{User: "q", Check: isYes, Retries: 1, OnRetry: func(Reply, error) error { return stop }}); !errors.Is(err, stop) {
		t.Errorf("OnRetry error: %v", err)
	}
}

// A conversation that outgrows the context drops its oldest exchanges, never the system
// message or the current question; a question that cannot fit even alone is an error.
func TestTrimOnLongPrompt(t *testing.T) {
	gen := fakegen.New(func(inference.Request) (string, error) { return "yes", nil }, &fakegen.Options{ContextSize: 400})
	st := &Stats{}
	c := &Conv{Gen: gen, Stats: st, Msgs: []inference.Message{{Role: "system", Content: "rules"}}}
	for k := range 12 {
		if _, err := c.Ask(context.Background(), Question{User: strings.Repeat("x", 40), Check: isYes}); err != nil {
			t.Fatalf("question %d: %v", k, err)
		}
	}
	if st.Trimmed == 0 || c.Msgs[0].Content != "rules" || c.Msgs[1].Role != "user" || c.Msgs[len(c.Msgs)-1].Role != "assistant" {
		t.Errorf("trimmed %d, conversation %+v", st.Trimmed, c.Msgs)
	}
	if len(c.Msgs)+st.Trimmed != 1+2*12 {
		t.Errorf("%d messages kept, %d trimmed, want %d in all", len(c.Msgs), st.Trimmed, 1+2*12)
	}
	if _, err := c.Ask(context.Background(), Question{User: strings.Repeat("y", 500)}); !errors.Is(err, inference.ErrPromptTooLong) {
		t.Errorf("oversized question: err = %v", err)
	}
}

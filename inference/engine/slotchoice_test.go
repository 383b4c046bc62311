package engine

import (
	"context"
	"testing"

	"github.com/nashd/nashd/inference"
)

// TestSlotChoiceKeepsConversations: two conversations that share only a few tokens take
// turns on a two-slot engine. Each turn continues its own conversation's cache: the other
// conversation goes to the idle slot instead of evicting it (the longest-prefix slot is taken
// only when the prefix covers at least half of the prompt).
func TestSlotChoiceKeepsConversations(t *testing.T) {
	e := openTiny(t, Options{Slots: 2})
	defer e.Close()
	ctx := context.Background()
	alice := "You are Alice. The row player chooses between cooperate and defect; the column player"
	bob := "You are Bob, the column player: you answer the row player with one of two moves"
	gen := func(prompt string) inference.Result {
		t.Helper()
		r, err := e.Generate(ctx, inference.Request{Prompt: prompt, MaxTokens: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	shared := func(a, b string) int {
		ta, _ := e.Tokenize(a, false)
		tb, _ := e.Tokenize(b, false)
		return commonPrefix(ta, tb)
	}
	gen(alice)
	if r := gen(bob); r.Timings.CacheN != 0 {
		t.Errorf("bob's first turn: cache_n %d, want an idle slot (0)", r.Timings.CacheN)
	}
	for turn, p := range []string{alice + " answers", bob + " back", alice + " answers again", bob + " back again"} {
		prev := alice
		if turn%2 == 1 {
			prev = bob
		}
		want := shared(prev, p)
		if r := gen(p); r.Timings.CacheN < want {
			t.Errorf("turn %d: cache_n %d, want at least the %d tokens it shares with its conversation", turn+3, r.Timings.CacheN, want)
		}
	}
	// One slot: the longest prefix is the only choice.
	one := openTiny(t, Options{Slots: 1})
	defer one.Close()
	for _, p := range []string{alice, bob} {
		if _, err := one.Generate(ctx, inference.Request{Prompt: p, MaxTokens: 4}, nil); err != nil {
			t.Fatal(err)
		}
	}
	r, err := one.Generate(ctx, inference.Request{Prompt: alice + " answers", MaxTokens: 4}, nil)
	if err != nil || r.Timings.CacheN != shared(bob, alice+" answers") {
		t.Errorf("one slot: cache_n %d (%v), want the prefix shared with bob's cache", r.Timings.CacheN, err)
	}
}

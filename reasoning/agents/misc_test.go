package agents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/reasoning/internal/gbnfmatch"
)

// The prompts and grammars of two games, every mode, as golden files: a reviewer reads
// exactly what the models are asked.
func TestPromptsGolden(t *testing.T) {
	for _, tt := range []struct {
		game   string
		modes  [2]Mode
		rounds int
	}{
		{"prisoner_dilemma", [2]Mode{Verified, Prompted}, 1},
		{"battle_of_sexes", [2]Mode{Raw, Verified}, 0},
		{"escalation", [2]Mode{Prompted, Verified}, 0},
		{"trigame", [2]Mode{Verified, Prompted}, 0},
	} {
		g := loadGame(t, tt.game)
		gen := fakegen.New(grammarScript(t, 3), &fakegen.Options{ContextSize: 1 << 16})
		if _, err := Play(context.Background(), g, [2]Agent{{Gen: gen, Mode: tt.modes[0]}, {Gen: gen, Mode: tt.modes[1]}},
			&Options{Rounds: tt.rounds, MessageChars: 40, ReasonChars: 60}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for k, r := range gen.Requests() {
			fmt.Fprintf(&b, "===== request %d (max %d tokens)\n%s\n----- grammar\n%s\n", k+1, r.MaxTokens, r.Prompt, r.Grammar)
		}
		golden(t, fmt.Sprintf("%s_%s_%s.txt", tt.game, tt.modes[0], tt.modes[1]), b.String())
	}
}

// The answer forms' grammars accept exactly their layout.
func TestFormGrammar(t *testing.T) {
	f := form{
		{prefix: "If I play c1, Bob's best response is ", suffix: ".", names: []string{"c1", "c10"}, multi: true},
		{prefix: "Reason: ", chars: 5},
		{prefix: "ACTION: ", names: []string{"c1", "c10"}},
	}
	m, err := gbnfmatch.New(f.grammar("test"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		s  string
		ok bool
	}{
		{"If I play c1, Bob's best response is c10.\nReason: abc\nACTION: c1", true},
		{"If I play c1, Bob's best response is c1 or c10.\nReason: a\nACTION: c10", true},
		{"If I play c1, Bob's best response is c1 or c10 or c1.\nReason: a\nACTION: c10", false},
		{"If I play c1, Bob's best response is c2.\nReason: a\nACTION: c1", false},
		{"If I play c1, Bob's best response is c1.\nReason: abcdef\nACTION: c1", false},
		{"If I play c1, Bob's best response is c1.\nReason: <b>\nACTION: c1", false},
		{"If I play c1, Bob's best response is c1.\nReason: \nACTION: c1", false},
		{"If I play c1, Bob's best response is c1.\nReason: ok\nACTION: c1 ", false},
	} {
		if got := m.Accepts(tt.s); got != tt.ok {
			t.Errorf("accepts %q = %v, want %v", tt.s, got, tt.ok)
		}
		if tt.ok {
			if _, err := f.parse(tt.s); err != nil {
				t.Errorf("parse %q: %v", tt.s, err)
			}
			if n := len(tt.s); n > f.maxBytes() {
				t.Errorf("%q is %d bytes, maxBytes %d", tt.s, n, f.maxBytes())
			}
		}
	}
}

// Cancelling ctx ends a game promptly with ctx's error; an OnEvent error ends it too.
func TestCancelAndEventError(t *testing.T) {
	g := loadGame(t, "duopolistic_competition")
	ctx, cancel := context.WithCancel(context.Background())
	slow := fakegen.New(func(req inference.Request) (string, error) {
		cancel()
		return strings.Repeat("x", 100000), nil
	}, nil)
	t0 := time.Now()
	_, err := Play(ctx, g, [2]Agent{{Gen: slow}, {Gen: slow}}, &Options{Rounds: 3})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("cancelled game took %v", d)
	}
	gen := fakegen.New(grammarScript(t, 1), nil)
	stop := errors.New("client went away")
	_, err = Play(context.Background(), g, [2]Agent{{Gen: gen}, {Gen: gen}}, &Options{Rounds: 3, OnEvent: func(e Event) error {
		if e.Seq == 2 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want the OnEvent error", err)
	}
	if n := len(gen.Requests()); n != 2 {
		t.Errorf("%d requests after the stop at event 2", n)
	}
}

func TestBadInput(t *testing.T) {
	gen := fakegen.New(fakegen.Replies(), nil)
	pd := loadGame(t, "prisoner_dilemma")
	for _, tt := range []struct {
		name string
		err  error
		run  func() error
	}{
		{"rounds", ErrOptions, func() error {
			_, err := Play(context.Background(), pd, [2]Agent{{Gen: gen}, {Gen: gen}}, &Options{Rounds: MaxRounds + 1})
			return err
		}},
		{"mode", ErrOptions, func() error {
			_, err := Play(context.Background(), pd, [2]Agent{{Gen: gen, Mode: "clever"}, {Gen: gen}}, nil)
			return err
		}},
		{"no generator", ErrOptions, func() error {
			_, err := Play(context.Background(), pd, [2]Agent{{Gen: gen}, {}}, nil)
			return err
		}},
		{"allocation game", ErrGame, func() error {
			_, err := Play(context.Background(), loadGame(t, "deal_or_no_deal_example"), [2]Agent{{Gen: gen}, {Gen: gen}}, nil)
			return err
		}},
		{"unknown game", ErrUnknownGame, func() error {
			_, err := FindGame(gamesDir, "prisoners_dilemma")
			return err
		}},
		{"empty name", ErrUnknownGame, func() error {
			_, err := FindGame(gamesDir, "")
			return err
		}},
	} {
		if err := tt.run(); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
	_, err := FindGame(gamesDir, "prisoners_dilemma")
	if !strings.Contains(err.Error(), "prisoner_dilemma,") {
		t.Errorf("the unknown-game error does not list the games: %v", err)
	}
	for _, ref := range []string{"stag_hunt", gamesDir + "/stag_hunt.toml"} {
		if g, err := FindGame(gamesDir, ref); err != nil || g.Name != "stag_hunt" {
			t.Errorf("FindGame(%q) = %v, %v", ref, g, err)
		}
	}
}

// A result's JSON carries the documented keys and decodes to a result that encodes the same.
func TestResultJSON(t *testing.T) {
	for _, name := range []string{"battle_of_sexes", "draco"} {
		gen := fakegen.New(grammarScript(t, 5), nil)
		res, err := Play(context.Background(), loadGame(t, name), [2]Agent{{Gen: gen, Mode: Prompted}, {Gen: gen}}, &Options{ReasonChars: 10})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		keys := []string{"actions", "payoffs", "equilibrium", "pareto_equilibrium", "regret", "transcript", "stats", "workflow"}
		if name == "draco" {
			keys = []string{"path", "payoffs", "spe", "spe_path", "transcript", "stats", "workflow"}
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no key %q in %s", name, k, b)
			}
		}
		var back Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, err := json.Marshal(&back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: round trip differs:\n%s\n%s", name, b, b2)
		}
	}
}

// The tolerant parser never panics and, when it accepts, returns a legal action.
func FuzzFormParse(f *testing.F) {
	fm := normalForm(loadGame(f, "stag_hunt").Normal, 1, Prompted, 30)
	f.Add("If I play c1, Alice's best response is c1.\nStrategy: x\nACTION: c2")
	f.Add("**ACTION:** C1.")
	f.Add("ACTION:")
	f.Add("action: c1 or c2")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := fm.parse(s)
		if err != nil {
			return
		}
		a := v[len(fm)-1]
		if len(a) != 1 || (a[0] != "c1" && a[0] != "c2") {
			t.Fatalf("parse(%q) action %q", s, a)
		}
	})
}

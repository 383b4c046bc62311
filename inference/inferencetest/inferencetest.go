// Package inferencetest is a conformance suite for text generators, in the manner of
// testing/slogtest: every implementation of [inference.Generator] (the llama.cpp engine, the
// scripted fake, a future remote or system-library backend) must pass [Run].
//
// # What a generator must do
//
// The suite checks the contract documented on [inference.Generator], on its own terms:
//
//   - Info: a vocabulary, a context of at least 256 tokens per slot, at least one slot.
//   - Tokenize: the same text gives the same tokens; addSpecial only adds tokens around the
//     text's own; invalid UTF-8 is rejected with [inference.ErrInvalidRequest].
//   - ChatPrompt: a conversation of system, user and assistant turns renders to a prompt that
//     contains every turn's content and that Generate accepts; no messages, another role or
//     invalid UTF-8 is rejected with [inference.ErrInvalidRequest].
//   - Generate: the same request (same seed) gives the same result; the streamed texts add up
//     to the result's text, one event per generated token (plus at most one for the
//     end-of-generation token); Result.PromptTokens is the length of Tokenize(prompt,
//     AddSpecial) and Timings.PromptN + Timings.CacheN add up to it; MaxTokens and stop
//     strings end generation with their stop reasons and no stop string is ever streamed;
//     invalid requests, invalid grammars and prompts longer than the context fail with their
//     sentinels and leave the generator working; cancelling ctx or failing in onToken stops
//     generation before the next token; concurrent requests succeed (and, with one slot,
//     give what they give alone); after Close, which may be called twice, Generate,
//     ChatPrompt and Tokenize fail with [inference.ErrClosed].
//
// Some checks are about the output itself: output under each of [Grammars] must match the
// grammar, [LongGrammar] must allow at least a few tokens, and different seeds at a high
// temperature must not all give the same output. A model-backed generator passes them by
// sampling; a scripted one passes them only when its script produces such output (the
// fakegen package's test shows how: [GrammarCase.Sample] is a valid output of each grammar).
package inferencetest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/nashd/nashd/inference"
)

// Prompt is the suite's default prompt: plain ASCII words any vocabulary tokenizes.
const Prompt = "In a game of chicken, the payoff of swerving is"

// LongGrammar forbids ending early: the suite uses it where it needs a long generation
// whatever the model (cancellation, callback errors).
const LongGrammar = `root ::= [a-z]{200,}`

// GrammarCase is a GBNF grammar with an independent Go checker of the language it defines.
type GrammarCase struct {
	Name    string
	GBNF    string
	Matches func(string) bool
	// Sample is one output the grammar accepts (the suite checks that Matches accepts it),
	// for scripted generators.
	Sample string
}

// Grammars are the grammars the suite checks output against.
var Grammars = []GrammarCase{
	{
		Name: "action-json",
		GBNF: `root ::= "{\"action\": \"" ("DA" | "CQ" | "AQ") "\", \"payoff\": " num "}"
num ::= "-"? [0-9] [0-9]? "." [0-9]`,
		Matches: regexp.MustCompile(`^\{"action": "(DA|CQ|AQ)", "payoff": -?[0-9][0-9]?\.[0-9]\}$`).MatchString,
		Sample:  `{"action": "CQ", "payoff": -12.5}`,
	},
	{
		Name:    "yes-no",
		GBNF:    `root ::= ("yes" | "no") "."`,
		Matches: func(s string) bool { return s == "yes." || s == "no." },
		Sample:  "no.",
	},
	{
		Name: "list",
		GBNF: `root ::= "[" item ("," item){0,3} "]"
item ::= [a-z]{1,4}`,
		Matches: regexp.MustCompile(`^\[[a-z]{1,4}(,[a-z]{1,4}){0,3}\]$`).MatchString,
		Sample:  "[ab,cdef,g]",
	},
}

// Run runs the suite. open returns a fresh generator over the same model each time it is
// called (the suite closes it); the model must have a chat template and a context of at
// least 256 tokens.
func Run(t *testing.T, open func(t *testing.T) inference.Generator) {
	g := open(t)
	defer g.Close()
	tests := []struct {
		name string
		f    func(*testing.T, inference.Generator)
	}{
		{"Info", testInfo},
		{"Tokenize", testTokenize},
		{"ChatPrompt", testChatPrompt},
		{"Deterministic", testDeterministic},
		{"PromptTokens", testPromptTokens},
		{"StreamEqualsResult", testStream},
		{"MaxTokens", testMaxTokens},
		{"StopString", testStop},
		{"Grammar", testGrammar},
		{"InvalidGrammar", testInvalidGrammar},
		{"InvalidRequest", testInvalidRequest},
		{"PromptTooLong", testTooLong},
		{"CancelStopsWithinOneToken", testCancel},
		{"CallbackErrorStops", testCallbackError},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, g) })
	}
	t.Run("Close", func(t *testing.T) { testClose(t, open(t)) })
}

func gen(t *testing.T, g inference.Generator, req inference.Request) (inference.Result, []inference.Token) {
	t.Helper()
	var toks []inference.Token
	res, err := g.Generate(context.Background(), req, func(tk inference.Token) error {
		toks = append(toks, tk)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%q): %v", req.Prompt, err)
	}
	return res, toks
}

// testPromptTokens: a prompt given as token ids (Request.Tokens) generates what the same
// prompt as text does; a continuation (prompt tokens + generated tokens + more) is accepted
// and its timings account for every prompt token; ids outside the vocabulary are rejected.
func testPromptTokens(t *testing.T, g inference.Generator) {
	toks, err := g.Tokenize(Prompt, true)
	if err != nil {
		t.Fatal(err)
	}
	byText, _ := gen(t, g, inference.Request{Prompt: Prompt, AddSpecial: true, MaxTokens: 8})
	byIDs, _ := gen(t, g, inference.Request{Prompt: Prompt, Tokens: toks, MaxTokens: 8})
	if byIDs.Text != byText.Text || byIDs.PromptTokens != len(toks) {
		t.Errorf("prompt as ids: %q (%d prompt tokens), as text: %q (%d)", byIDs.Text, byIDs.PromptTokens, byText.Text, len(toks))
	}
	more, err := g.Tokenize(" and", false)
	if err != nil {
		t.Fatal(err)
	}
	cont := append(append(append([]int32{}, toks...), byIDs.Tokens...), more...)
	res, _ := gen(t, g, inference.Request{Tokens: cont, MaxTokens: 4})
	if res.PromptTokens != len(cont) || res.Timings.CacheN+res.Timings.PromptN != len(cont) || res.Timings.CacheN > len(cont)-1 {
		t.Errorf("continuation of %d tokens: PromptTokens %d, cache_n %d + prompt_n %d", len(cont), res.PromptTokens, res.Timings.CacheN, res.Timings.PromptN)
	}
	for _, bad := range [][]int32{{-1}, {int32(g.Info().VocabSize)}} {
		_, err := g.Generate(context.Background(), inference.Request{Tokens: bad, MaxTokens: 1}, nil)
		if !errors.Is(err, inference.ErrInvalidRequest) {
			t.Errorf("Tokens %v: err = %v, want ErrInvalidRequest", bad, err)
		}
	}
}

func testInfo(t *testing.T, g inference.Generator) {
	info := g.Info()
	if info.VocabSize <= 0 || info.ContextSize < 256 || info.Slots < 1 {
		t.Errorf("Info() = %+v: want vocab > 0, context >= 256, slots >= 1", info)
	}
}

func testTokenize(t *testing.T, g inference.Generator) {
	for _, s := range []string{"hello world", "payoff (3, 2) vs (1, 1)", "é ✓ 日本語"} {
		toks, err := g.Tokenize(s, false)
		if err != nil {
			t.Fatalf("Tokenize(%q): %v", s, err)
		}
		if len(toks) == 0 {
			t.Errorf("Tokenize(%q) = no tokens", s)
		}
		again, err := g.Tokenize(s, false)
		if err != nil || !slices.Equal(again, toks) {
			t.Errorf("Tokenize(%q) twice: %v then %v (%v)", s, toks, again, err)
		}
		special, err := g.Tokenize(s, true)
		if err != nil {
			t.Fatalf("Tokenize(%q, addSpecial): %v", s, err)
		}
		if !containsRun(special, toks) {
			t.Errorf("Tokenize(%q, addSpecial) = %v does not contain the text's tokens %v", s, special, toks)
		}
	}
	if _, err := g.Tokenize("bad \xff utf8", false); !errors.Is(err, inference.ErrInvalidRequest) {
		t.Errorf("Tokenize(invalid UTF-8): err = %v, want ErrInvalidRequest", err)
	}
}

// containsRun reports whether sub occurs in s as a contiguous run.
func containsRun(s, sub []int32) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func testChatPrompt(t *testing.T, g inference.Generator) {
	conv := []inference.Message{
		{Role: "system", Content: "You play the row player."},
		{Role: "user", Content: "Cooperate or defect?"},
		{Role: "assistant", Content: "Cooperate."},
		{Role: "user", Content: "Why?"},
	}
	p, err := g.ChatPrompt(conv)
	if err != nil {
		t.Fatalf("ChatPrompt: %v", err)
	}
	for _, m := range conv {
		if !strings.Contains(p, m.Content) {
			t.Errorf("ChatPrompt = %q: %s turn %q missing", p, m.Role, m.Content)
		}
	}
	if again, err := g.ChatPrompt(conv); err != nil || again != p {
		t.Errorf("ChatPrompt twice: %q then %q (%v)", p, again, err)
	}
	gen(t, g, inference.Request{Prompt: p, MaxTokens: 2})
	for name, msgs := range map[string][]inference.Message{
		"no messages":   nil,
		"role tool":     {{Role: "tool", Content: "x"}},
		"empty role":    {{Role: "", Content: "x"}},
		"invalid UTF-8": {{Role: "user", Content: "bad \xff"}},
	} {
		if _, err := g.ChatPrompt(msgs); !errors.Is(err, inference.ErrInvalidRequest) {
			t.Errorf("ChatPrompt(%s): err = %v, want ErrInvalidRequest", name, err)
		}
	}
}

func testDeterministic(t *testing.T, g inference.Generator) {
	for _, s := range []inference.Sampling{{}, inference.DefaultSampling(7), {Temperature: 1.5, Seed: 3}} {
		req := inference.Request{Prompt: Prompt, MaxTokens: 16, Sampling: s, AddSpecial: true}
		a, _ := gen(t, g, req)
		b, _ := gen(t, g, req)
		if a.Text != b.Text || fmt.Sprint(a.Tokens) != fmt.Sprint(b.Tokens) {
			t.Errorf("sampling %+v: two runs differ:\n%q\n%q", s, a.Text, b.Text)
		}
	}
	// Different seeds at a high temperature should not all agree (a sampler that ignores
	// the seed fails this).
	texts := map[string]bool{}
	for seed := uint32(0); seed < 4; seed++ {
		r, _ := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 16, Sampling: inference.Sampling{Temperature: 2, Seed: seed}})
		texts[fmt.Sprint(r.Tokens)] = true
	}
	if len(texts) == 1 {
		t.Error("four seeds at temperature 2 gave identical outputs")
	}
}

func testStream(t *testing.T, g inference.Generator) {
	res, toks := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 24, Sampling: inference.Sampling{Temperature: 1, Seed: 11}})
	var sb strings.Builder
	for _, tk := range toks {
		if !utf8.ValidString(tk.Text) {
			t.Errorf("streamed token %d text %q is not valid UTF-8", tk.ID, tk.Text)
		}
		sb.WriteString(tk.Text)
	}
	if sb.String() != res.Text {
		t.Errorf("streamed text %q != result text %q", sb.String(), res.Text)
	}
	// One event per generated token, in order, plus at most one for the end-of-generation
	// token (carrying text held back until then).
	extra := len(toks) - len(res.Tokens)
	if extra < 0 || extra > 1 || (extra == 1 && res.StopReason != inference.StopEOG) {
		t.Errorf("%d streamed tokens for %d generated (stop %q)", len(toks), len(res.Tokens), res.StopReason)
	}
	for i := range min(len(toks), len(res.Tokens)) {
		if toks[i].ID != res.Tokens[i] {
			t.Errorf("streamed token %d is %d, result has %d", i, toks[i].ID, res.Tokens[i])
			break
		}
	}
	for _, special := range []bool{false, true} {
		r, _ := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 2, AddSpecial: special})
		toks, err := g.Tokenize(Prompt, special)
		if err != nil || r.PromptTokens != len(toks) {
			t.Errorf("AddSpecial %v: PromptTokens %d, Tokenize gives %d (%v)", special, r.PromptTokens, len(toks), err)
		}
	}
	tm := res.Timings
	if res.PromptTokens <= 0 || tm.PromptN+tm.CacheN != res.PromptTokens || tm.PredictedN < len(res.Tokens) || tm.PredictedN == 0 {
		t.Errorf("timings %+v inconsistent with %d prompt tokens, %d generated", tm, res.PromptTokens, len(res.Tokens))
	}
}

func testMaxTokens(t *testing.T, g inference.Generator) {
	for _, n := range []int{1, 5} {
		res, _ := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: n, Sampling: inference.Sampling{Temperature: 1, Seed: 5}})
		if len(res.Tokens) > n {
			t.Errorf("MaxTokens %d: %d tokens", n, len(res.Tokens))
		}
		if len(res.Tokens) == n && res.StopReason != inference.StopLength {
			t.Errorf("MaxTokens %d reached: StopReason %q, want %q", n, res.StopReason, inference.StopLength)
		}
	}
}

func testStop(t *testing.T, g inference.Generator) {
	// Find a stop string inside a greedy output, then check generation ends right before it.
	full, _ := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 40})
	text := full.Text
	if len(text) < 8 {
		t.Skipf("greedy output %q too short to pick a stop string", text)
	}
	// A stop string starting on a rune boundary in the middle of the text.
	i := len(text) / 2
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	stop := text[i:min(len(text), i+3)]
	for !utf8.ValidString(stop) {
		stop = stop[:len(stop)-1]
	}
	want := text[:strings.Index(text, stop)]
	res, toks := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 40, Stop: []string{"\x00never", stop}})
	if res.Text != want || res.StoppedBy != stop || res.StopReason != inference.StopString {
		t.Errorf("stop %q: text %q (StoppedBy %q, reason %q), want %q", stop, res.Text, res.StoppedBy, res.StopReason, want)
	}
	var sb strings.Builder
	for _, tk := range toks {
		sb.WriteString(tk.Text)
	}
	if strings.Contains(sb.String(), stop) {
		t.Errorf("streamed text %q contains the stop string %q", sb.String(), stop)
	}
}

func testGrammar(t *testing.T, g inference.Generator) {
	for _, gc := range Grammars {
		if !gc.Matches(gc.Sample) {
			t.Errorf("%s: the checker rejects the sample %q", gc.Name, gc.Sample)
		}
		for seed := uint32(0); seed < 6; seed++ {
			samplings := []inference.Sampling{{Temperature: 1, Seed: seed}, inference.DefaultSampling(seed)}
			if seed == 0 {
				samplings = append(samplings, inference.Sampling{})
			}
			for _, s := range samplings {
				res, _ := gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 64, Grammar: gc.GBNF, Sampling: s})
				if res.StopReason != inference.StopEOG {
					t.Errorf("%s seed %d: stop reason %q after %q, want the grammar to complete", gc.Name, seed, res.StopReason, res.Text)
					continue
				}
				if !gc.Matches(res.Text) {
					t.Errorf("%s seed %d %+v: output %q does not match the grammar", gc.Name, seed, s, res.Text)
				}
			}
		}
	}
}

func testInvalidGrammar(t *testing.T, g inference.Generator) {
	for _, bad := range []string{`root ::= "unterminated`, `root ::= missing-rule`, `nonsense`, `root ::= [z-a`} {
		_, err := g.Generate(context.Background(), inference.Request{Prompt: Prompt, MaxTokens: 4, Grammar: bad}, nil)
		if !errors.Is(err, inference.ErrInvalidGrammar) {
			t.Errorf("grammar %q: err = %v, want ErrInvalidGrammar", bad, err)
		}
	}
	// The generator still works.
	gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 2})
}

func testInvalidRequest(t *testing.T, g inference.Generator) {
	for name, req := range map[string]inference.Request{
		"invalid UTF-8": {Prompt: "abc \xc3\x28 def", MaxTokens: 2},
		"empty prompt":  {Prompt: "", MaxTokens: 2},
		"negative temp": {Prompt: Prompt, Sampling: inference.Sampling{Temperature: -1}},
		"top_p > 1":     {Prompt: Prompt, Sampling: inference.Sampling{TopP: 1.5}},
		"empty stop":    {Prompt: Prompt, Stop: []string{""}},
	} {
		_, err := g.Generate(context.Background(), req, nil)
		if !errors.Is(err, inference.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", name, err)
		}
	}
}

func testTooLong(t *testing.T, g inference.Generator) {
	n := g.Info().ContextSize
	long := strings.Repeat("payoff matrix ", n)
	_, err := g.Generate(context.Background(), inference.Request{Prompt: long, MaxTokens: 2}, nil)
	if !errors.Is(err, inference.ErrPromptTooLong) {
		t.Errorf("prompt of %d words in a %d-token context: err = %v, want ErrPromptTooLong", n*2, n, err)
	}
	gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 2})
}

func testCancel(t *testing.T, g inference.Generator) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const cancelAt = 3
	n, after := 0, 0
	res, err := g.Generate(ctx, inference.Request{Prompt: Prompt, MaxTokens: 200, Grammar: LongGrammar, Sampling: inference.Sampling{Temperature: 1, Seed: 1}},
		func(inference.Token) error {
			n++
			if n > cancelAt {
				after++
			}
			if n == cancelAt {
				cancel()
			}
			return nil
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled (after %d tokens)", err, n)
	}
	if after != 0 {
		t.Errorf("%d tokens delivered after cancellation", after)
	}
	if res.StopReason != inference.StopCancelled {
		t.Errorf("StopReason = %q, want %q", res.StopReason, inference.StopCancelled)
	}
	// An already-cancelled context generates nothing.
	calls := 0
	_, err = g.Generate(ctx, inference.Request{Prompt: Prompt, MaxTokens: 5}, func(inference.Token) error { calls++; return nil })
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("cancelled context: err %v, %d tokens", err, calls)
	}
	gen(t, g, inference.Request{Prompt: Prompt, MaxTokens: 2})
}

func testCallbackError(t *testing.T, g inference.Generator) {
	boom := errors.New("client went away")
	n := 0
	_, err := g.Generate(context.Background(), inference.Request{Prompt: Prompt, MaxTokens: 100, Grammar: LongGrammar, Sampling: inference.Sampling{Temperature: 1, Seed: 2}},
		func(inference.Token) error {
			n++
			if n == 2 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) || n != 2 {
		t.Errorf("err = %v after %d callbacks, want %v after 2", err, n, boom)
	}
}

func testConcurrent(t *testing.T, g inference.Generator) {
	req := func(i int) inference.Request {
		return inference.Request{Prompt: fmt.Sprintf("%s %d", Prompt, i), MaxTokens: 12, Sampling: inference.Sampling{Temperature: 0.8, TopK: 40, Seed: uint32(i)}}
	}
	want := make([]string, 4)
	for i := range want {
		r, _ := gen(t, g, req(i))
		want[i] = fmt.Sprint(r.Tokens)
	}
	var wg sync.WaitGroup
	got := make([]string, len(want))
	errs := make([]error, len(want))
	for i := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := g.Generate(context.Background(), req(i), nil)
			got[i], errs[i] = fmt.Sprint(r.Tokens), err
		}()
	}
	// Grammar-constrained requests running beside each other (each slot has its own grammar
	// state) still match their grammars.
	gerrs := make([]string, len(Grammars))
	for i, gc := range Grammars {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := g.Generate(context.Background(), inference.Request{Prompt: Prompt, MaxTokens: 64, Grammar: gc.GBNF, Sampling: inference.DefaultSampling(uint32(i))}, nil)
			switch {
			case err != nil:
				gerrs[i] = err.Error()
			case !gc.Matches(r.Text):
				gerrs[i] = fmt.Sprintf("output %q does not match", r.Text)
			}
		}()
	}
	wg.Wait()
	for i, e := range gerrs {
		if e != "" {
			t.Errorf("concurrent grammar %s: %s", Grammars[i].Name, e)
		}
	}
	for i := range want {
		if errs[i] != nil {
			t.Errorf("request %d: %v", i, errs[i])
		} else if got[i] != want[i] && g.Info().Slots == 1 {
			// With one slot, requests run one after another and must match exactly; with
			// several, batched kernels may round differently (checked by engine tests).
			t.Errorf("request %d concurrently: %s, alone: %s", i, got[i], want[i])
		}
	}
}

func testClose(t *testing.T, g inference.Generator) {
	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err := g.Generate(context.Background(), inference.Request{Prompt: Prompt, MaxTokens: 2}, nil)
	if !errors.Is(err, inference.ErrClosed) {
		t.Errorf("Generate after Close: err = %v, want ErrClosed", err)
	}
	if _, err := g.ChatPrompt([]inference.Message{{Role: "user", Content: "hi"}}); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("ChatPrompt after Close: err = %v, want ErrClosed", err)
	}
	if _, err := g.Tokenize(Prompt, false); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("Tokenize after Close: err = %v, want ErrClosed", err)
	}
}

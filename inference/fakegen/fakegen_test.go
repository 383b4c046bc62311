package fakegen_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
)

// collect runs req and returns the result, the streamed events and the error.
func collect(g *fakegen.Generator, req inference.Request) (inference.Result, []inference.Token, error) {
	var evs []inference.Token
	res, err := g.Generate(context.Background(), req, func(t inference.Token) error {
		evs = append(evs, t)
		return nil
	})
	return res, evs, err
}

func texts(evs []inference.Token) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Text
	}
	return out
}

func TestStreaming(t *testing.T) {
	tests := []struct {
		name      string
		ctxSize   int
		reply     string
		req       inference.Request
		events    []string // streamed texts
		text      string
		tokens    int
		reason    string
		stoppedBy string
	}{
		{name: "plain", reply: "héllo", req: inference.Request{Prompt: "p"},
			events: []string{"h", "é", "l", "l", "o"}, text: "héllo", tokens: 5, reason: inference.StopEOG},
		{name: "max tokens", reply: "abcdef", req: inference.Request{Prompt: "p", MaxTokens: 3},
			events: []string{"a", "b", "c"}, text: "abc", tokens: 3, reason: inference.StopLength},
		{name: "stop string", reply: "one. two", req: inference.Request{Prompt: "p", Stop: []string{". "}},
			events: []string{"o", "n", "e", "", ""}, text: "one", tokens: 5, reason: inference.StopString, stoppedBy: ". "},
		{name: "earliest stop wins", reply: "xabcd", req: inference.Request{Prompt: "p", Stop: []string{"cd", "ab"}},
			events: []string{"x", "", ""}, text: "x", tokens: 3, reason: inference.StopString, stoppedBy: "ab"},
		{name: "possible stop held, then released", reply: "ab<|endx", req: inference.Request{Prompt: "p", Stop: []string{"<|end|>"}},
			events: []string{"a", "b", "", "", "", "", "", "<|endx"}, text: "ab<|endx", tokens: 8, reason: inference.StopEOG},
		{name: "held text ends with EOS", reply: "ab<|", req: inference.Request{Prompt: "p", Stop: []string{"<|end|>"}},
			events: []string{"a", "b", "", "", "<|"}, text: "ab<|", tokens: 4, reason: inference.StopEOG},
		{name: "held text flushed at max tokens", reply: "ab<|end|>", req: inference.Request{Prompt: "p", MaxTokens: 3, Stop: []string{"<|end|>"}},
			events: []string{"a", "b", "<"}, text: "ab<", tokens: 3, reason: inference.StopLength},
		{name: "context full", ctxSize: 8, reply: "0123456789", req: inference.Request{Prompt: "abc"},
			events: []string{"0", "1", "2", "3", "4"}, text: "01234", tokens: 5, reason: inference.StopLength},
		{name: "empty reply", reply: "", req: inference.Request{Prompt: "p"},
			events: []string{}, text: "", tokens: 0, reason: inference.StopEOG},
		{name: "invalid UTF-8 in the script", reply: "a\xffb", req: inference.Request{Prompt: "p"},
			events: []string{"a", "\uFFFD", "b"}, text: "a\uFFFDb", tokens: 3, reason: inference.StopEOG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fakegen.New(fakegen.Replies(tt.reply), &fakegen.Options{ContextSize: tt.ctxSize})
			res, evs, err := collect(g, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := texts(evs); !slices.Equal(got, tt.events) {
				t.Errorf("streamed %q, want %q", got, tt.events)
			}
			if res.Text != tt.text || len(res.Tokens) != tt.tokens || res.StopReason != tt.reason || res.StoppedBy != tt.stoppedBy {
				t.Errorf("result text %q, %d tokens, reason %q, stopped by %q; want %q, %d, %q, %q",
					res.Text, len(res.Tokens), res.StopReason, res.StoppedBy, tt.text, tt.tokens, tt.reason, tt.stoppedBy)
			}
			for i, tok := range res.Tokens {
				if evs[i].ID != tok {
					t.Errorf("event %d has token %d, result %d", i, evs[i].ID, tok)
				}
			}
			if len(evs) > len(res.Tokens) && evs[len(evs)-1].ID != fakegen.EOS {
				t.Errorf("extra event %+v is not EOS", evs[len(evs)-1])
			}
			wantPredicted := len(res.Tokens)
			if res.StopReason == inference.StopEOG && res.StoppedBy == "" {
				wantPredicted++ // the EOS
			}
			if res.Timings.PredictedN != wantPredicted {
				t.Errorf("PredictedN %d, want %d", res.Timings.PredictedN, wantPredicted)
			}
		})
	}
}

// TestCacheN: CacheN is the common prefix of the prompt with the previous request's prompt
// and output, leaving at least one prompt token to process.
func TestCacheN(t *testing.T) {
	steps := []struct {
		prompt  string
		special bool
		reply   string
		cacheN  int
	}{
		{prompt: "abc", reply: "de", cacheN: 0},
		{prompt: "abcdefg", reply: "h", cacheN: 5},  // extends "abc"+"de"
		{prompt: "abcdefgh", reply: "i", cacheN: 7}, // all of the previous prompt and output but the last token
		{prompt: "abcdefghi", reply: "", cacheN: 8}, // capped: one prompt token is processed
		{prompt: "abcX", reply: "y", cacheN: 3},     // diverges after "abc"
		{prompt: "abcX", special: true, cacheN: 0},  // BOS first: nothing in common
		{prompt: "abcX", special: true, cacheN: 4},  // same prompt again: all but the last token
		{prompt: "zzz", reply: "", cacheN: 0},       // unrelated
		{prompt: "zzz", reply: "", cacheN: 2},       // the empty reply left "zzz" cached
	}
	replies := make([]string, len(steps))
	for i, s := range steps {
		replies[i] = s.reply
	}
	g := fakegen.New(fakegen.Replies(replies...), nil)
	for i, s := range steps {
		res, _, err := collect(g, inference.Request{Prompt: s.prompt, AddSpecial: s.special})
		if err != nil {
			t.Fatal(err)
		}
		want := len([]rune(s.prompt))
		if s.special {
			want++
		}
		tm := res.Timings
		if tm.CacheN != s.cacheN || tm.PromptN != want-s.cacheN || res.PromptTokens != want {
			t.Errorf("step %d (%q after the previous): CacheN %d PromptN %d PromptTokens %d, want %d %d %d",
				i, s.prompt, tm.CacheN, tm.PromptN, res.PromptTokens, s.cacheN, want-s.cacheN, want)
		}
	}
}

func TestReplies(t *testing.T) {
	g := fakegen.New(fakegen.Replies("first", "second"), nil)
	for _, want := range []string{"first", "second"} {
		res, _, err := collect(g, inference.Request{Prompt: "p"})
		if err != nil || res.Text != want {
			t.Errorf("Generate = %q, %v; want %q", res.Text, err, want)
		}
	}
	if _, _, err := collect(g, inference.Request{Prompt: "p"}); !errors.Is(err, fakegen.ErrExhausted) {
		t.Errorf("third request: err = %v, want ErrExhausted", err)
	}
}

// TestRequests: every request is recorded, rejected ones included, and rejected requests do
// not consume a reply.
func TestRequests(t *testing.T) {
	g := fakegen.New(fakegen.Replies("ok"), nil)
	reqs := []inference.Request{
		{Prompt: "bad grammar", Grammar: `root ::= "unterminated`},
		{Prompt: ""},
		{Prompt: "good", Grammar: `root ::= "yes" | "no"`, Stop: []string{"\n"}, Sampling: inference.DefaultSampling(4)},
	}
	wantErr := []error{inference.ErrInvalidGrammar, inference.ErrInvalidRequest, nil}
	for i, r := range reqs {
		res, _, err := collect(g, r)
		if !errors.Is(err, wantErr[i]) || (err == nil && res.Text != "ok") {
			t.Errorf("request %d: %q, %v; want err %v", i, res.Text, err, wantErr[i])
		}
	}
	got := g.Requests()
	if len(got) != len(reqs) {
		t.Fatalf("Requests() has %d, want %d", len(got), len(reqs))
	}
	for i := range reqs {
		if fmt.Sprint(got[i]) != fmt.Sprint(reqs[i]) {
			t.Errorf("Requests()[%d] = %+v, want %+v", i, got[i], reqs[i])
		}
	}
	got[2].Stop[0] = "changed"
	if g.Requests()[2].Stop[0] != "\n" {
		t.Error("Requests() shares its Stop slices with the caller")
	}
}

// TestGrammarNotEnforced: a valid grammar is accepted and the scripted reply comes back as
// it is, even where the grammar rejects it.
func TestGrammarNotEnforced(t *testing.T) {
	g := fakegen.New(fakegen.Replies("maybe"), nil)
	res, _, err := collect(g, inference.Request{Prompt: "p", Grammar: `root ::= "yes" | "no"`})
	if err != nil || res.Text != "maybe" || res.StopReason != inference.StopEOG {
		t.Errorf("Generate = %q (%q), %v; want the scripted %q", res.Text, res.StopReason, err, "maybe")
	}
}

func TestScriptError(t *testing.T) {
	boom := fmt.Errorf("%w: scripted", inference.ErrPromptTooLong)
	g := fakegen.New(func(inference.Request) (string, error) { return "", boom }, nil)
	if _, _, err := collect(g, inference.Request{Prompt: "p"}); err != boom {
		t.Errorf("err = %v, want the script's %v", err, boom)
	}
}

func TestTokenize(t *testing.T) {
	g := fakegen.New(fakegen.Replies(), nil)
	for _, tt := range []struct {
		text    string
		special bool
		want    []int32
	}{
		{"", false, []int32{}},
		{"", true, []int32{fakegen.BOS}},
		{"aé", false, []int32{'a', 'é'}},
		{"aé日", true, []int32{fakegen.BOS, 'a', 'é', '日'}},
	} {
		got, err := g.Tokenize(tt.text, tt.special)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q, %v) = %v, %v; want %v", tt.text, tt.special, got, err, tt.want)
		}
	}
}

func TestChatPrompt(t *testing.T) {
	g := fakegen.New(fakegen.Replies(), nil)
	got, err := g.ChatPrompt([]inference.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Defect?"}})
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nDefect?<|im_end|>\n<|im_start|>assistant\n"
	if err != nil || got != want {
		t.Errorf("ChatPrompt = %q, %v; want %q", got, err, want)
	}
}

// TestClose: Close stops a running generation before its next token and fails waiting and
// later calls with ErrClosed.
func TestClose(t *testing.T) {
	g := fakegen.New(fakegen.Replies("abcdef", "never"), nil)
	inside := make(chan struct{})
	proceed := make(chan struct{})
	var res inference.Result
	var err error
	var n int
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err = g.Generate(context.Background(), inference.Request{Prompt: "p"}, func(inference.Token) error {
			n++
			if n == 2 {
				close(inside)
				<-proceed
			}
			return nil
		})
	}()
	<-inside
	waiting := make(chan error, 1)
	go func() {
		_, err := g.Generate(context.Background(), inference.Request{Prompt: "q"}, nil)
		waiting <- err
	}()
	g.Close()
	close(proceed)
	<-done
	if !errors.Is(err, inference.ErrClosed) || n != 2 || res.Text != "ab" || res.StopReason != inference.StopCancelled {
		t.Errorf("running request: %q (%q) after %d tokens, err %v; want %q after 2, ErrClosed", res.Text, res.StopReason, n, err, "ab")
	}
	if err := <-waiting; !errors.Is(err, inference.ErrClosed) {
		t.Errorf("waiting request: err = %v, want ErrClosed", err)
	}
}

// TestOneSlot: concurrent requests run one at a time, and a request cancelled while it waits
// for the slot never reaches the script.
func TestOneSlot(t *testing.T) {
	var running, most atomic.Int32
	var calls atomic.Int32
	gate, started := make(chan struct{}), make(chan struct{})
	g := fakegen.New(func(req inference.Request) (string, error) {
		calls.Add(1)
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if req.Prompt == "first" {
			close(started)
			<-gate
		}
		return "ok", nil
	}, nil)
	first := make(chan error, 1)
	go func() {
		_, err := g.Generate(context.Background(), inference.Request{Prompt: "first"}, nil)
		first <- err
	}()
	<-started // the first request holds the slot
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() {
		_, err := g.Generate(ctx, inference.Request{Prompt: "cancelled"}, nil)
		cancelled <- err
	}()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("request cancelled while waiting: err = %v", err)
	}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := g.Generate(context.Background(), inference.Request{Prompt: fmt.Sprint(i)}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if most.Load() != 1 || calls.Load() != 7 {
		t.Errorf("%d script calls at most %d at once; want 7 calls, one at a time", calls.Load(), most.Load())
	}
}

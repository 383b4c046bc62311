package main

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
)

// fakeEngines returns n generators that log their calls ("A32": engine A, 32 tokens asked)
// and take wait each; cut makes engine i report a request cut off during its prompt.
func fakeEngines(n int, wait time.Duration, cut map[int]bool, log *[]string) []generate {
	out := make([]generate, n)
	for i := range out {
		out[i] = func(ctx context.Context, req inference.Request) (inference.Result, error) {
			*log = append(*log, string(rune('A'+i))+strconv.Itoa(req.MaxTokens))
			time.Sleep(wait)
			if cut[i] {
				return inference.Result{Timings: inference.Timings{PromptN: 8}}, context.DeadlineExceeded
			}
			return inference.Result{Timings: inference.Timings{PromptN: 64, PromptMS: 0.1, PredictedN: req.MaxTokens, PredictedMS: 0.5}}, nil
		}
	}
	return out
}

// runs returns the engines of log in the order of their turns: "ABCA" for A, B, C, A.
func runs(log []string) string {
	var b strings.Builder
	for i, l := range log {
		if i == 0 || l[0] != log[i-1][0] {
			b.WriteByte(l[0])
		}
	}
	return b.String()
}

func TestMeasureRound(t *testing.T) {
	prompt := func() string { return "p" }
	const minTime = 12 * time.Millisecond
	t.Run("turns interleave", func(t *testing.T) {
		var log []string
		ss, err := measureRound(context.Background(), fakeEngines(3, time.Millisecond, nil, &log), []int{2, 0, 1}, prompt, 32, time.Second, minTime, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := runs(log); !strings.HasPrefix(got, "CABCAB") {
			t.Errorf("turns %s, want one request each in the order C A B", got)
		}
		for i, s := range ss {
			var asked, topUps int
			for _, l := range log {
				switch {
				case l[0] != byte('A'+i):
				case l[1:] == "32":
					asked++
				case l[1:] == "1":
					topUps++
				}
			}
			// The fake's prompts take 0.1 ms: minTime of prompts needs prompt-only requests,
			// whose token is not counted.
			if topUps == 0 {
				t.Errorf("engine %d: no prompt-only requests", i)
			}
			if s.genN != 32*asked || s.promptN != 64*(asked+topUps) {
				t.Errorf("engine %d: %d generated, %d prompt tokens; want %d and %d", i, s.genN, s.promptN, 32*asked, 64*(asked+topUps))
			}
			if math.Abs(s.gen-64_000) > 1e-6 || math.Abs(s.prompt-640_000) > 1e-6 {
				t.Errorf("engine %d: rates %.0f, %.0f", i, s.prompt, s.gen)
			}
		}
	})
	t.Run("slice of min-time: one turn each", func(t *testing.T) {
		var log []string
		if _, err := measureRound(context.Background(), fakeEngines(3, time.Millisecond, nil, &log), []int{1, 2, 0}, prompt, 32, time.Second, minTime, time.Hour); err != nil {
			t.Fatal(err)
		}
		if got := runs(log); got != "BCA" {
			t.Errorf("turns %s, want BCA", got)
		}
	})
	t.Run("a cut request counts the limit and ends the measurement", func(t *testing.T) {
		var log []string
		ss, err := measureRound(context.Background(), fakeEngines(2, 7*time.Millisecond, map[int]bool{1: true}, &log), []int{0, 1}, prompt, 32, 50*time.Millisecond, minTime, 0)
		if err != nil {
			t.Fatal(err)
		}
		// B's two cut requests reach minTime (each 7 ms); each counts 50 ms of prompt.
		if s := ss[1]; s.gen != 0 || s.promptMS != 100 || s.promptN != 16 {
			t.Errorf("cut engine: %+v", s)
		}
		if ss[0].gen == 0 {
			t.Error("the other engine was not measured")
		}
	})
	t.Run("errors", func(t *testing.T) {
		boom := errors.New("boom")
		failing := []generate{func(context.Context, inference.Request) (inference.Result, error) { return inference.Result{}, boom }}
		if _, err := measureRound(context.Background(), failing, []int{0}, prompt, 32, time.Second, minTime, 0); !errors.Is(err, boom) {
			t.Errorf("err %v, want boom", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var log []string
		if _, err := measureRound(ctx, fakeEngines(1, 0, nil, &log), []int{0}, prompt, 32, time.Second, minTime, 0); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: err %v", err)
		}
	})
}

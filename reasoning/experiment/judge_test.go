package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/reasoning/gtalign"
)

func TestJudgeScore(t *testing.T) {
	for _, tt := range []struct {
		out   string
		score int
		ok    bool
	}{
		{"7", 7, true},
		{"10", 10, true},
		{"1", 1, true},
		{"Score: 8/10", 8, true},
		{" I'd say 3.", 3, true},
		{"0", 0, false},
		{"11", 0, false},
		{"excellent", 0, false},
		{"", 0, false},
		{"99999999999999999999999", 0, false},
	} {
		score, ok := JudgeScore(tt.out, JudgeScale)
		if score != tt.score || ok != tt.ok {
			t.Errorf("JudgeScore(%q) = %d, %v; want %d, %v", tt.out, score, ok, tt.score, tt.ok)
		}
	}
	for _, tt := range []struct {
		score int
		want  float64
	}{{1, 0}, {10, 1}, {7, 0.6667}, {9, 0.8889}} {
		if got := JudgeQuality(tt.score, JudgeScale); got != tt.want {
			t.Errorf("JudgeQuality(%d) = %v, want %v", tt.score, got, tt.want)
		}
	}
}

func TestJudgePrompt(t *testing.T) {
	c := &GtalignConfig{}
	if err := c.SetJudge(JudgeRef{Name: "j"}, fakegen.New(fakegen.Replies(), nil)); err != nil {
		t.Fatal(err)
	}
	with := c.Judge.JudgePrompt("What is 2+2?", "4.", "Four.")
	without := c.Judge.JudgePrompt("Help me.", "", "With what?")
	for _, tt := range []struct {
		got, want string
		has       bool
	}{
		{with, "Request:\nWhat is 2+2?\n", true},
		{with, "A correct reference answer, for comparison:\n4.\n", true},
		{with, "Assistant's answer:\nFour.\n", true},
		{without, "reference", false},
		{without, "Request:\nHelp me.\n\nAssistant's answer:\nWith what?\n", true},
		{with, "{", false},
	} {
		if strings.Contains(tt.got, tt.want) != tt.has {
			t.Errorf("prompt %q: contains %q is %v", tt.got, tt.want, !tt.has)
		}
	}
	for _, tt := range []struct {
		ref  JudgeRef
		gen  inference.Generator
		want string
	}{
		{JudgeRef{Name: "j"}, nil, "no generator"},
		{JudgeRef{}, fakegen.New(fakegen.Replies(), nil), "no name"},
		{JudgeRef{Name: "j", Rubric: "Rate {response}."}, fakegen.New(fakegen.Replies(), nil), "no {question}"},
		{JudgeRef{Name: "j", Scale: 1}, fakegen.New(fakegen.Replies(), nil), "scale 1"},
	} {
		if err := (&GtalignConfig{}).SetJudge(tt.ref, tt.gen); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetJudge(%+v): %v; want %q", tt.ref, err, tt.want)
		}
	}
}

// The judge's score is A: a scripted judge scores the answers to the prompt with a reference
// 9 and answers the other without a number; the records keep its output, score and model
// hash, the welfare terms use A = 8/9 where it scored and no A where it did not, and the
// summary says where A came from. Report reproduces it from the records.
func TestExperimentGtalignJudge(t *testing.T) {
	c, err := NewGtalignConfig("testdata/prompts_small.jsonl", []string{"../../configs/pricing.toml", "../../configs/experiments/pricing_provider.toml"}, "welfare", nil, 1, 2, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.SetLimits(limitsForTest, 0)
	judge := fakegen.New(func(req inference.Request) (string, error) {
		if strings.Contains(req.Prompt, "What is the capital of France?") {
			return "9", nil
		}
		return "excellent", nil
	}, nil)
	if err := c.SetJudge(JudgeRef{Name: "fake", ModelSHA256: "abc123", Model: "scripted"}, judge); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := RunGtalign(context.Background(), tiny(t), c, Options{Dir: dir, ModelSHA256: "m"}); err != nil {
		t.Fatal(err)
	}
	sum := checkOutput(t, dir, 4, "action_distribution")
	recs, err := readRecords(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := decodeRecords[GtalignRecord](recs)
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	scored, unscored := 0, 0
	for _, r := range rs {
		v := r.Judge
		if v == nil || v.Name != "fake" || v.ModelSHA256 != "abc123" || r.QualitySource != QualityJudge {
			t.Fatalf("record %s: judge %+v, source %q", r.ID, v, r.QualitySource)
		}
		if (r.Overlap != nil) != (r.PromptID == "capital") {
			t.Errorf("record %s: overlap %v", r.ID, r.Overlap)
		}
		var want *float64
		switch {
		case strings.TrimSpace(r.Response) == "":
			a := 0.0
			want = &a
			if v.Output != "" || v.Score != nil || !strings.Contains(v.Error, "empty response") {
				t.Errorf("record %s: empty response judged %+v", r.ID, v)
			}
		case r.PromptID == "capital":
			asked++
			scored++
			a := 0.8889
			want = &a
			if v.Output != "9" || v.Score == nil || *v.Score != 9 || v.Error != "" || v.PromptTokens == 0 || v.CompletionTokens < 1 {
				t.Errorf("record %s: verdict %+v", r.ID, v)
			}
		default:
			asked++
			unscored++
			if v.Output != "excellent" || v.Score != nil || !strings.Contains(v.Error, "no score from 1 to 10") {
				t.Errorf("record %s: verdict %+v", r.ID, v)
			}
		}
		if fmt.Sprint(deref(r.Quality)) != fmt.Sprint(deref(want)) {
			t.Errorf("record %s: A %v, want %v", r.ID, deref(r.Quality), deref(want))
		}
		s, err := gtalign.ScoreTranscript(c.game, r.Transcript, want)
		if err != nil || fmt.Sprint(mustMarshal(t, s)) != fmt.Sprint(mustMarshal(t, r.Score)) {
			t.Errorf("record %s: score %+v, want %+v (%v)", r.ID, r.Score, s, err)
		}
	}
	reqs := judge.Requests()
	if len(reqs) != asked {
		t.Fatalf("the judge got %d requests, want %d", len(reqs), asked)
	}
	refs := 0
	for _, q := range reqs {
		if q.Grammar != JudgeGrammar || q.Sampling.Temperature != 0 || q.MaxTokens != judgeMaxTokens {
			t.Errorf("judge request: grammar %q, temperature %v, max tokens %d", q.Grammar, q.Sampling.Temperature, q.MaxTokens)
		}
		if strings.Contains(q.Prompt, "A correct reference answer, for comparison:\nParis is the capital of France.") {
			refs++
		}
	}
	if refs != scored {
		t.Errorf("%d judge prompts show the reference, want %d", refs, scored)
	}
	for _, want := range []string{"Answer quality A: the judge model fake (scripted, SHA-256 `abc123`).",
		fmt.Sprintf("The judge scored %d of 4 runs", scored)} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	if unscored > 0 && !strings.Contains(sum, fmt.Sprintf("In %d runs its answer held no score", unscored)) {
		t.Errorf("summary does not count the runs without a score:\n%s", sum)
	}
	if scored > 0 && !strings.Contains(sum, fmt.Sprintf("Over the %d judged runs with a reference answer: mean judge A 0.8889", scored)) {
		t.Errorf("summary does not compare the judge with the overlap:\n%s", sum)
	}

	// The judge is part of the parameters: another judge does not resume this directory, and
	// a configuration naming a judge without its generator does not run.
	c2, _ := NewGtalignConfig("testdata/prompts_small.jsonl", []string{"../../configs/pricing.toml", "../../configs/experiments/pricing_provider.toml"}, "welfare", nil, 1, 2, 0.8)
	c2.SetLimits(limitsForTest, 0)
	if err := c2.SetJudge(JudgeRef{Name: "other", ModelSHA256: "abc123", Model: "scripted"}, judge); err != nil {
		t.Fatal(err)
	}
	if _, err := RunGtalign(context.Background(), judge, c2, Options{Dir: dir, ModelSHA256: "m", Resume: true}); !errors.Is(err, ErrOutDir) {
		t.Errorf("another judge: %v", err)
	}
	c2.judge = nil
	if _, err := RunGtalign(context.Background(), judge, c2, Options{Dir: t.TempDir()}); !errors.Is(err, ErrInput) {
		t.Errorf("a judge without a generator: %v", err)
	}
}

// Without a judge and without reference answers the summary says there is no A.
func TestExperimentGtalignNoQuality(t *testing.T) {
	c, err := NewGtalignConfig("testdata/prompts_noref.jsonl", nil, "welfare", nil, 1, 2, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.SetLimits(limitsForTest, 0)
	dir := t.TempDir()
	if _, err := RunGtalign(context.Background(), tiny(t), c, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sum := checkOutput(t, dir, 1, "action_distribution")
	for _, want := range []string{"Answer quality A: none (no judge model, no reference answers)", "| none | 0 of 1 | – |", "There is no answer quality A"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExperimentGtalignRetries: a model that takes no grammar and never writes a payoff
// matrix; each record keeps the pipeline's retries, and the summary (recomputed by report
// from the records) says how many there were.
func TestExperimentGtalignRetries(t *testing.T) {
	c, err := NewGtalignConfig("testdata/prompts_noref.jsonl", nil, "welfare", nil, 1, 2, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.SetLimits(limitsForTest, 0)
	gen := fakegen.New(func(inference.Request) (string, error) { return "I would rather just answer.", nil }, &fakegen.Options{NoGrammar: true})
	dir := t.TempDir()
	if _, err := RunGtalign(context.Background(), gen, c, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sum := checkOutput(t, dir, 1, "action_distribution")
	recs, err := readRecords(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := decodeRecords[GtalignRecord](recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.ParseOK || r.Retries != 2 || !strings.Contains(r.ParseError, "3 attempts did not parse") {
			t.Errorf("record %s: parse_ok %v, retries %d, error %q", r.ID, r.ParseOK, r.Retries, r.ParseError)
		}
	}
	if want := fmt.Sprintf("pass 1 was retried %d times, and 0 of %d runs needed a tolerant reading", 2*len(rs), len(rs)); !strings.Contains(sum, want) {
		t.Errorf("summary lacks %q:\n%s", want, sum)
	}
}

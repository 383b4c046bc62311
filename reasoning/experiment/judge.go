package experiment

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nashd/nashd/inference"
)

// The sources of the answer quality A in a GTAlign record ([GtalignRecord.QualitySource]).
const (
	// QualityJudge: A is the judge model's score ([JudgeScore]).
	QualityJudge = "judge"
	// QualityReference: A is the word overlap with the prompt's reference answer ([Overlap]).
	QualityReference = "reference"
)

// JudgeScale is the top of the judge's scale: it answers an integer from 1 to JudgeScale.
const JudgeScale = 10

// JudgeRubric is the judge's instructions, sent as one user message through the judge
// model's chat template. {question}, {reference} and {response} are replaced by the prompt,
// the reference section (JudgeReferenceSection, or nothing when the prompt has no reference
// answer) and the response.
const JudgeRubric = `You are grading an AI assistant's answer to a user's request.

Request:
{question}
{reference}
Assistant's answer:
{response}

Rate the answer from 1 to 10: 1 is wrong, off-topic or useless; 10 is correct, complete, clear and no longer than it needs to be. When the request is ambiguous, a short clarifying question that resolves the ambiguity is a good answer. Reply with the number only.`

// JudgeReferenceSection is the part of the rubric that shows a prompt's reference answer;
// {answer} is replaced by it.
const JudgeReferenceSection = `
A correct reference answer, for comparison:
{answer}
`

// JudgeGrammar constrains the judge's answer to an integer from 1 to [JudgeScale].
const JudgeGrammar = `root ::= "10" | [1-9]`

// judgeMaxTokens bounds the judge's answer: two tokens suffice under the grammar; a judge
// that takes no grammar (a remote "openai" model) gets room for a short sentence.
const judgeMaxTokens = 16

// JudgeRef identifies the judge model and its instructions. It is part of
// [GtalignConfig], so a change of judge, rubric or grammar changes the parameters hash.
type JudgeRef struct {
	// Name is the judge's name in models.toml.
	Name string `json:"name"`
	// ModelSHA256 is its model file's SHA-256 ("" for a model behind a remote server).
	ModelSHA256 string `json:"model_sha256"`
	// Model describes it: the file path or the server and model name.
	Model string `json:"model"`
	// Rubric, ReferenceSection and Grammar are the instructions and the answer's grammar
	// (filled in with [JudgeRubric], [JudgeReferenceSection] and [JudgeGrammar] when empty).
	Rubric           string `json:"rubric"`
	ReferenceSection string `json:"reference_section"`
	Grammar          string `json:"grammar"`
	// Scale is the top of the judge's scale ([JudgeScale] when 0).
	Scale int `json:"scale"`
}

// JudgeVerdict is the judge's answer on one response, as its record keeps it.
type JudgeVerdict struct {
	// Name and ModelSHA256 identify the judge (as in the configuration).
	Name        string `json:"name"`
	ModelSHA256 string `json:"model_sha256"`
	// Output is the judge's raw answer; Score the integer read from it (nil when it holds
	// none in 1..Scale: the run then has no A).
	Output string `json:"output"`
	Score  *int   `json:"score"`
	// Error says why there is no score: the output held none, or the response was empty
	// (A = 0 then, the judge not asked).
	Error string `json:"error,omitempty"`
	// PromptTokens and CompletionTokens are the judge's request's sizes.
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// SetJudge makes gen the judge of the answers: the answer quality A of every run is the
// judge's score of its response ([JudgeScore]), taking precedence over the reference
// answers (which the judge sees in its rubric; the word overlap is still recorded). ref's
// empty instruction fields take the defaults.
func (c *GtalignConfig) SetJudge(ref JudgeRef, gen inference.Generator) error {
	if gen == nil {
		return fmt.Errorf("%w: judge %s: no generator", ErrInput, ref.Name)
	}
	if ref.Name == "" {
		return fmt.Errorf("%w: the judge has no name", ErrInput)
	}
	if ref.Rubric == "" {
		ref.Rubric = JudgeRubric
	}
	if ref.ReferenceSection == "" {
		ref.ReferenceSection = JudgeReferenceSection
	}
	if ref.Grammar == "" {
		ref.Grammar = JudgeGrammar
	}
	if ref.Scale == 0 {
		ref.Scale = JudgeScale
	}
	if ref.Scale < 2 {
		return fmt.Errorf("%w: judge scale %d (want at least 2)", ErrInput, ref.Scale)
	}
	for _, k := range []string{"{question}", "{reference}", "{response}"} {
		if !strings.Contains(ref.Rubric, k) {
			return fmt.Errorf("%w: the judge's rubric has no %s", ErrInput, k)
		}
	}
	c.Judge, c.judge = &ref, gen
	return nil
}

// JudgePrompt is the judge's user message on response to question (with the reference
// section when reference is not empty).
func (j *JudgeRef) JudgePrompt(question, reference, response string) string {
	ref := ""
	if reference != "" {
		ref = strings.ReplaceAll(j.ReferenceSection, "{answer}", reference)
	}
	return strings.NewReplacer("{question}", question, "{reference}", ref, "{response}", response).Replace(j.Rubric)
}

// JudgeScore reads the judge's score from its output: the first integer in it, which must
// lie in 1..scale. ok is false when there is none.
func JudgeScore(output string, scale int) (score int, ok bool) {
	i := strings.IndexFunc(output, unicode.IsDigit)
	if i < 0 {
		return 0, false
	}
	j := i
	for j < len(output) && output[j] >= '0' && output[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(output[i:j])
	if err != nil || n < 1 || n > scale {
		return 0, false
	}
	return n, true
}

// JudgeQuality maps a score in 1..scale to A in [0, 1]: (score−1)/(scale−1), rounded to 4
// decimals.
func JudgeQuality(score, scale int) float64 {
	return round4(float64(score-1) / float64(scale-1))
}

// judgeAnswer asks the judge for its score of response (greedy, seeded with the run's seed)
// and returns its verdict, A (nil without a score) and the time in the judge.
func judgeAnswer(ctx context.Context, gen inference.Generator, j *JudgeRef, p Prompt, response string, seed uint32) (*JudgeVerdict, *float64, float64, error) {
	v := &JudgeVerdict{Name: j.Name, ModelSHA256: j.ModelSHA256}
	if strings.TrimSpace(response) == "" {
		a := 0.0
		v.Error = "empty response: A = 0, the judge was not asked"
		return v, &a, 0, nil
	}
	prompt, err := gen.ChatPrompt([]inference.Message{{Role: "user", Content: j.JudgePrompt(p.Prompt, p.Reference, response)}})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("judge %s: chat prompt: %w", j.Name, err)
	}
	s := inference.DefaultSampling(seed)
	s.Temperature = 0
	t0 := time.Now()
	res, err := gen.Generate(ctx, inference.Request{Prompt: prompt, MaxTokens: judgeMaxTokens, Sampling: s, Grammar: j.Grammar}, nil)
	ms := float64(time.Since(t0)) / float64(time.Millisecond)
	if err != nil {
		return nil, nil, ms, fmt.Errorf("judge %s: %w", j.Name, err)
	}
	v.Output, v.PromptTokens, v.CompletionTokens = res.Text, res.PromptTokens, res.Timings.PredictedN
	n, ok := JudgeScore(res.Text, j.Scale)
	if !ok {
		v.Error = fmt.Sprintf("no score from 1 to %d in the judge's answer", j.Scale)
		return v, nil, ms, nil
	}
	v.Score = &n
	a := JudgeQuality(n, j.Scale)
	return v, &a, ms, nil
}

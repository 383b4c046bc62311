package experiment

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/gtalign"
	"github.com/nashd/nashd/reasoning/pricing"
)

// Prompt is one line of a prompts file: {"prompt": …} with an optional id, a label (e.g.
// "clear" or "ambiguous") and a reference answer.
type Prompt struct {
	ID        string `json:"id,omitempty"`
	Prompt    string `json:"prompt"`
	Label     string `json:"label,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// MaxPromptBytes bounds one line of a prompts file.
const MaxPromptBytes = 1 << 20

// LoadPrompts reads a JSONL prompts file strictly: every non-blank line one object with a
// non-empty "prompt" and no other keys than id, prompt, label and reference; ids distinct
// (a missing id is "lineN"). Errors name path:line.
func LoadPrompts(path string) ([]Prompt, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	var out []Prompt
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), MaxPromptBytes)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var p Prompt
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %w", ErrInput, path, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: %s:%d: more than one JSON value on the line", ErrInput, path, n)
		}
		if strings.TrimSpace(p.Prompt) == "" {
			return nil, fmt.Errorf("%w: %s:%d: no \"prompt\"", ErrInput, path, n)
		}
		if p.ID == "" {
			p.ID = fmt.Sprintf("line%d", n)
		}
		if strings.ContainsAny(p.ID, "/\n") {
			return nil, fmt.Errorf("%w: %s:%d: id %q has '/' or a newline", ErrInput, path, n, p.ID)
		}
		if k, ok := seen[p.ID]; ok {
			return nil, fmt.Errorf("%w: %s:%d: id %q is used on line %d too", ErrInput, path, n, p.ID, k)
		}
		seen[p.ID] = n
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInput, path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s holds no prompts", ErrInput, path)
	}
	return out, nil
}

// PricingRef is one pricing condition: a pricing file's name and version, and its config
// (nil for the condition without pricing, named "none").
type PricingRef struct {
	Name    string          `json:"name"`
	Version string          `json:"version,omitempty"`
	Config  *pricing.Config `json:"config,omitempty"`
}

// GtalignConfig is the GTAlign experiment's parameters.
type GtalignConfig struct {
	Prompts     []Prompt     `json:"prompts"`
	PromptsFile string       `json:"prompts_file"`
	PromptsHash string       `json:"prompts_sha256"`
	Pricing     []PricingRef `json:"pricing"`
	Rule        gtalign.Rule `json:"rule"`
	Runs        int          `json:"runs"`
	Seed        uint64       `json:"seed"`
	Temperature float64      `json:"temperature"`
	// Limits replaces the game's block bounds (zero fields keep the game's).
	Limits            gtalign.Limits `json:"limits"`
	MaxResponseTokens int            `json:"max_response_tokens,omitempty"`
	// Game is GTAlign's game (the default one unless a game file was given); GameHash its
	// JSON's SHA-256.
	GameHash string `json:"game_sha256"`
	// Judge is the judge model that gives the answer quality A ([GtalignConfig.SetJudge]);
	// nil: A comes from the reference answers where the prompts have them.
	Judge *JudgeRef `json:"judge,omitempty"`

	game  *gtalign.Game
	plans []*pricing.Plan
	judge inference.Generator
}

func (c *GtalignConfig) seed() uint64 { return c.Seed }

// NewGtalignConfig reads the prompts and pricing files (none: one condition without pricing)
// and checks the options. g nil is GTAlign's default game.
func NewGtalignConfig(promptsFile string, pricingFiles []string, rule string, g *gtalign.Game, runs int, seed uint64, temperature float64) (*GtalignConfig, error) {
	if runs < 1 {
		return nil, fmt.Errorf("%w: %d runs (want at least 1)", ErrInput, runs)
	}
	r, err := gtalign.ParseRule(rule)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	ps, err := LoadPrompts(promptsFile)
	if err != nil {
		return nil, err
	}
	sum, err := FileSHA256(promptsFile)
	if err != nil {
		return nil, err
	}
	if g == nil {
		g = gtalign.Default()
	}
	gb, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	c := &GtalignConfig{Prompts: ps, PromptsFile: baseName(promptsFile), PromptsHash: sum, Rule: r, Runs: runs, Seed: seed,
		Temperature: temperature, GameHash: hashBytes(gb), game: g}
	if len(pricingFiles) == 0 {
		c.Pricing = []PricingRef{{Name: "none"}}
		c.plans = []*pricing.Plan{nil}
	}
	seen := map[string]bool{}
	for _, f := range pricingFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		cfg, err := pricing.Decode(f, b)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		ver := pricing.Version(f, b)
		plan, err := pricing.NewPlan(cfg, ver, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInput, f, err)
		}
		if err := plan.Covers(g.StrategyIDs()); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInput, f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if seen[name] {
			return nil, fmt.Errorf("%w: two pricing files named %s", ErrInput, name)
		}
		seen[name] = true
		c.Pricing = append(c.Pricing, PricingRef{Name: name, Version: ver, Config: &cfg})
		c.plans = append(c.plans, plan)
	}
	return c, nil
}

// SetLimits bounds the blocks the model writes (zero fields keep the game's) and the response
// pass's tokens (0: the grammar's bound only).
func (c *GtalignConfig) SetLimits(l gtalign.Limits, maxResponseTokens int) {
	c.Limits, c.MaxResponseTokens = l, maxResponseTokens
}

// GtalignRecord is the record of one prompt answered under one pricing condition.
type GtalignRecord struct {
	Header
	PromptID  string `json:"prompt_id"`
	Prompt    string `json:"prompt"`
	Label     string `json:"label,omitempty"`
	Reference string `json:"reference,omitempty"`
	Pricing   string `json:"pricing"`
	Version   string `json:"pricing_version,omitempty"`
	Run       int    `json:"run"`
	// ParseOK: the payoff matrix parsed (pass 1); ParseError says why not.
	ParseOK    bool   `json:"parse_ok"`
	ParseError string `json:"parse_error,omitempty"`
	// Retries and Repairs are the pipeline's ([gtalign.Result]): pass-1 attempts retried
	// and what the tolerant reading took, both only for a model that takes no grammar (a
	// remote server of the openai dialect).
	Retries int      `json:"retries,omitempty"`
	Repairs []string `json:"repairs,omitempty"`
	// The pipeline's outcome ("" when pass 1 did not parse).
	ModelChoice     string         `json:"model_choice"`
	SolverChoice    string         `json:"solver_choice"`
	Agree           bool           `json:"agree"`
	Applied         string         `json:"applied"`
	AppliedStrategy string         `json:"applied_strategy"`
	Matrix          gtalign.Matrix `json:"matrix,omitempty"`
	Transformed     gtalign.Matrix `json:"transformed,omitempty"`
	Response        string         `json:"response"`
	ResponseCheck   bool           `json:"response_ok"`
	Truncated       bool           `json:"truncated,omitempty"`
	ResponseChars   int            `json:"response_chars"`
	ResponseTokens  int            `json:"response_tokens"`
	Usage           gtalign.Usage  `json:"usage"`
	// Quality is the answer quality A: the judge's score ([JudgeQuality]) with a judge,
	// otherwise [Overlap] with the reference answer; nil without either (or when the judge
	// gave no score). QualitySource says which ([QualityJudge], [QualityReference], "").
	// Overlap is the word overlap with the reference whenever there is one, judge or not;
	// Judge the judge's verdict. Score is the mutual-welfare terms of the transcript with A.
	Quality       *float64      `json:"quality"`
	QualitySource string        `json:"quality_source,omitempty"`
	Overlap       *float64      `json:"overlap,omitempty"`
	Judge         *JudgeVerdict `json:"judge,omitempty"`
	Score         gtalign.Score `json:"score"`
	Transcript    string        `json:"transcript"`
	Timings       Timings       `json:"timings"`
}

// RunGtalign answers every prompt under every pricing condition, Runs times, with GTAlign's
// pipeline on gen, and writes the summary ([Report]).
func RunGtalign(ctx context.Context, gen inference.Generator, c *GtalignConfig, o Options) (*Outcome, error) {
	if c == nil || c.game == nil || len(c.plans) != len(c.Pricing) {
		return nil, fmt.Errorf("%w: build the configuration with NewGtalignConfig", ErrInput)
	}
	if c.Judge != nil && c.judge == nil {
		return nil, fmt.Errorf("%w: set the judge with SetJudge", ErrInput)
	}
	rs, err := gtalign.New(c.game)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	var jobs []job
	for k, pr := range c.Pricing {
		for _, p := range c.Prompts {
			for run := 1; run <= c.Runs; run++ {
				k, pr, p, run := k, pr, p, run
				jobs = append(jobs, job{id: fmt.Sprintf("%s/%s/%03d", pr.Name, p.ID, run), run: func(ctx context.Context, h Header) (any, error) {
					return reason(ctx, gen, rs, c, c.plans[k], pr, p, run, h)
				}})
			}
		}
	}
	return execute(ctx, KindGtalign, c, jobs, o)
}

func reason(ctx context.Context, gen inference.Generator, rs *gtalign.Reasoner, c *GtalignConfig, plan *pricing.Plan, pr PricingRef, p Prompt, run int, h Header) (*GtalignRecord, error) {
	s := inference.DefaultSampling(h.Seed)
	s.Temperature = float32(c.Temperature)
	opts := &gtalign.Options{Rule: c.Rule, Sampling: s, Pricing: plan, MaxResponseTokens: c.MaxResponseTokens}
	if c.Limits != (gtalign.Limits{}) {
		l := c.Limits
		opts.Limits = &l
	}
	t0 := time.Now()
	res, err := rs.Reason(ctx, gen, []inference.Message{{Role: "user", Content: p.Prompt}}, opts)
	var pe *gtalign.ParseError
	switch {
	case err == nil:
	case errors.As(err, &pe) && res != nil && ctx.Err() == nil:
	default:
		return nil, err
	}
	r := &GtalignRecord{Header: h, PromptID: p.ID, Prompt: p.Prompt, Label: p.Label, Reference: p.Reference, Pricing: pr.Name,
		Version: pr.Version, Run: run, ParseOK: err == nil}
	if err != nil {
		r.ParseError = err.Error()
	}
	r.Retries, r.Repairs = res.Retries, res.Repairs
	r.ModelChoice, r.SolverChoice, r.Agree = res.ModelChoice, res.SolverChoice, res.Agree
	r.Applied, r.AppliedStrategy = res.Applied, res.AppliedStrategy
	r.Matrix, r.Transformed = res.Matrix, res.Transformed
	r.Response, r.ResponseCheck, r.Truncated = res.Response, res.ResponseCheck.OK, res.Truncated
	r.ResponseChars, r.ResponseTokens = len([]rune(res.Response)), res.ResponseTokens
	r.Usage, r.Transcript = res.Usage, res.Transcript
	r.Timings.CacheN, r.Usage.CacheN = res.Usage.CacheN, 0
	if p.Reference != "" {
		a := Overlap(res.Response, p.Reference)
		r.Overlap = &a
		r.Quality, r.QualitySource = &a, QualityReference
	}
	if c.Judge != nil {
		v, a, ms, err := judgeAnswer(ctx, c.judge, c.Judge, p, res.Response, h.Seed)
		if err != nil {
			return nil, err
		}
		r.Judge, r.Quality, r.QualitySource, r.Timings.JudgeMS = v, a, QualityJudge, ms
	}
	if r.Score, err = gtalign.ScoreTranscript(c.game, res.Transcript, r.Quality); err != nil {
		return nil, err
	}
	for _, ps := range res.Passes {
		r.Timings.PassMS = append(r.Timings.PassMS, PassTime{PromptMS: ps.PromptMS, GenerateMS: ps.GenerateMS, MS: ps.MS, CacheN: ps.CacheN})
		r.Timings.ModelMS += ps.MS
	}
	r.Timings.TotalMS = float64(time.Since(t0)) / float64(time.Millisecond)
	return r, nil
}

// Overlap is the answer quality A used when a prompt has a reference answer: the F1 score of
// the word overlap between the response and the reference (words: maximal runs of letters and
// digits, lower-cased; counted as multisets), rounded to 4 decimals; 0 when either is empty.
// It is a crude stand-in for a judge model: it rewards responses that use the reference's
// words.
func Overlap(response, reference string) float64 {
	words := func(s string) map[string]int {
		m := map[string]int{}
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			m[w]++
		}
		return m
	}
	a, b := words(response), words(reference)
	na, nb, common := 0, 0, 0
	for w, k := range a {
		na += k
		common += min(k, b[w])
	}
	for _, k := range b {
		nb += k
	}
	if na == 0 || nb == 0 || common == 0 {
		return 0
	}
	p, r := float64(common)/float64(na), float64(common)/float64(nb)
	return round4(2 * p * r / (p + r))
}

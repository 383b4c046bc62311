package llamabench

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

// tinyModel writes the tiny test model with a wide logit margin (so greedy decoding does not
// depend on rounding) and returns its path.
func tinyModel(t *testing.T) string {
	t.Helper()
	s, err := models.ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.OutputScale = 50
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := models.Generate(path, s); err != nil {
		t.Fatal(err)
	}
	return path
}

// bindingGreedy generates up to nGen tokens greedily after prompt with package llama, the way
// the reference loop does (the prompt in one batch, then one token per decode).
func bindingGreedy(t *testing.T, path string, prompt []int32, nGen int) []int32 {
	t.Helper()
	m, err := llama.LoadModel(path, llama.ModelParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := llama.NewContext(m, llama.ContextParams{NCtx: 256, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := llama.NewSampler(m, llama.SamplerParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := llama.NewBatch(len(prompt))
	defer b.Free()
	for i, tok := range prompt {
		b.Add(tok, i, 0, i == len(prompt)-1)
	}
	var out []int32
	for idx, pos := len(prompt)-1, len(prompt); ; pos++ {
		if err := c.Decode(b); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Sample(c, idx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok)
		if m.IsEOG(tok) || len(out) == nGen {
			return out
		}
		b.Clear()
		idx = b.Add(tok, pos, 0, true)
	}
}

func TestReferenceRun(t *testing.T) {
	path := tinyModel(t)
	m, err := llama.LoadModel(path, llama.ModelParams{VocabOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := m.Tokenize("hello world, cooperate or defect", true, true)
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	const nGen = 8
	r, err := ReferenceRun(path, prompt, nGen, 1, 256)
	if err != nil {
		t.Fatal(err)
	}
	if r.PromptN != len(prompt) || r.GenN < 1 || r.GenN > nGen || len(r.Tokens) != r.GenN || r.PromptMS <= 0 || r.GenMS < 0 {
		t.Errorf("ReferenceRun = %+v, want %d prompt tokens and 1..%d generated", r, len(prompt), nGen)
	}
	if want := bindingGreedy(t, path, prompt, nGen); !slices.Equal(r.Tokens, want) {
		t.Errorf("reference generated %v, the binding's greedy loop %v", r.Tokens, want)
	}
	t.Logf("reference: %d prompt tokens, generated %v", r.PromptN, r.Tokens)

	for _, tc := range []struct {
		name   string
		path   string
		prompt []int32
		nGen   int
		want   string
	}{
		{"empty prompt", path, nil, 4, "out of range"},
		{"long prompt", path, make([]int32, MaxPromptTokens+1), 4, "out of range"},
		{"nothing to generate", path, prompt, 0, "out of range"},
		{"token outside the vocabulary", path, []int32{1, 100000}, 4, "outside the vocabulary"},
		{"missing model", filepath.Join(t.TempDir(), "none.gguf"), prompt, 4, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReferenceRun(tc.path, tc.prompt, tc.nGen, 1, 256)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(tc.want, "range") && !errors.Is(err, ErrArgs) {
				t.Errorf("err = %v, want ErrArgs", err)
			}
		})
	}
}

func TestReferenceBatched(t *testing.T) {
	path := tinyModel(t)
	const prompt = "hello world, cooperate or defect"
	perSeq := 0 // prompt tokens of the one-sequence run
	for _, seqs := range []int{1, 2, 4} {
		r, err := ReferenceBatched(path, prompt, seqs, 6, 1, 256*seqs)
		if err != nil {
			t.Fatalf("%d sequences: %v", seqs, err)
		}
		// The batched loop ignores end of generation: every sequence yields all its tokens.
		if r.GenN != 6*seqs || r.PromptN%seqs != 0 || r.PromptN/seqs < 2 || r.GenMS <= 0 || r.Tokens != nil {
			t.Errorf("%d sequences: %+v", seqs, r)
		}
		if seqs == 1 {
			perSeq = r.PromptN
		} else if r.PromptN/seqs != perSeq {
			t.Errorf("%d sequences decoded %d prompt tokens each, 1 sequence %d", seqs, r.PromptN/seqs, perSeq)
		}
	}

	for _, tc := range []struct {
		name, path string
		seqs, nGen int
		want       string
	}{
		{"zero sequences", path, 0, 2, "out of range"},
		{"too many sequences", path, 1000, 2, "out of range"},
		{"nothing to generate", path, 1, 0, "out of range"},
		{"missing model", filepath.Join(t.TempDir(), "none.gguf"), 1, 2, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReferenceBatched(tc.path, prompt, tc.seqs, tc.nGen, 1, 256)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

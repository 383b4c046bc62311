package llama

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReferenceLoops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	writeTinyModel(t, path, defaultTinySpec())
	const prompt = "hello world, cooperate or defect"

	r, err := ReferenceRun(path, prompt, 8, 1, 256)
	if err != nil {
		t.Fatal(err)
	}
	if r.PromptN < 2 || r.GenN < 1 || r.GenN > 8 || r.PromptMS <= 0 {
		t.Errorf("ReferenceRun = %+v", r)
	}
	for _, seqs := range []int{1, 2, 4} {
		r, err := ReferenceBatched(path, prompt, seqs, 6, 1, 256*seqs)
		if err != nil {
			t.Fatalf("%d sequences: %v", seqs, err)
		}
		// The batched loop ignores end of generation: every sequence yields all its tokens.
		if r.GenN != 6*seqs || r.PromptN%seqs != 0 || r.PromptN/seqs < 2 || r.GenMS <= 0 {
			t.Errorf("%d sequences: %+v", seqs, r)
		}
	}

	for _, tc := range []struct {
		name, path string
		seqs       int
		want       string
	}{
		{"zero sequences", path, 0, "out of range"},
		{"too many sequences", path, 1000, "out of range"},
		{"missing model", filepath.Join(t.TempDir(), "none.gguf"), 1, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReferenceBatched(tc.path, prompt, tc.seqs, 2, 1, 256)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

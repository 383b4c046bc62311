package engine

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/inferencetest"
	"github.com/nashd/nashd/models"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// tinyPath returns a tiny random model generated once per test binary run.
var tinyPath = sync.OnceValues(func() (string, error) {
	dir, err := tempDir()
	if err != nil {
		return "", err
	}
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "tiny.gguf")
	return p, models.Generate(p, spec)
})

func tiny(t testing.TB) string {
	t.Helper()
	p, err := tinyPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func openTiny(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.Threads == 0 {
		opts.Threads = 1
	}
	if opts.ContextSize == 0 {
		opts.ContextSize = 512
	}
	e, err := Open(tiny(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestConformance(t *testing.T) {
	for _, slots := range []int{1, 3} {
		t.Run(map[int]string{1: "1slot", 3: "3slots"}[slots], func(t *testing.T) {
			inferencetest.Run(t, func(t *testing.T) inference.Generator {
				return openTiny(t, Options{Slots: slots})
			})
		})
	}
}

// TestDetokenize: Detokenize (not part of inference.Generator) inverts Tokenize.
func TestDetokenize(t *testing.T) {
	e := openTiny(t, Options{})
	for _, s := range []string{"hello world", "payoff (3, 2) vs (1, 1)", "é ✓ 日本語"} {
		toks, err := e.Tokenize(s, false)
		if err != nil {
			t.Fatalf("Tokenize(%q): %v", s, err)
		}
		back, err := e.Detokenize(toks)
		if err != nil {
			t.Fatal(err)
		}
		// SentencePiece vocabularies may add a leading space.
		if strings.TrimPrefix(back, " ") != s {
			t.Errorf("Detokenize(Tokenize(%q)) = %q", s, back)
		}
	}
	e.Close()
	if _, err := e.Detokenize([]int32{1}); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("Detokenize after Close: err = %v, want ErrClosed", err)
	}
}

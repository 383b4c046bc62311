package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/models"
)

func TestGenerateCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.gguf")
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Generate(model, spec); err != nil {
		t.Fatal(err)
	}
	grammar := filepath.Join(dir, "yn.gbnf")
	os.WriteFile(grammar, []byte(`root ::= ("yes" | "no") "."`), 0o644)
	bad := filepath.Join(dir, "bad.gbnf")
	os.WriteFile(bad, []byte(`root ::= "unterminated`), 0o644)

	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"generate", "-m", model, "-p", "Cooperate?", "--chat", "--grammar", grammar, "--seed", "3", "--threads", "1", "--ctx", "256"}, nil, &out, &errb); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, errb.String())
	}
	if got := strings.TrimSpace(out.String()); got != "yes." && got != "no." {
		t.Errorf("stdout %q, want yes. or no.", got)
	}
	if !strings.Contains(errb.String(), "prompt:") || !strings.Contains(errb.String(), "tokens/s") {
		t.Errorf("stderr lacks timings: %q", errb.String())
	}

	// Same seed, same text.
	run := func() string {
		var o, e bytes.Buffer
		if code := Run(context.Background(), []string{"generate", "-m", model, "-p", "game", "-n", "12", "--seed", "9", "--threads", "1", "--temp", "1"}, nil, &o, &e); code != 0 {
			t.Fatalf("exit %d: %s", code, e.String())
		}
		return o.String()
	}
	if a, b := run(), run(); a != b {
		t.Errorf("same seed, different output: %q vs %q", a, b)
	}

	for _, tt := range []struct {
		name string
		args []string
		code int // 2: a usage error
	}{
		{"no model", []string{"-p", "x"}, 2},
		{"no prompt", []string{"-m", model}, 2},
		{"extra arg", []string{"-m", model, "-p", "x", "stray"}, 2},
		{"bad grammar", []string{"-m", model, "-p", "x", "--grammar", bad}, 1},
		{"missing", []string{"-m", filepath.Join(dir, "nope.gguf"), "-p", "x"}, 1},
	} {
		errb.Reset()
		if code := Run(context.Background(), append([]string{"generate"}, tt.args...), nil, &out, &errb); code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, tt.code, errb.String())
		}
	}
}

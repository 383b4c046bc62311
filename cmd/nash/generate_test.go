package main

import (
	"bytes"
	"errors"
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
	err = runGenerate([]string{"-m", model, "-p", "Cooperate?", "--chat", "--grammar", grammar, "--seed", "3", "--threads", "1", "--ctx", "256"}, &out, &errb)
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, errb.String())
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
		if err := runGenerate([]string{"-m", model, "-p", "game", "-n", "12", "--seed", "9", "--threads", "1", "--temp", "1"}, &o, &e); err != nil {
			t.Fatal(err)
		}
		return o.String()
	}
	if a, b := run(), run(); a != b {
		t.Errorf("same seed, different output: %q vs %q", a, b)
	}

	for name, args := range map[string][]string{
		"no model":    {"-p", "x"},
		"no prompt":   {"-m", model},
		"extra arg":   {"-m", model, "-p", "x", "stray"},
		"bad grammar": {"-m", model, "-p", "x", "--grammar", bad},
		"missing":     {"-m", filepath.Join(dir, "nope.gguf"), "-p", "x"},
	} {
		if err := runGenerate(args, &out, &errb); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.HasPrefix(name, "no ") && !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

func runNash(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(context.Background(), args, nil, &o, &e)
	return code, o.String(), e.String()
}

func TestModelGenInfo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.gguf")
	code, out, errs := runNash(t, "model", "gen", "--shape", "tiny", "-o", path, "--seed", "5")
	if code != 0 {
		t.Fatalf("model gen: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, path) || !strings.Contains(errs, "RANDOM WEIGHTS") {
		t.Errorf("model gen output:\n%s\nstderr:\n%s", out, errs)
	}
	code, out, errs = runNash(t, "model", "info", path, "--json")
	if code != 0 {
		t.Fatalf("model info: exit %d\n%s%s", code, out, errs)
	}
	var got struct {
		models.Info
		Valid bool `json:"valid"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("model info --json: %v\n%s", err, out)
	}
	want, err := models.ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Valid || !reflect.DeepEqual(got.Info, *want) {
		t.Errorf("model info --json = %+v, want %+v", got.Info, *want)
	}
	code, out, _ = runNash(t, "model", "info", path)
	if code != 0 || !strings.Contains(out, "quantization") || !strings.Contains(out, "F32") {
		t.Errorf("model info: exit %d\n%s", code, out)
	}

	// A truncated copy: exit 1 and a message naming the file.
	data, _ := os.ReadFile(path)
	bad := filepath.Join(dir, "bad.gguf")
	os.WriteFile(bad, data[:len(data)/2], 0o644)
	code, _, errs = runNash(t, "model", "info", bad)
	if code != 1 || !strings.Contains(errs, bad) || !strings.Contains(errs, "truncated") {
		t.Errorf("model info on a truncated file: exit %d, stderr %q", code, errs)
	}
	code, out, _ = runNash(t, "model", "info", bad, "--json")
	if code != 1 || !strings.Contains(out, `"valid": false`) {
		t.Errorf("model info --json on a truncated file: exit %d\n%s", code, out)
	}
}

func TestModelGenUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"model", "gen", "--shape", "tiny"},                                     // no -o
		{"model", "gen", "--shape", "huge", "-o", filepath.Join(dir, "x.gguf")}, // unknown shape
		{"model", "gen", "--shape", "tiny", "-o", filepath.Join(dir, "x.gguf"), "extra"},
		{"model", "info"},
	} {
		if code, _, _ := runNash(t, args...); code != 2 {
			t.Errorf("nash %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
	if code, _, errs := runNash(t, "model", "gen", "--shape", "tiny", "-o", filepath.Join(dir, "x.gguf"), "--quant", "Q9_X"); code != 1 || !strings.Contains(errs, "Q9_X") {
		t.Errorf("unknown quantization: exit %d, stderr %q", code, errs)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed commands left files: %v", ents)
	}
}

// TestGeneratedModelsLoad loads generated models in llama.cpp: the vocabulary tokenizes as
// intended, the chat template is recognised, and quantization through llama_model_quantize
// gives a valid file of the requested type.
func TestGeneratedModelsLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.gguf")
	if code, out, errs := runNash(t, "model", "gen", "--shape", "tiny", "-o", path); code != 0 {
		t.Fatalf("model gen: %s%s", out, errs)
	}
	m, err := llama.LoadModel(path, llama.ModelParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec, _ := models.ShapeSpec("tiny")
	if m.NVocab() != spec.VocabSize || m.NParams() != spec.Params() || m.NLayer() != spec.Blocks || m.NEmbd() != spec.Embd {
		t.Errorf("llama.cpp sees vocab %d params %d layers %d embd %d; spec %+v", m.NVocab(), m.NParams(), m.NLayer(), m.NEmbd(), spec)
	}
	// ChatML markers are single control tokens; <|im_end|> ends generation.
	toks, err := m.Tokenize("<|im_start|>user\nhi<|im_end|>", false, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) < 3 || toks[0] != 3 || toks[len(toks)-1] != 4 || !m.IsEOG(4) || m.EOS() != 4 {
		t.Errorf("tokens %v, EOS %d, IsEOG(<|im_end|>) %v", toks, m.EOS(), m.IsEOG(4))
	}
	// Byte fallback: any text round-trips.
	for _, text := range []string{"Hello, world!", "Nash équilibre — 纳什均衡 ∑ 🎲", "tabs\tand\nnewlines"} {
		toks, err := m.Tokenize(text, false, false)
		if err != nil {
			t.Fatal(err)
		}
		back, err := m.Detokenize(toks, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(back, " ") != text {
			t.Errorf("round trip %q -> %v -> %q", text, toks, back)
		}
	}
	got, err := llama.ApplyChatTemplate(m.ChatTemplate(), []llama.ChatMessage{{Role: "user", Content: "hi"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"; got != want {
		t.Errorf("chat template renders %q, want %q", got, want)
	}

	q := filepath.Join(dir, "q8.gguf")
	if code, out, errs := runNash(t, "model", "gen", "--shape", "tiny", "--quant", "Q8_0", "--threads", "1", "-o", q); code != 0 {
		t.Fatalf("model gen --quant Q8_0: %s%s", out, errs)
	}
	info, err := models.ReadInfo(q)
	if err != nil {
		t.Fatal(err)
	}
	if info.Quantization != "Q8_0" || info.Parameters != spec.Params() {
		t.Errorf("quantized model: %s with %d parameters", info.Quantization, info.Parameters)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("folder holds %d entries, want the two models (no temporary files)", len(ents))
	}
}

// TestLlama3VocabTokenizes checks the Llama 3.2 vocabulary in llama.cpp against Llama 3's
// own tokenization of "Hello, world!" and its chat format.
func TestLlama3VocabTokenizes(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 70 MB model")
	}
	path := filepath.Join(t.TempDir(), "l3.gguf")
	if code, out, errs := runNash(t, "model", "gen", "--shape", "tiny", "--vocab", "llama3", "-o", path); code != 0 {
		t.Fatalf("model gen: %s%s", out, errs)
	}
	m, err := llama.LoadModel(path, llama.ModelParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	toks, err := m.Tokenize("Hello, world!", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{9906, 11, 1917, 0}; !reflect.DeepEqual(toks, want) {
		t.Errorf("Tokenize(Hello, world!) = %v, want %v", toks, want)
	}
	if m.BOS() != 128000 || m.EOS() != 128009 || !m.IsEOG(128009) {
		t.Errorf("BOS %d EOS %d", m.BOS(), m.EOS())
	}
	got, err := llama.ApplyChatTemplate(m.ChatTemplate(), []llama.ChatMessage{{Role: "user", Content: "hi"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"; got != want {
		t.Errorf("chat template renders %q, want %q", got, want)
	}
}

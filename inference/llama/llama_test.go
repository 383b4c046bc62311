package llama

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testTmp string

func mkTemp() (string, error) { return testTmp, nil }

func TestMain(m *testing.M) {
	SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	d, err := os.MkdirTemp("", "nash-llama-test-")
	if err != nil {
		panic(err)
	}
	testTmp = d
	code := m.Run()
	if fuzzLoaded != nil {
		fuzzLoaded.Close()
	}
	os.RemoveAll(d)
	os.Exit(code)
}

func tinyModel(t testing.TB) *Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	writeTinyModel(t, path, defaultTinySpec())
	m, err := LoadModel(path, ModelParams{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestModelMetadata(t *testing.T) {
	m := tinyModel(t)
	if got := m.NVocab(); got != 5+256+15 {
		t.Errorf("NVocab = %d", got)
	}
	if m.NEmbd() != 64 || m.NLayer() != 2 || m.NCtxTrain() != 512 {
		t.Errorf("shape: embd %d layers %d ctx %d", m.NEmbd(), m.NLayer(), m.NCtxTrain())
	}
	if arch, ok := m.Meta("general.architecture"); !ok || arch != "llama" {
		t.Errorf("Meta(general.architecture) = %q, %v", arch, ok)
	}
	if m.BOS() != 1 || m.EOS() != 2 || !m.IsEOG(2) || m.IsEOG(100) {
		t.Errorf("special tokens: bos %d eos %d", m.BOS(), m.EOS())
	}
	if !strings.Contains(m.ChatTemplate(), "im_start") {
		t.Errorf("ChatTemplate = %q", m.ChatTemplate())
	}
	if m.NParams() == 0 || m.Size() == 0 {
		t.Errorf("NParams %d Size %d", m.NParams(), m.Size())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestTokenizeRoundTrip(t *testing.T) {
	m := tinyModel(t)
	for _, text := range []string{"", "hello", "the game payoff", "Nash équilibre ✓ 日本", "{\"a\": 1}\n\ttab"} {
		toks, err := m.Tokenize(text, false, false)
		if err != nil {
			t.Fatalf("Tokenize(%q): %v", text, err)
		}
		got, err := m.Detokenize(toks, false, false)
		if err != nil {
			t.Fatal(err)
		}
		// SentencePiece vocabularies add a leading space ("▁") to the first word.
		if strings.TrimPrefix(got, " ") != text {
			t.Errorf("round trip %q -> %v -> %q", text, toks, got)
		}
		var pieces []byte
		for _, tk := range toks {
			if pieces, err = m.TokenToPiece(pieces, tk, false); err != nil {
				t.Fatal(err)
			}
		}
		if strings.TrimPrefix(string(pieces), " ") != got {
			t.Errorf("pieces %q != detokenized %q", pieces, got)
		}
	}
	toks, _ := m.Tokenize("x", true, false)
	if len(toks) == 0 || toks[0] != m.BOS() {
		t.Errorf("addSpecial: %v, want BOS first", toks)
	}
	toks, _ = m.Tokenize("<|im_start|>", false, true)
	if len(toks) != 1 || toks[0] != 3 {
		t.Errorf("parseSpecial: %v, want [3]", toks)
	}
	if _, err := m.Detokenize([]int32{99999}, false, false); err == nil {
		t.Error("Detokenize of an out-of-range token: no error")
	}
}

func TestChatTemplate(t *testing.T) {
	m := tinyModel(t)
	out, err := ApplyChatTemplate(m.ChatTemplate(), []ChatMessage{{"system", "be brief"}, {"user", "hi"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
	if out != want {
		t.Errorf("got %q\nwant %q", out, want)
	}
	if out2, err := ApplyChatTemplate("llama3", []ChatMessage{{"user", "hi"}}, true); err != nil || !strings.Contains(out2, "<|start_header_id|>user") {
		t.Errorf("builtin llama3: %q, %v", out2, err)
	}
	if _, err := ApplyChatTemplate("{% nonsense", []ChatMessage{{"user", "hi"}}, true); err == nil {
		t.Error("unknown template: no error")
	}
}

func generate(t *testing.T, c *Context, sp SamplerParams, prompt string, n int) []int32 {
	out, _ := generateCount(t, c, sp, prompt, n)
	return out
}

// generateCount also returns how many tokens needed the grammar's vocabulary pass.
func generateCount(t *testing.T, c *Context, sp SamplerParams, prompt string, n int) ([]int32, int) {
	t.Helper()
	m := c.Model()
	s, err := NewSampler(m, sp)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	toks, err := m.Tokenize(prompt, true, false)
	if err != nil {
		t.Fatal(err)
	}
	c.MemoryClear()
	b := NewBatch(c.NBatch())
	defer b.Free()
	for i, tk := range toks {
		b.Add(tk, i, 0, i == len(toks)-1)
	}
	if err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	var out []int32
	pos := len(toks)
	idx := b.Len() - 1
	for range n {
		tk, err := s.Sample(c, idx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tk)
		if m.IsEOG(tk) {
			break
		}
		b.Clear()
		idx = b.Add(tk, pos, 0, true)
		pos++
		if err := c.Decode(b); err != nil {
			t.Fatal(err)
		}
	}
	return out, s.FullPasses
}

func TestDecodeSampleDeterministic(t *testing.T) {
	m := tinyModel(t)
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, sp := range []SamplerParams{{}, {Temperature: 0.9, TopK: 40, TopP: 0.95, MinP: 0.05, Seed: 42, RepeatPenalty: 1.1}} {
		a := generate(t, c, sp, "the game", 20)
		b := generate(t, c, sp, "the game", 20)
		if len(a) == 0 || !slicesEqual(a, b) {
			t.Errorf("%+v: runs differ: %v vs %v", sp, a, b)
		}
	}
	c.Close()
	c.Close()
}

func slicesEqual(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGrammar(t *testing.T) {
	m := tinyModel(t)
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := `root ::= "{\"action\": \"" ("DA" | "CQ" | "AQ") "\", \"payoff\": " [0-9] "." [0-9] "}"`
	for seed := uint32(0); seed < 8; seed++ {
		for _, sp := range []SamplerParams{{Grammar: g}, {Grammar: g, Temperature: 1, Seed: seed}, {Grammar: g, Temperature: 1, TopK: 5, Seed: seed}} {
			out := generate(t, c, sp, "the game", 60)
			if !m.IsEOG(out[len(out)-1]) {
				t.Fatalf("%+v: no end of generation after %d tokens", sp, len(out))
			}
			text, _ := m.Detokenize(out[:len(out)-1], false, false)
			text = strings.TrimPrefix(text, " ")
			var act string
			var a, b int
			if n, _ := fmtSscanf(text, &act, &a, &b); n != 3 || (act != "DA" && act != "CQ" && act != "AQ") {
				t.Errorf("%+v: output %q does not match the grammar", sp, text)
			}
		}
	}
	_, err = NewSampler(m, SamplerParams{Grammar: `root ::= "unterminated`})
	if !errors.Is(err, ErrInvalidGrammar) {
		t.Errorf("invalid grammar: err = %v", err)
	}
	_, err = NewSampler(m, SamplerParams{Grammar: `root ::= undefined-rule`})
	if !errors.Is(err, ErrInvalidGrammar) {
		t.Errorf("undefined rule: err = %v", err)
	}
}

func TestBadModelFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tiny.gguf")
	writeTinyModel(t, good, defaultTinySpec())
	data, _ := os.ReadFile(good)
	cases := map[string][]byte{"empty": nil, "text": []byte("not a model"), "header only": data[:24], "truncated": data[:len(data)/2]}
	for name, b := range cases {
		p := filepath.Join(dir, name+".gguf")
		os.WriteFile(p, b, 0o644)
		if m, err := LoadModel(p, ModelParams{}); err == nil {
			m.Close()
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := LoadModel(filepath.Join(dir, "missing"), ModelParams{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// TestSmartGrammarExact checks that the smart grammar path (sample without the grammar, check
// one token, prefilter by first byte, chunked filtering) picks exactly the token the naive
// path (grammar over the whole vocabulary, then the chain) picks, for greedy decoding, whose
// result does not depend on how many random draws were made.
func TestSmartGrammarExact(t *testing.T) {
	m := tinyModel(t)
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	grammars := []string{
		`root ::= "{\"action\": \"" ("DA" | "CQ" | "AQ") "\", \"payoff\": " [0-9] "." [0-9] "}"`,
		`root ::= [a-z]+ (" " [a-z]+){0,5} "."`,
		`root ::= ("é" | "日本" | "ü") [0-9]{1,3} "✓"`,
		`root ::= "the" (" game" | " payoff" | " Nash")* "."`,
	}
	passes, total := 0, 0
	defer func() {
		// The comparison means something only if the unconstrained pick was often rejected.
		if passes < total/4 {
			t.Errorf("only %d of %d tokens took the grammar's fallback path", passes, total)
		}
	}()
	for _, g := range grammars {
		for _, prompt := range []string{"the game", "payoff matrix", "x"} {
			smart, np := generateCount(t, c, SamplerParams{Grammar: g}, prompt, 40)
			passes += np
			total += len(smart)
			naive := generate(t, c, SamplerParams{Grammar: g, NaiveGrammar: true}, prompt, 40)
			if !slicesEqual(smart, naive) {
				t.Errorf("grammar %q prompt %q: smart %v, naive %v", g, prompt, smart, naive)
			}
			pen := SamplerParams{Grammar: g, RepeatPenalty: 1.3}
			smart = generate(t, c, pen, prompt, 40)
			pen.NaiveGrammar = true
			naive = generate(t, c, pen, prompt, 40)
			if !slicesEqual(smart, naive) {
				t.Errorf("grammar %q prompt %q with penalty: smart %v, naive %v", g, prompt, smart, naive)
			}
		}
	}
}

// TestLogitsWithoutOutput: asking for the logits of a batch position that requested none (or
// of a position outside the last decode, or before any decode) is refused in Go: llama.cpp
// would abort the process.
func TestLogitsWithoutOutput(t *testing.T) {
	m := tinyModel(t)
	c, err := NewContext(m, ContextParams{NCtx: 64, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := NewSampler(m, SamplerParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c.Logits(0) != nil {
		t.Error("logits before any decode")
	}
	b := NewBatch(4)
	defer b.Free()
	toks, err := m.Tokenize("the game", true, false)
	if err != nil || len(toks) < 2 {
		t.Fatalf("tokenize: %v %v", toks, err)
	}
	for i, tok := range toks[:2] {
		b.Add(tok, i, 0, i == 1)
	}
	if err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	if c.Logits(1) == nil {
		t.Error("no logits for the position that asked for them")
	}
	for _, i := range []int{0, 2, -1, 1000} {
		if c.Logits(i) != nil {
			t.Errorf("logits for position %d", i)
		}
		if _, err := s.Sample(c, i); err == nil || !strings.Contains(err.Error(), "has no logits") {
			t.Errorf("sample at position %d: %v", i, err)
		}
	}
	if _, err := s.Sample(c, 1); err != nil {
		t.Errorf("sample at the output position: %v", err)
	}
}

package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// microSpec is a very small valid model for tests that write many files.
func microSpec() Spec {
	return Spec{Name: "micro", Embd: 8, Blocks: 1, Heads: 2, HeadsKV: 1, FFN: 16, ContextLength: 64, VocabSize: MinBytesVocab + 4, Seed: 3}
}

func genFile(t testing.TB, s Spec) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := Generate(path, s); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return path
}

func TestShapeSpec(t *testing.T) {
	tiny, err := ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	bench, err := ShapeSpec("bench")
	if err != nil {
		t.Fatal(err)
	}
	// Qwen2.5-0.5B's configuration (config.json): hidden 896, 24 layers, 14 heads, 2 KV heads,
	// intermediate 4864, vocab 151936, 32768 positions, tied embeddings: 494,032,768
	// parameters, less its q/k/v biases (24 × (896+128+128)), which the llama architecture
	// has not.
	if bench.Embd != 896 || bench.Blocks != 24 || bench.Heads != 14 || bench.HeadsKV != 2 ||
		bench.FFN != 4864 || bench.VocabSize != 151936 || bench.ContextLength != 32768 || bench.Type != "f16" || !bench.TieEmbeddings {
		t.Errorf("bench spec = %+v", bench)
	}
	if got, want := bench.Params(), uint64(494032768-24*(896+128+128)); got != want {
		t.Errorf("bench Params() = %d, want %d", got, want)
	}
	if p := tiny.Params(); p < 50_000 || p > 250_000 {
		t.Errorf("tiny Params() = %d, want a model of a few hundred KB", p)
	}
	if _, err := ShapeSpec("huge"); !errors.Is(err, ErrSpec) {
		t.Errorf("ShapeSpec(huge) error = %v, want ErrSpec", err)
	}
}

func TestSpecErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Spec)
		want   string
	}{
		{"zero embd", func(s *Spec) { s.Embd = 0 }, "Embd"},
		{"negative blocks", func(s *Spec) { s.Blocks = -1 }, "Blocks"},
		{"embd not multiple of heads", func(s *Spec) { s.Embd = 9 }, "multiple of Heads"},
		{"odd head size", func(s *Spec) { s.Embd, s.Heads, s.HeadsKV = 6, 2, 1 }, "even"},
		{"heads not multiple of kv", func(s *Spec) { s.Heads, s.HeadsKV, s.Embd = 4, 3, 16 }, "HeadsKV"},
		{"small vocab", func(s *Spec) { s.VocabSize = 100 }, "VocabSize"},
		{"llama3 with size", func(s *Spec) { s.Vocab, s.VocabSize = "llama3", 1000 }, "VocabSize"},
		{"unknown vocab", func(s *Spec) { s.Vocab = "words" }, "Vocab"},
		{"unknown type", func(s *Spec) { s.Type = "q4" }, "Type"},
		{"negative std", func(s *Spec) { s.WeightStd = -1 }, "WeightStd"},
		{"NaN scale", func(s *Spec) { s.OutputScale = float32(math.NaN()) }, "OutputScale"},
		{"zero context", func(s *Spec) { s.ContextLength = 0 }, "ContextLength"},
		{"too many params", func(s *Spec) { s.Embd, s.Heads, s.HeadsKV, s.FFN, s.Blocks = 65536, 64, 64, 1<<20, 100 }, "parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := microSpec()
			tt.modify(&s)
			dir := t.TempDir()
			err := Generate(filepath.Join(dir, "m.gguf"), s)
			if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate error = %v, want ErrSpec mentioning %q", err, tt.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("Generate left files behind: %v", ents)
			}
		})
	}
}

// TestGenerateRoundTrip writes models of several specs and checks that ReadInfo (through
// gguf-parser-go, an independent reader) reports the spec's numbers.
func TestGenerateRoundTrip(t *testing.T) {
	tiny, _ := ShapeSpec("tiny")
	f16 := tiny
	f16.Type = "f16"
	tied := microSpec()
	tied.TieEmbeddings = true
	mha := Spec{Embd: 32, Blocks: 3, Heads: 4, FFN: 48, ContextLength: 100, VocabSize: 300, ChatTemplate: "{{ messages }}"}
	for _, tt := range []struct {
		name string
		s    Spec
		typ  string
	}{{"tiny", tiny, "F32"}, {"tiny f16", f16, "F16"}, {"micro tied", tied, "F32"}, {"mha default kv", mha, "F32"}} {
		t.Run(tt.name, func(t *testing.T) {
			path := genFile(t, tt.s)
			info, err := ReadInfo(path)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := tt.s.withDefaults()
			st, _ := os.Stat(path)
			checks := []struct {
				what      string
				got, want any
			}{
				{"Architecture", info.Architecture, "llama"},
				{"Name", info.Name, s.Name},
				{"Quantization", info.Quantization, tt.typ},
				{"Parameters", info.Parameters, s.Params()},
				{"SizeBytes", info.SizeBytes, st.Size()},
				{"ContextLength", info.ContextLength, s.ContextLength},
				{"EmbeddingLength", info.EmbeddingLength, s.Embd},
				{"Blocks", info.Blocks, s.Blocks},
				{"Heads", info.Heads, s.Heads},
				{"HeadsKV", info.HeadsKV, s.HeadsKV},
				{"KeyLength", info.KeyLength, s.Embd / s.Heads},
				{"VocabSize", info.VocabSize, s.VocabSize},
				{"ChatTemplate", info.ChatTemplate, s.ChatTemplate},
				{"Tokenizer", info.Tokenizer, "llama"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if info.WeightBytes <= 0 || info.WeightBytes >= info.SizeBytes {
				t.Errorf("WeightBytes = %d of a %d-byte file", info.WeightBytes, info.SizeBytes)
			}
			if info.EstimatedRAM <= uint64(info.WeightBytes) {
				t.Errorf("EstimatedRAM %d not above the weights %d", info.EstimatedRAM, info.WeightBytes)
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	sum := func(s Spec) [32]byte {
		b, err := os.ReadFile(genFile(t, s))
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	s := microSpec()
	a, b := sum(s), sum(s)
	if a != b {
		t.Error("the same spec gave different files")
	}
	s.Seed++
	if c := sum(s); c == a {
		t.Error("a different seed gave the same file")
	}
}

func TestGenerateReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Generate(path, microSpec()); err != nil {
		t.Fatal(err)
	}
	if err := Validate(path); err != nil {
		t.Fatalf("replaced file: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %d entries, want only the model (no temporary files)", len(ents))
	}
	if err := Generate(filepath.Join(dir, "missing", "m.gguf"), microSpec()); err == nil {
		t.Error("Generate into a missing folder succeeded")
	}
}

// readTensors returns the parsed header and the raw bytes of a generated file.
func readTensors(t *testing.T, path string) (*ggufHeader, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseGGUF(bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	return h, data
}

// TestWeightStatistics checks the weights against the spec: finite, sample standard
// deviation near WeightStd (OutputScale times it for output.weight), mean near 0, norms 1.
func TestWeightStatistics(t *testing.T) {
	for _, typ := range []string{"f32", "f16"} {
		t.Run(typ, func(t *testing.T) {
			s := Spec{Embd: 64, Blocks: 1, Heads: 4, FFN: 128, ContextLength: 64, VocabSize: 512, Type: typ, OutputScale: 10, WeightStd: 0.05}
			h, data := readTensors(t, genFile(t, s))
			for _, ti := range h.tensors {
				start := h.dataStart + int64(ti.offset)
				raw := data[start : start+ti.nbytes]
				var vals []float64
				for i := 0; i < len(raw); {
					switch ti.typ {
					case typeF32:
						vals = append(vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
						i += 4
					case typeF16:
						vals = append(vals, float64(f16ToF32(binary.LittleEndian.Uint16(raw[i:]))))
						i += 2
					default:
						t.Fatalf("tensor %s has type %v", ti.name, ti.typ)
					}
				}
				var sum, sq float64
				for _, v := range vals {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("tensor %s holds %v", ti.name, v)
					}
					sum += v
					sq += v * v
				}
				n := float64(len(vals))
				mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
				switch {
				case strings.HasSuffix(ti.name, "norm.weight"):
					if ti.typ != typeF32 || mean != 1 || std != 0 {
						t.Errorf("%s: type %v mean %g std %g, want F32 ones", ti.name, ti.typ, mean, std)
					}
				default:
					want := 0.05
					if ti.name == "output.weight" {
						want = 0.5
					}
					// n >= 4096 samples: the sample std is within a few percent.
					if math.Abs(std-want) > 0.05*want || math.Abs(mean) > 0.1*want {
						t.Errorf("%s: mean %g std %g over %d values, want 0 and %g", ti.name, mean, std, len(vals), want)
					}
				}
			}
		})
	}
}

// TestF16Conversion checks f32ToF16 exhaustively on every half value (exact round trip) and
// on random floats against the definition of round-to-nearest: no other half is closer.
func TestF16Conversion(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := f16ToF32(uint16(h))
		if math.IsNaN(float64(f)) {
			if g := f32ToF16(f); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("NaN %#04x -> %#04x, want a NaN", h, g)
			}
			continue
		}
		if g := f32ToF16(f); g != uint16(h) {
			t.Fatalf("f32ToF16(f16ToF32(%#04x) = %g) = %#04x", h, f, g)
		}
	}
	r := newRNG(1)
	for i := 0; i < 200000; i++ {
		// Random magnitudes from 2^-30 to 2^17: subnormal, normal and overflowing halves.
		x := float32(math.Ldexp(float64(r.next()>>40)/(1<<24)+1, int(r.next()%48)-30))
		if r.next()&1 == 1 {
			x = -x
		}
		h := f32ToF16(x)
		got := f16ToF32(h)
		if math.IsInf(float64(got), 0) {
			if math.Abs(float64(x)) < 65520 { // values below 65520 round to the largest finite half
				t.Fatalf("%g overflowed", x)
			}
			continue
		}
		d := math.Abs(float64(got) - float64(x))
		for _, nb := range []uint16{h - 1, h + 1} {
			v := f16ToF32(nb)
			if nb&0x7fff >= 0x7c00 || (nb^h)&0x8000 != 0 {
				continue // Inf/NaN or across zero
			}
			if dn := math.Abs(float64(v) - float64(x)); dn < d || (dn == d && nb&1 == 0) {
				t.Fatalf("f32ToF16(%g) = %#04x (%g), but %#04x (%g) is nearer or the even tie", x, h, got, nb, v)
			}
		}
	}
}

func TestBytesVocab(t *testing.T) {
	for _, n := range []int{MinBytesVocab, 512, 10000} {
		v := bytesVocab(n)
		if len(v.tokens) != n || len(v.scores) != n || len(v.types) != n {
			t.Fatalf("bytesVocab(%d): %d tokens, %d scores, %d types", n, len(v.tokens), len(v.scores), len(v.types))
		}
		seen := map[string]bool{}
		for i, tok := range v.tokens {
			if seen[tok] {
				t.Fatalf("bytesVocab(%d): duplicate token %q", n, tok)
			}
			seen[tok] = true
			if v.types[i] == tokNormal && len([]rune(tok)) > 1 {
				// SentencePiece builds a piece from smaller pieces: its prefix must exist.
				r := []rune(tok)
				if !seen[string(r[:len(r)-1])] {
					t.Fatalf("token %q is unreachable: prefix missing", tok)
				}
			}
		}
		for b := 0; b < 256; b++ {
			// llama.cpp's byte fallback looks up "<0x%02X>".
			want := "<0x" + strings.ToUpper(hex.EncodeToString([]byte{byte(b)})) + ">"
			if i := numBytesSpecial + b; v.tokens[i] != want || v.types[i] != tokByte {
				t.Fatalf("byte token %d = %q type %d, want %q type %d", b, v.tokens[i], v.types[i], want, tokByte)
			}
		}
		if v.tokens[v.eos] != "<|im_end|>" || v.types[v.eos] != tokControl || v.tokens[bytesIMStart] != "<|im_start|>" || v.types[bytesIMStart] != tokControl {
			t.Errorf("ChatML markers: eos %q type %d, start %q type %d", v.tokens[v.eos], v.types[v.eos], v.tokens[bytesIMStart], v.types[bytesIMStart])
		}
	}
}

func TestLlama3Vocab(t *testing.T) {
	if testing.Short() {
		t.Skip("reads Llama 3.2's 128k-token vocabulary")
	}
	v, err := llama3Vocab()
	if err != nil {
		t.Fatalf("llama3Vocab: %v (the ollama module is a dependency: go mod download github.com/ollama/ollama)", err)
	}
	// Llama 3's tokenizer encodes "Hello, world!" as 9906 11 1917 0 ("Hello" "," "Ġworld" "!").
	for id, tok := range map[int]string{9906: "Hello", 11: ",", 1917: "Ġworld", 0: "!", 128000: "<|begin_of_text|>",
		128009: "<|eot_id|>", 128006: "<|start_header_id|>", 128255: "<|reserved_special_token_247|>"} {
		if v.tokens[id] != tok {
			t.Errorf("token %d = %q, want %q", id, v.tokens[id], tok)
		}
	}
	if len(v.tokens) != llama3VocabSize || v.types[128000] != tokControl || v.types[9906] != tokNormal {
		t.Errorf("%d tokens, types %d %d", len(v.tokens), v.types[128000], v.types[9906])
	}
	if len(v.merges) != 280147 || v.merges[0] != "Ġ Ġ" {
		t.Errorf("%d merges, first %q", len(v.merges), v.merges[0])
	}
	s := Spec{Vocab: "llama3", Embd: 8, Heads: 2, Blocks: 1, FFN: 8, ContextLength: 128, TieEmbeddings: true}
	info, err := ReadInfo(genFile(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if info.VocabSize != llama3VocabSize || info.Tokenizer != "gpt2" || info.ChatTemplate != Llama3Template {
		t.Errorf("llama3 model info: vocab %d tokenizer %q template %q", info.VocabSize, info.Tokenizer, info.ChatTemplate)
	}
}

func TestLlama3VocabMissing(t *testing.T) {
	t.Setenv("NASHD_LLAMA3_VOCAB", t.TempDir())
	dir := t.TempDir()
	err := Generate(filepath.Join(dir, "m.gguf"), Spec{Vocab: "llama3", Embd: 8, Heads: 2, Blocks: 1, FFN: 8, ContextLength: 8})
	if err == nil || !strings.Contains(err.Error(), "encoder.json") {
		t.Errorf("Generate without vocabulary data: %v, want an error naming encoder.json", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left files behind: %v", ents)
	}
}

func TestGenerateQuantized(t *testing.T) {
	copyQ := func(in, out, ftype string) error { // a conversion that keeps the weights
		b, err := os.ReadFile(in)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	}
	tests := []struct {
		name    string
		quant   string
		q       Quantizer
		wantErr string
		typ     string
	}{
		{"none", "none", nil, "", "F32"},
		{"direct f16", "F16", nil, "", "F16"},
		{"direct f32 lower case", "f32", nil, "", "F32"},
		{"needs quantizer", "Q4_K_M", nil, "needs a quantizer", ""},
		{"quantizer fails", "Q8_0", func(in, out, f string) error { return errors.New("boom") }, "boom", ""},
		{"quantizer writes garbage", "Q8_0", func(in, out, f string) error { return os.WriteFile(out, []byte("GGUF junk"), 0o644) }, "invalid", ""},
		{"quantizer output kept", "Q8_0", copyQ, "", "F32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.gguf")
			err := GenerateQuantized(path, microSpec(), tt.quant, tt.q)
			ents, _ := os.ReadDir(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if len(ents) != 0 {
					t.Errorf("left files behind: %v", ents)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) != 1 {
				t.Errorf("folder has %d entries, want only the model", len(ents))
			}
			info, err := ReadInfo(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Quantization != tt.typ {
				t.Errorf("Quantization = %s, want %s", info.Quantization, tt.typ)
			}
		})
	}
}

// BenchmarkGenerateF16 measures weight generation and writing (the bench model has 494M
// parameters; b.SetBytes reports MB/s of file written).
func BenchmarkGenerateF16(b *testing.B) {
	s := Spec{Embd: 896, Blocks: 2, Heads: 14, HeadsKV: 2, FFN: 4864, ContextLength: 4096, VocabSize: 32000, Type: "f16"}
	path := filepath.Join(b.TempDir(), "m.gguf")
	b.SetBytes(int64(s.Params() * 2))
	for b.Loop() {
		if err := Generate(path, s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGoldenFile pins the bytes of a generated model: models generated earlier (cached by
// tests and by nashd's fallback) stay identical. Change the hash only for a deliberate
// format change.
func TestGoldenFile(t *testing.T) {
	b, err := os.ReadFile(genFile(t, microSpec()))
	if err != nil {
		t.Fatal(err)
	}
	const want = "db4e1d9ba76d90a2708c8acfe3b7d30dff509611e829320bec6582f88462d88b"
	if got := hexSum(b); got != want {
		t.Errorf("sha256 of the micro model = %s, want %s", got, want)
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

package models

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Token types (enum llama_token_type in llama.h).
const (
	tokNormal  = 1
	tokUnknown = 2
	tokControl = 3
	tokByte    = 6
)

// Ids of the special tokens of the "bytes" vocabulary.
const (
	bytesUnk = iota
	bytesBOS
	bytesEOS
	bytesIMStart
	bytesIMEnd
	numBytesSpecial
)

// vocab is a tokenizer as stored in GGUF metadata.
type vocab struct {
	model, pre string
	tokens     []string
	scores     []float32 // nil for BPE
	types      []int32
	merges     []string // BPE only
	bos, eos   uint32
	eot        uint32
	unk        int64 // -1: none
}

// fillerAlphabet is the alphabet of the "bytes" vocabulary's normal tokens: the SentencePiece
// space marker and printable ASCII letters, digits and punctuation.
var fillerAlphabet = func() []string {
	var a []string
	a = append(a, "▁")
	for c := 'a'; c <= 'z'; c++ {
		a = append(a, string(c))
	}
	for c := 'A'; c <= 'Z'; c++ {
		a = append(a, string(c))
	}
	for c := '0'; c <= '9'; c++ {
		a = append(a, string(c))
	}
	for _, c := range ".,!?'\"-:;(){}[]" {
		a = append(a, string(c))
	}
	return a
}()

// bytesVocab builds the "bytes" vocabulary of n tokens: <unk>, <s>, </s>, <|im_start|>,
// <|im_end|>, the 256 byte tokens <0x00>..<0xFF> (llama.cpp's byte fallback looks them up
// by exactly this upper-case spelling), then normal tokens: every string over
// fillerAlphabet of length 1, then 2, then 3, ... in order, until n tokens. SentencePiece
// merges the highest-scoring pair first; scores fall with the index, so shorter pieces merge
// first, and every piece of length k>1 is reachable because its prefix of length k-1 is a
// token too.
func bytesVocab(n int) *vocab {
	v := &vocab{model: "llama", pre: "default", bos: bytesBOS, eos: bytesIMEnd, eot: bytesIMEnd, unk: bytesUnk}
	v.tokens = make([]string, 0, n)
	v.scores = make([]float32, 0, n)
	v.types = make([]int32, 0, n)
	add := func(s string, score float32, typ int32) {
		v.tokens = append(v.tokens, s)
		v.scores = append(v.scores, score)
		v.types = append(v.types, typ)
	}
	add("<unk>", 0, tokUnknown)
	add("<s>", 0, tokControl)
	add("</s>", 0, tokControl)
	add("<|im_start|>", 0, tokControl)
	add("<|im_end|>", 0, tokControl)
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokByte)
	}
	// Enumerate strings by length with an odometer over fillerAlphabet.
	var idx []int
	for length := 1; len(v.tokens) < n; length++ {
		idx = make([]int, length)
		for len(v.tokens) < n {
			var sb strings.Builder
			for _, i := range idx {
				sb.WriteString(fillerAlphabet[i])
			}
			add(sb.String(), -float32(len(v.tokens)-MinBytesVocab), tokNormal)
			k := length - 1
			for k >= 0 {
				idx[k]++
				if idx[k] < len(fillerAlphabet) {
					break
				}
				idx[k] = 0
				k--
			}
			if k < 0 {
				break
			}
		}
	}
	return v
}

// Llama 3 special tokens (ids 128000..128255).
var llama3Special = func() []string {
	s := []string{
		"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
		"<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
		"<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
	}
	for i := 3; len(s) < 256; i++ {
		s = append(s, fmt.Sprintf("<|reserved_special_token_%d|>", i))
	}
	return s
}()

// ollamaModule is the module whose tokenizer test data holds Llama 3.2's vocabulary.
const ollamaModule = "github.com/ollama/ollama"

// ollamaModuleVersion is the version nashd pins (go.mod); used to find the module in
// GOMODCACHE when `go list` is unavailable.
const ollamaModuleVersion = "v0.17.4"

// llama3DataDir finds tokenizer/testdata/llama3.2 in the Ollama module: $NASHD_LLAMA3_VOCAB
// if set, else `go list -m` from the working directory, else GOMODCACHE.
func llama3DataDir() (string, error) {
	if d := os.Getenv("NASHD_LLAMA3_VOCAB"); d != "" {
		return d, nil
	}
	const sub = "tokenizer/testdata/llama3.2"
	var tried []string
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ollamaModule).Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			p := filepath.Join(d, sub)
			if _, err := os.Stat(filepath.Join(p, "encoder.json")); err == nil {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	if cache != "" {
		p := filepath.Join(cache, "github.com", "ollama", "ollama@"+ollamaModuleVersion, sub)
		if _, err := os.Stat(filepath.Join(p, "encoder.json")); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("llama3 vocabulary: Llama 3.2 tokenizer data not found (tried %s); run `go mod download %s` or set NASHD_LLAMA3_VOCAB to a folder with encoder.json and vocab.bpe",
		strings.Join(tried, ", "), ollamaModule)
}

// llama3Vocab reads Llama 3.2's BPE vocabulary (encoder.json: token -> id, vocab.bpe: merges
// in priority order) and adds the 256 special tokens. Tokens are stored in GPT-2's
// byte-to-unicode spelling, as GGUF's gpt2 tokenizer expects.
func llama3Vocab() (*vocab, error) {
	dir, err := llama3DataDir()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "encoder.json"))
	if err != nil {
		return nil, fmt.Errorf("llama3 vocabulary: %w", err)
	}
	var enc map[string]int
	if err := json.Unmarshal(raw, &enc); err != nil {
		return nil, fmt.Errorf("llama3 vocabulary: %s: %w", filepath.Join(dir, "encoder.json"), err)
	}
	nBPE := llama3VocabSize - len(llama3Special)
	if len(enc) != nBPE {
		return nil, fmt.Errorf("llama3 vocabulary: encoder.json has %d tokens, want %d", len(enc), nBPE)
	}
	v := &vocab{model: "gpt2", pre: "llama-bpe", bos: 128000, eos: 128009, eot: 128009, unk: -1}
	v.tokens = make([]string, llama3VocabSize)
	v.types = make([]int32, llama3VocabSize)
	for tok, id := range enc {
		if id < 0 || id >= nBPE || v.tokens[id] != "" {
			return nil, fmt.Errorf("llama3 vocabulary: encoder.json: bad or duplicate id %d for %q", id, tok)
		}
		v.tokens[id] = tok
		v.types[id] = tokNormal
	}
	for i, s := range llama3Special {
		v.tokens[nBPE+i] = s
		v.types[nBPE+i] = tokControl
	}
	f, err := os.Open(filepath.Join(dir, "vocab.bpe"))
	if err != nil {
		return nil, fmt.Errorf("llama3 vocabulary: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || bytes.HasPrefix(line, []byte("#version")) {
			continue
		}
		if bytes.Count(line, []byte(" ")) != 1 {
			return nil, fmt.Errorf("llama3 vocabulary: vocab.bpe: bad merge line %q", line)
		}
		v.merges = append(v.merges, string(line))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("llama3 vocabulary: vocab.bpe: %w", err)
	}
	return v, nil
}

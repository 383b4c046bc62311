package models

import (
	"errors"
	"fmt"
	"strings"
)

// Spec describes a llama-architecture model with seeded random weights, written by
// [Generate]. The zero values of the optional fields mean the documented defaults.
type Spec struct {
	// Name is stored as general.name. Default "nashd-random".
	Name string
	// Embd is the embedding (hidden) size, Blocks the number of transformer blocks, Heads the
	// number of attention heads (Embd must be a multiple, with an even head size), HeadsKV the
	// number of key/value heads (Heads must be a multiple; 0 means Heads), FFN the
	// feed-forward size and ContextLength the trained context length stored in the file.
	Embd, Blocks, Heads, HeadsKV, FFN, ContextLength int
	// Vocab chooses the tokenizer: "bytes" (the default) or "llama3"; see the package docs.
	Vocab string
	// VocabSize is the total number of tokens of the "bytes" vocabulary, at least
	// [MinBytesVocab]. For "llama3" it must be 0 or 128256 (the vocabulary's own size).
	VocabSize int
	// Seed makes the weights: the same Spec always gives the same file.
	Seed uint64
	// Type is the type of the 2-D weight tensors: "f32" (default) or "f16". Norm weights
	// are always F32, as in converted models.
	Type string
	// ChatTemplate is the Jinja template stored as tokenizer.chat_template. Default: ChatML
	// ([ChatMLTemplate]) for "bytes", Llama 3's ([Llama3Template]) for "llama3". Both are
	// recognised by llama.cpp's llama_chat_apply_template.
	ChatTemplate string
	// WeightStd is the standard deviation of the random weights (approximately normal).
	// Default 0.02, the usual initialisation scale; norm weights are 1.
	WeightStd float32
	// OutputScale multiplies the standard deviation of the output projection (output.weight,
	// or token_embd.weight when TieEmbeddings is set). Default 1. Random models have tiny
	// logit margins, so greedy decoding can flip between batched and single-sequence runs
	// because of rounding; a scale of about 50 (logit std near 1·sqrt(Embd)) makes the top
	// token win by a wide margin, for tests that compare greedy outputs across batch sizes.
	OutputScale float32
	// TieEmbeddings omits output.weight: llama.cpp then uses token_embd.weight for the output
	// projection, as Qwen2.5-0.5B does.
	TieEmbeddings bool
	// RopeFreqBase is stored as llama.rope.freq_base. Default 10000.
	RopeFreqBase float32
	// RMSEpsilon is stored as llama.attention.layer_norm_rms_epsilon. Default 1e-6.
	RMSEpsilon float32
}

// MinBytesVocab is the smallest "bytes" vocabulary: <unk>, <s>, </s>, <|im_start|>,
// <|im_end|> and the 256 byte tokens.
const MinBytesVocab = numBytesSpecial + 256

// llama3VocabSize is Llama 3.2's vocabulary: 128,000 BPE tokens and 256 special tokens.
const llama3VocabSize = 128256

// maxParams bounds the size of a generated model (10^10 parameters, 40 GB as F32) so a typo
// in a shape is an error, not a full disk.
const maxParams = 10_000_000_000

// ErrSpec is returned (wrapped) for an invalid [Spec].
var ErrSpec = errors.New("models: invalid spec")

// ShapeSpec returns the Spec of a named shape:
//   - "tiny": embd 64, 2 blocks, 4 heads, 2 KV heads, FFN 128, 512-token "bytes"
//     vocabulary, context 8192 (a byte-level vocabulary spends a token per byte, and
//     GTAlign's prompt alone is over 2,000 bytes), F32: a file of about 0.6 MB for tests;
//   - "bench": Qwen2.5-0.5B's shape (embd 896, 24 blocks, 14 heads, 2 KV heads, FFN 4864,
//     151,936-token vocabulary, context 32768, tied embeddings, rope base 10^6) as F16,
//     about 1 GB before quantization.
func ShapeSpec(shape string) (Spec, error) {
	switch shape {
	case "tiny":
		return Spec{Name: "nashd-random-tiny", Embd: 64, Blocks: 2, Heads: 4, HeadsKV: 2, FFN: 128,
			ContextLength: 8192, Vocab: "bytes", VocabSize: 512, Type: "f32"}, nil
	case "bench":
		return Spec{Name: "nashd-random-bench (Qwen2.5-0.5B shape)", Embd: 896, Blocks: 24, Heads: 14,
			HeadsKV: 2, FFN: 4864, ContextLength: 32768, Vocab: "bytes", VocabSize: 151936, Type: "f16",
			TieEmbeddings: true, RopeFreqBase: 1e6}, nil
	}
	return Spec{}, fmt.Errorf("%w: unknown shape %q (want tiny or bench)", ErrSpec, shape)
}

// withDefaults returns s with its defaults filled in, or an error naming the first invalid
// field.
func (s Spec) withDefaults() (Spec, error) {
	bad := func(format string, a ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("%w: "+format, append([]any{ErrSpec}, a...)...)
	}
	if s.Name == "" {
		s.Name = "nashd-random"
	}
	if s.HeadsKV == 0 {
		s.HeadsKV = s.Heads
	}
	if s.Vocab == "" {
		s.Vocab = "bytes"
	}
	s.Type = strings.ToLower(s.Type)
	if s.Type == "" {
		s.Type = "f32"
	}
	if s.WeightStd == 0 {
		s.WeightStd = 0.02
	}
	if s.OutputScale == 0 {
		s.OutputScale = 1
	}
	if s.RopeFreqBase == 0 {
		s.RopeFreqBase = 10000
	}
	if s.RMSEpsilon == 0 {
		s.RMSEpsilon = 1e-6
	}
	const maxDim = 1 << 20
	for _, f := range []struct {
		name string
		v    int
	}{{"Embd", s.Embd}, {"Blocks", s.Blocks}, {"Heads", s.Heads}, {"HeadsKV", s.HeadsKV},
		{"FFN", s.FFN}, {"ContextLength", s.ContextLength}} {
		if f.v <= 0 || f.v > maxDim {
			return bad("%s = %d, want 1..%d", f.name, f.v, maxDim)
		}
	}
	if s.Embd%s.Heads != 0 {
		return bad("Embd %d is not a multiple of Heads %d", s.Embd, s.Heads)
	}
	if (s.Embd/s.Heads)%2 != 0 {
		return bad("head size %d (Embd/Heads) must be even for rotary embeddings", s.Embd/s.Heads)
	}
	if s.Heads%s.HeadsKV != 0 {
		return bad("Heads %d is not a multiple of HeadsKV %d", s.Heads, s.HeadsKV)
	}
	switch s.Vocab {
	case "bytes":
		if s.VocabSize == 0 {
			s.VocabSize = MinBytesVocab
		}
		if s.VocabSize < MinBytesVocab || s.VocabSize > 1<<24 {
			return bad("VocabSize %d for the bytes vocabulary, want %d..%d", s.VocabSize, MinBytesVocab, 1<<24)
		}
		if s.ChatTemplate == "" {
			s.ChatTemplate = ChatMLTemplate
		}
	case "llama3":
		if s.VocabSize != 0 && s.VocabSize != llama3VocabSize {
			return bad("VocabSize %d for the llama3 vocabulary, want 0 or %d", s.VocabSize, llama3VocabSize)
		}
		s.VocabSize = llama3VocabSize
		if s.ChatTemplate == "" {
			s.ChatTemplate = Llama3Template
		}
	default:
		return bad("Vocab %q, want bytes or llama3", s.Vocab)
	}
	if s.Type != "f32" && s.Type != "f16" {
		return bad("Type %q, want f32 or f16", s.Type)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"WeightStd", s.WeightStd}, {"OutputScale", s.OutputScale}, {"RopeFreqBase", s.RopeFreqBase},
		{"RMSEpsilon", s.RMSEpsilon}} {
		if !(f.v > 0) || f.v > 1e9 { // also rejects NaN
			return bad("%s = %g, want a positive number", f.name, f.v)
		}
	}
	if p := s.Params(); p > maxParams {
		return bad("%d parameters, more than the limit %d", p, uint64(maxParams))
	}
	return s, nil
}

// Params returns the number of parameters of the model s describes (after defaults; 0 for
// a spec whose sizes are not positive).
func (s Spec) Params() uint64 {
	if s.HeadsKV == 0 {
		s.HeadsKV = s.Heads
	}
	if s.Vocab == "llama3" {
		s.VocabSize = llama3VocabSize
	} else if s.VocabSize == 0 {
		s.VocabSize = MinBytesVocab
	}
	if s.Embd <= 0 || s.Heads <= 0 || s.HeadsKV <= 0 || s.Blocks <= 0 || s.FFN <= 0 || s.Embd%s.Heads != 0 {
		return 0
	}
	var n uint64
	for _, t := range tensorLayout(s) {
		e := uint64(1)
		for _, d := range t.ne {
			e *= uint64(d)
		}
		n += e
	}
	return n
}

// ChatMLTemplate is the default chat template of the "bytes" vocabulary: ChatML as used by
// Qwen2.5. llama_chat_apply_template recognises it by "<|im_start|>".
const ChatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// Llama3Template is the default chat template of the "llama3" vocabulary: Llama 3's header
// format. llama_chat_apply_template recognises it by "<|start_header_id|>".
const Llama3Template = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"

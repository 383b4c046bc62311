package models

import (
	"fmt"
	"strings"

	gguf "github.com/gpustack/gguf-parser-go"
)

// Info summarises a model file.
type Info struct {
	Path         string `json:"path"`
	Architecture string `json:"architecture"`
	Name         string `json:"name,omitempty"`
	// Quantization is the file type as llama-quantize names it ("Q4_K_M", "F16", ...).
	Quantization string `json:"quantization"`
	Parameters   uint64 `json:"parameters"`
	SizeBytes    int64  `json:"size_bytes"` // the whole file
	// WeightBytes is the size of the tensor data (what llama.cpp maps into memory).
	WeightBytes     int64 `json:"weight_bytes"`
	ContextLength   int   `json:"context_length"`
	EmbeddingLength int   `json:"embedding_length"`
	Blocks          int   `json:"blocks"`
	Heads           int   `json:"heads"`
	HeadsKV         int   `json:"heads_kv"`
	// KeyLength and ValueLength are the per-head sizes of the attention keys and values
	// (EmbeddingLength/Heads unless the file says otherwise); they size the KV cache.
	KeyLength    int    `json:"key_length"`
	ValueLength  int    `json:"value_length"`
	VocabSize    int    `json:"vocab_size"`
	Tokenizer    string `json:"tokenizer,omitempty"` // tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (BPE), ...
	ChatTemplate string `json:"chat_template,omitempty"`
	// LayerWeightBytes is the size of each transformer block's tensors ("blk.N.*"), in
	// block order; OutputWeightBytes that of the output layer (output_norm and output.weight,
	// or token_embd.weight when TiedEmbeddings: the model has no output.weight). They size
	// a GPU offload ([EstimateOffload]).
	LayerWeightBytes  []uint64 `json:"layer_weight_bytes,omitempty"`
	OutputWeightBytes uint64   `json:"output_weight_bytes,omitempty"`
	TiedEmbeddings    bool     `json:"tied_embeddings,omitempty"`
	// EstimatedRAM is EstimateMemory(info, DefaultEstimateContext, 1): weights plus the KV
	// cache and compute buffers of one sequence of DefaultEstimateContext tokens.
	EstimatedRAM uint64 `json:"estimated_ram"`
}

// DefaultEstimateContext is the context length (tokens) used for [Info.EstimatedRAM], or the
// model's trained context if that is shorter.
const DefaultEstimateContext = 4096

// ReadInfo validates the file at path ([Validate]) and reads its metadata with
// github.com/gpustack/gguf-parser-go. An invalid file gives the validation error.
func ReadInfo(path string) (*Info, error) {
	h, err := validate(path)
	if err != nil {
		return nil, err
	}
	md, arch, tok, err := parseThirdParty(path)
	if err != nil {
		return nil, err
	}
	info := &Info{
		Path:            path,
		Architecture:    md.Architecture,
		Name:            md.Name,
		Quantization:    quantName(md, h),
		Parameters:      uint64(md.Parameters),
		SizeBytes:       h.fileSize,
		WeightBytes:     h.dataSize,
		ContextLength:   int(arch.MaximumContextLength),
		EmbeddingLength: int(arch.EmbeddingLength),
		Blocks:          int(arch.BlockCount),
		Heads:           int(arch.AttentionHeadCount),
		HeadsKV:         int(arch.AttentionHeadCountKV),
		KeyLength:       int(arch.AttentionKeyLength),
		ValueLength:     int(arch.AttentionValueLength),
		VocabSize:       int(arch.VocabularyLength),
		Tokenizer:       tok.Model,
		ChatTemplate:    h.str("tokenizer.chat_template"),
	}
	if info.HeadsKV == 0 {
		info.HeadsKV = info.Heads
	}
	if info.Heads > 0 {
		if info.KeyLength == 0 {
			info.KeyLength = info.EmbeddingLength / info.Heads
		}
		if info.ValueLength == 0 {
			info.ValueLength = info.EmbeddingLength / info.Heads
		}
	}
	if info.VocabSize == 0 {
		info.VocabSize = int(tok.TokensLength)
	}
	info.LayerWeightBytes, info.OutputWeightBytes, info.TiedEmbeddings = h.layerSizes(info.Blocks)
	info.EstimatedRAM = EstimateMemory(info, min(DefaultEstimateContext, max(info.ContextLength, 1)), 1)
	return info, nil
}

// parseThirdParty runs gguf-parser-go on a file that Validate accepted and extracts its
// summaries. The parser is guarded with recover as a second line of defence; Validate is
// the first.
func parseThirdParty(path string) (md gguf.GGUFMetadata, arch gguf.GGUFArchitecture, tok gguf.GGUFTokenizer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &FormatError{Path: path, Offset: -1, Msg: fmt.Sprintf("metadata parser failed: %v", r)}
		}
	}()
	gf, err := gguf.ParseGGUFFile(path, gguf.SkipLargeMetadata())
	if err != nil {
		return md, arch, tok, fmt.Errorf("read model %s: %w", path, err)
	}
	return gf.Metadata(), gf.Architecture(), gf.Tokenizer(), nil
}

// quantName returns the file type in llama-quantize's spelling: general.file_type when the
// file records it, else gguf-parser-go's guess from the tensor types.
func quantName(md gguf.GGUFMetadata, h *ggufHeader) string {
	s := md.FileTypeDescriptor
	if _, ok := h.kv["general.file_type"]; ok && md.FileType.String() != "Unknown" || s == "" {
		s = md.FileType.String()
	}
	s = strings.TrimPrefix(s, "MOSTLY_")
	s = strings.TrimPrefix(s, "ALL_")
	return s
}

// str returns a kept string value of the header, or "".
func (h *ggufHeader) str(key string) string {
	if v, ok := h.kv[key]; ok && v.typ == tString {
		return v.s
	}
	return ""
}

// Assumptions of [EstimateMemory], matching llama.cpp's defaults.
const (
	kvCacheElemBytes = 2   // the KV cache is F16 (type_k = type_v = GGML_TYPE_F16)
	estimateUBatch   = 512 // n_ubatch: tokens per compute graph
	f32Bytes         = 4   // logits and activations are float32
)

// EstimateMemory estimates the bytes of memory that llama.cpp needs to run the model
// described by info with slots parallel sequences of nCtx tokens each (the context holds
// nCtx*slots KV cells, nCtx per sequence). It is the sum of
//   - the weights (WeightBytes, mapped from the file),
//   - the F16 KV cache: 2 bytes × Blocks × cells × HeadsKV × (KeyLength + ValueLength),
//   - the compute buffer that llama.cpp reserves for a 512-token micro-batch: logits for
//     each of its tokens (512 × VocabSize × 4 bytes, the dominant term for large
//     vocabularies), the attention mask and its copy (2 × 512 × nCtx × 4 bytes) and
//     activations (512 × 8·EmbeddingLength × 4 bytes: the residual stream and the
//     feed-forward hidden state of a typical 4× expansion),
//   - the output buffer: one row of logits per slot.
//
// It assumes flash attention, which llama.cpp's default "auto" enables on the CPU; without
// it the attention scores need another Heads × 512 × nCtx × 4 bytes. Checked against
// llama.cpp's own buffer report on this package's bench model (see the tests): within a
// few percent above it. It is meant for an admission check (does a model swap fit in
// memory?), not as an exact figure. Non-positive nCtx or slots count as 1.
func EstimateMemory(info *Info, nCtx, slots int) uint64 {
	if info == nil {
		return 0
	}
	nCtx, slots = max(nCtx, 1), max(slots, 1)
	cells := uint64(nCtx) * uint64(slots)
	ub := min(uint64(estimateUBatch), cells)
	embd, vocab := uint64(max(info.EmbeddingLength, 0)), uint64(max(info.VocabSize, 0))
	compute := ub * f32Bytes * (vocab + 2*uint64(nCtx) + 4*embd + 4*embd)
	output := uint64(slots) * vocab * f32Bytes
	return uint64(max(info.WeightBytes, 0)) + kvCacheBytes(info, cells) + compute + output
}

// kvCacheBytes is the size of an F16 KV cache of the given number of cells.
func kvCacheBytes(info *Info, cells uint64) uint64 {
	return uint64(kvCacheElemBytes) * uint64(max(info.Blocks, 0)) * cells *
		uint64(max(info.HeadsKV, 0)) * uint64(max(info.KeyLength, 0)+max(info.ValueLength, 0))
}

package models

import (
	"fmt"
	"os"
)

// Validate checks that path is a structurally sound GGUF file that llama.cpp can load
// without trusting it: magic and version; counts that fit the file; every key, value and
// tensor info readable and inside the file; no duplicate keys or tensor names; a power-of-two
// general.alignment of type uint32; known tensor types with rows that are whole blocks and no
// zero dimension; tensor data contiguous, aligned and inside the file. For architecture
// "llama" it also checks what llama.cpp's loader requires: the hyperparameter keys with
// their types, a tokenizer whose arrays agree in length, and every tensor with its shape.
// Files of other architectures get the structural checks only.
//
// The error is a *[FormatError] (errors.Is(err, [ErrInvalidModel])) naming the file and the
// problem, or the error of opening or reading the file.
func Validate(path string) error {
	_, err := validate(path)
	return err
}

// validate is Validate returning the parsed header.
func validate(path string) (*ggufHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("validate model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("validate model: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, &FormatError{Path: path, Offset: -1, Msg: "not a regular file"}
	}
	h, err := parseGGUF(f, st.Size(), path)
	if err != nil {
		return nil, err
	}
	if err := h.checkModel(path); err != nil {
		return nil, err
	}
	return h, nil
}

// checkModel checks the architecture-specific requirements of a parsed header.
func (h *ggufHeader) checkModel(path string) error {
	bad := func(at int64, format string, a ...any) error {
		return &FormatError{Path: path, Offset: at, Msg: fmt.Sprintf(format, a...)}
	}
	arch, ok := h.kv["general.architecture"]
	if !ok {
		return bad(-1, "missing general.architecture")
	}
	if arch.typ != tString || arch.skipped {
		return bad(arch.offset, "general.architecture has type %s, want a short string", arch.typ)
	}
	if arch.s == "llama" {
		return h.checkLlama(path)
	}
	// llama.cpp loads the vocabulary the same way for every architecture.
	if _, ok := h.kv["tokenizer.ggml.model"]; ok {
		_, err := h.checkTokenizer(path)
		return err
	}
	return nil
}

// uintKey returns the value of a required key of type uint32 (llama.cpp's loader rejects
// other integer types for its hyperparameters).
func (h *ggufHeader) uintKey(path, key string) (int64, error) {
	v, ok := h.kv[key]
	if !ok {
		return 0, &FormatError{Path: path, Offset: -1, Msg: "missing required key " + key}
	}
	if v.typ != tUint32 {
		return 0, &FormatError{Path: path, Offset: v.offset, Msg: fmt.Sprintf("%s has type %s, want uint32", key, v.typ)}
	}
	return int64(v.u), nil
}

// perLayerKey checks a key that llama.cpp reads with get_key_or_arr: a uint32, or an array of
// n_layer integers. It returns the first (or only) value; absent keys give def.
func (h *ggufHeader) perLayerKey(path, key string, blocks int64, def int64, required bool) (int64, error) {
	v, ok := h.kv[key]
	if !ok {
		if required {
			return 0, &FormatError{Path: path, Offset: -1, Msg: "missing required key " + key}
		}
		return def, nil
	}
	if v.typ == tArray {
		if v.elem != tUint32 && v.elem != tInt32 {
			return 0, &FormatError{Path: path, Offset: v.offset, Msg: fmt.Sprintf("%s is an array of %s, want uint32 or int32", key, v.elem)}
		}
		if v.n != uint64(blocks) {
			return 0, &FormatError{Path: path, Offset: v.offset, Msg: fmt.Sprintf("%s has %d values for %d blocks", key, v.n, blocks)}
		}
		if v.skipped || len(v.arr) == 0 {
			return def, nil
		}
		x := v.arr[0]
		if x.typ == tInt32 {
			return x.i, nil
		}
		return int64(x.u), nil
	}
	return h.uintKey(path, key)
}

// maxLlamaDim bounds the hyperparameters of a llama model (the largest real models are near
// 2^14 wide and 2^17 tokens of context per 2^20).
const maxLlamaDim = 1 << 24

// checkLlama checks what llama.cpp's loader needs for architecture "llama"
// (llama-model.cpp: llm_load_hparams and the LLM_ARCH_LLAMA tensor list; llama-vocab.cpp).
func (h *ggufHeader) checkLlama(path string) error {
	bad := func(at int64, format string, a ...any) error {
		return &FormatError{Path: path, Offset: at, Msg: fmt.Sprintf(format, a...)}
	}
	var hp = map[string]int64{}
	for _, k := range []string{"llama.context_length", "llama.embedding_length", "llama.block_count"} {
		v, err := h.uintKey(path, k)
		if err != nil {
			return err
		}
		if v == 0 || v > maxLlamaDim {
			return bad(h.kv[k].offset, "%s = %d, want 1..%d", k, v, maxLlamaDim)
		}
		hp[k] = v
	}
	embd, blocks := hp["llama.embedding_length"], hp["llama.block_count"]
	heads, err := h.perLayerKey(path, "llama.attention.head_count", blocks, 0, true)
	if err != nil {
		return err
	}
	headsKV, err := h.perLayerKey(path, "llama.attention.head_count_kv", blocks, heads, false)
	if err != nil {
		return err
	}
	if _, err := h.perLayerKey(path, "llama.feed_forward_length", blocks, 0, false); err != nil {
		return err
	}
	if heads <= 0 || heads > embd || headsKV <= 0 || headsKV > heads {
		return bad(-1, "attention heads %d / key-value heads %d do not fit embedding length %d", heads, headsKV, embd)
	}
	if v, ok := h.kv["llama.attention.layer_norm_rms_epsilon"]; !ok {
		return bad(-1, "missing required key llama.attention.layer_norm_rms_epsilon")
	} else if v.typ != tFloat32 {
		return bad(v.offset, "llama.attention.layer_norm_rms_epsilon has type %s, want float32", v.typ)
	}
	headK, headV, rot := embd/heads, embd/heads, int64(-1)
	for _, k := range []string{"llama.attention.key_length", "llama.attention.value_length", "llama.rope.dimension_count"} {
		if _, ok := h.kv[k]; ok {
			v, err := h.uintKey(path, k)
			if err != nil {
				return err
			}
			switch k {
			case "llama.attention.key_length":
				headK = v
			case "llama.attention.value_length":
				headV = v
			default:
				rot = v
			}
		}
	}
	if headK <= 0 || headV <= 0 || headK > maxLlamaDim || headV > maxLlamaDim {
		return bad(-1, "attention head sizes %d (keys) and %d (values) are out of range", headK, headV)
	}
	if rot >= 0 && rot != headK {
		// llama-model.cpp: "invalid n_rot" for LLM_ARCH_LLAMA.
		return bad(h.kv["llama.rope.dimension_count"].offset, "llama.rope.dimension_count = %d, want the head size %d", rot, headK)
	}
	nVocab, err := h.checkTokenizer(path)
	if err != nil {
		return err
	}

	// Tensors: name -> expected shape (nil: shape not checked). The FFN may be dense or
	// mixture-of-experts (Mixtral is "llama" with *_exps tensors).
	tensors := make(map[string]*ggufTensor, len(h.tensors))
	for i := range h.tensors {
		tensors[h.tensors[i].name] = &h.tensors[i]
	}
	need := func(name string, shape ...int64) error {
		t, ok := tensors[name]
		if !ok {
			return bad(-1, "missing tensor %s", name)
		}
		if shape != nil {
			if len(t.ne) < len(shape) {
				return bad(t.pos, "tensor %s has shape %v, want %v", name, t.ne, shape)
			}
			for i, d := range t.ne {
				want := int64(1)
				if i < len(shape) {
					want = shape[i]
				}
				if want >= 0 && d != want {
					return bad(t.pos, "tensor %s has shape %v, want %v", name, t.ne, shape)
				}
			}
		}
		return nil
	}
	if err := need("token_embd.weight", embd, nVocab); err != nil {
		return err
	}
	if err := need("output_norm.weight", embd); err != nil {
		return err
	}
	if _, ok := tensors["output.weight"]; ok {
		if err := need("output.weight", embd, nVocab); err != nil {
			return err
		}
	}
	for b := int64(0); b < blocks; b++ {
		p := fmt.Sprintf("blk.%d.", b)
		// Per-layer head counts may differ; shapes of q/k/v are checked on their first dimension.
		checks := []struct {
			name  string
			shape []int64
		}{
			{"attn_norm.weight", []int64{embd}},
			{"attn_q.weight", []int64{embd, -1}},
			{"attn_k.weight", []int64{embd, -1}},
			{"attn_v.weight", []int64{embd, -1}},
			{"attn_output.weight", []int64{-1, embd}},
			{"ffn_norm.weight", []int64{embd}},
		}
		if b == 0 {
			checks[1].shape = []int64{embd, headK * heads}
			checks[2].shape = []int64{embd, headK * headsKV}
			checks[3].shape = []int64{embd, headV * headsKV}
			checks[4].shape = []int64{headV * heads, embd}
		}
		for _, c := range checks {
			if err := need(p+c.name, c.shape...); err != nil {
				return err
			}
		}
		if _, moe := tensors[p+"ffn_gate_inp.weight"]; moe {
			for _, n := range []string{"ffn_gate_exps.weight", "ffn_down_exps.weight", "ffn_up_exps.weight"} {
				if err := need(p + n); err != nil {
					return err
				}
			}
			continue
		}
		for _, c := range []struct {
			name  string
			shape []int64
		}{{"ffn_gate.weight", []int64{embd, -1}}, {"ffn_down.weight", []int64{-1, embd}}, {"ffn_up.weight", []int64{embd, -1}}} {
			if err := need(p+c.name, c.shape...); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTokenizer checks the tokenizer keys llama-vocab.cpp reads (it indexes scores and
// token types by token id, so their lengths must match the token list) and returns the
// vocabulary size.
func (h *ggufHeader) checkTokenizer(path string) (int64, error) {
	bad := func(at int64, format string, a ...any) error {
		return &FormatError{Path: path, Offset: at, Msg: fmt.Sprintf(format, a...)}
	}
	model, ok := h.kv["tokenizer.ggml.model"]
	if !ok {
		return 0, bad(-1, "missing required key tokenizer.ggml.model")
	}
	if model.typ != tString || model.skipped {
		return 0, bad(model.offset, "tokenizer.ggml.model has type %s, want a short string", model.typ)
	}
	if model.s == "none" || model.s == "no_vocab" {
		// A model without vocabulary: the output size comes from <arch>.vocab_size.
		arch := h.kv["general.architecture"].s
		if _, ok := h.kv[arch+".vocab_size"]; !ok && arch != "llama" {
			return 0, nil
		}
		return h.uintKey(path, arch+".vocab_size")
	}
	toks, ok := h.kv["tokenizer.ggml.tokens"]
	if !ok {
		return 0, bad(-1, "missing required key tokenizer.ggml.tokens")
	}
	if toks.typ != tArray || toks.elem != tString {
		return 0, bad(toks.offset, "tokenizer.ggml.tokens is not an array of strings")
	}
	if toks.n == 0 || toks.n > 1<<26 {
		return 0, bad(toks.offset, "tokenizer.ggml.tokens has %d tokens", toks.n)
	}
	// llama-vocab.cpp asserts (aborts) that the token texts are unique, after renaming empty
	// tokens "[EMPTY_<id>]".
	seen := make(map[string]int, len(toks.strs))
	for i, tok := range toks.strs {
		if tok == "" {
			tok = fmt.Sprintf("[EMPTY_%d]", i)
		}
		if j, dup := seen[tok]; dup {
			return 0, bad(toks.offset, "tokenizer.ggml.tokens: tokens %d and %d are both %q", j, i, tok)
		}
		seen[tok] = i
	}
	for _, k := range []struct {
		key  string
		elem ggufType
	}{{"tokenizer.ggml.scores", tFloat32}, {"tokenizer.ggml.token_type", tInt32}} {
		v, ok := h.kv[k.key]
		if !ok {
			continue
		}
		if v.typ != tArray || v.elem != k.elem {
			return 0, bad(v.offset, "%s is not an array of %s", k.key, k.elem)
		}
		if v.n != toks.n {
			return 0, bad(v.offset, "%s has %d entries for %d tokens", k.key, v.n, toks.n)
		}
	}
	if model.s == "gpt2" {
		m, ok := h.kv["tokenizer.ggml.merges"]
		if !ok {
			return 0, bad(-1, "BPE tokenizer without tokenizer.ggml.merges")
		}
		if m.typ != tArray || m.elem != tString {
			return 0, bad(m.offset, "tokenizer.ggml.merges is not an array of strings")
		}
	}
	if v, ok := h.kv["tokenizer.ggml.precompiled_charsmap"]; ok && (v.typ != tArray || v.elem == tString) {
		// read with gguf_get_arr_data, which aborts on string arrays
		return 0, bad(v.offset, "tokenizer.ggml.precompiled_charsmap is not an array of numbers")
	}
	if v, ok := h.kv["tokenizer.chat_template"]; ok && v.typ != tString {
		return 0, bad(v.offset, "tokenizer.chat_template has type %s, want string", v.typ)
	}
	return int64(toks.n), nil
}

package llama

// A minimal GGUF writer for this package's tests only: a tiny llama-architecture model with
// seeded random F32 weights and a byte-fallback SentencePiece-style vocabulary. Package models
// owns the real generator; this stays test-only so the binding's tests do not depend on it.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

type tinySpec struct {
	Embd, Heads, HeadsKV, FF, Layers, Ctx int
	Words                                 []string // normal tokens after the byte tokens
	OutScale                              float32  // multiplies output.weight (larger = larger logit margins)
	Seed                                  uint64
	Template                              string
}

func defaultTinySpec() tinySpec {
	return tinySpec{Embd: 64, Heads: 4, HeadsKV: 2, FF: 128, Layers: 2, Ctx: 512, OutScale: 1, Seed: 1,
		Words:    []string{"▁", "▁the", "▁a", "▁game", "▁payoff", "▁action", "▁Nash", "{", "}", "\"", ":", ",", "▁1", "▁2", "▁3"},
		Template: "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
	}
}

type ggufW struct{ b bytes.Buffer }

func (w *ggufW) u32(v uint32) { binary.Write(&w.b, binary.LittleEndian, v) }
func (w *ggufW) u64(v uint64) { binary.Write(&w.b, binary.LittleEndian, v) }
func (w *ggufW) str(s string) { w.u64(uint64(len(s))); w.b.WriteString(s) }

const (
	gU32 = 4
	gI32 = 5
	gF32 = 6
	gStr = 8
	gArr = 9
)

func (w *ggufW) kvU32(k string, v uint32) { w.str(k); w.u32(gU32); w.u32(v) }
func (w *ggufW) kvF32(k string, v float32) {
	w.str(k)
	w.u32(gF32)
	binary.Write(&w.b, binary.LittleEndian, v)
}
func (w *ggufW) kvStr(k, v string) { w.str(k); w.u32(gStr); w.str(v) }

// writeTinyModel writes the model described by s to path.
func writeTinyModel(t testing.TB, path string, s tinySpec) {
	t.Helper()
	var toks []string
	var types []int32
	toks = append(toks, "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>")
	types = append(types, 2, 3, 3, 3, 3)
	for i := 0; i < 256; i++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", i))
		types = append(types, 6)
	}
	for _, wd := range s.Words {
		toks = append(toks, wd)
		types = append(types, 1)
	}
	nv := len(toks)
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	type tensor struct {
		name string
		dims []uint64
		data []float32
	}
	randT := func(name string, scale float32, dims ...int) tensor {
		n := 1
		d := make([]uint64, len(dims))
		for i, x := range dims {
			n *= x
			d[i] = uint64(x)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64()) * scale
		}
		return tensor{name, d, v}
	}
	ones := func(name string, n int) tensor {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		return tensor{name, []uint64{uint64(n)}, v}
	}
	hd := s.Embd / s.Heads
	kv := hd * s.HeadsKV
	ts := []tensor{randT("token_embd.weight", 1, s.Embd, nv), ones("output_norm.weight", s.Embd),
		randT("output.weight", 0.2*s.OutScale, s.Embd, nv)}
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts, ones(p+"attn_norm.weight", s.Embd),
			randT(p+"attn_q.weight", 0.1, s.Embd, s.Embd), randT(p+"attn_k.weight", 0.1, s.Embd, kv),
			randT(p+"attn_v.weight", 0.1, s.Embd, kv), randT(p+"attn_output.weight", 0.1, s.Embd, s.Embd),
			ones(p+"ffn_norm.weight", s.Embd), randT(p+"ffn_gate.weight", 0.1, s.Embd, s.FF),
			randT(p+"ffn_up.weight", 0.1, s.Embd, s.FF), randT(p+"ffn_down.weight", 0.1, s.FF, s.Embd))
	}
	var w ggufW
	w.b.WriteString("GGUF")
	w.u32(3)
	w.u64(uint64(len(ts)))
	nkv := 19
	if s.Template != "" {
		nkv++
	}
	w.u64(uint64(nkv))
	w.kvStr("general.architecture", "llama")
	w.kvStr("general.name", "nash-test-tiny")
	w.kvU32("llama.context_length", uint32(s.Ctx))
	w.kvU32("llama.embedding_length", uint32(s.Embd))
	w.kvU32("llama.block_count", uint32(s.Layers))
	w.kvU32("llama.feed_forward_length", uint32(s.FF))
	w.kvU32("llama.attention.head_count", uint32(s.Heads))
	w.kvU32("llama.attention.head_count_kv", uint32(s.HeadsKV))
	w.kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5)
	w.kvU32("llama.rope.dimension_count", uint32(hd))
	w.kvStr("tokenizer.ggml.model", "llama")
	w.str("tokenizer.ggml.tokens")
	w.u32(gArr)
	w.u32(gStr)
	w.u64(uint64(nv))
	for _, tk := range toks {
		w.str(tk)
	}
	w.str("tokenizer.ggml.scores")
	w.u32(gArr)
	w.u32(gF32)
	w.u64(uint64(nv))
	for i := range toks {
		binary.Write(&w.b, binary.LittleEndian, float32(-i))
	}
	w.str("tokenizer.ggml.token_type")
	w.u32(gArr)
	w.u32(gI32)
	w.u64(uint64(nv))
	for _, ty := range types {
		binary.Write(&w.b, binary.LittleEndian, ty)
	}
	w.kvU32("tokenizer.ggml.bos_token_id", 1)
	w.kvU32("tokenizer.ggml.eos_token_id", 2)
	w.kvU32("tokenizer.ggml.unknown_token_id", 0)
	w.kvU32("tokenizer.ggml.eot_token_id", 4)
	w.kvU32("general.alignment", 32)
	if s.Template != "" {
		w.kvStr("tokenizer.chat_template", s.Template)
	}
	var off uint64
	for _, tn := range ts {
		w.str(tn.name)
		w.u32(uint32(len(tn.dims)))
		for _, d := range tn.dims {
			w.u64(d)
		}
		w.u32(0) // F32
		w.u64(off)
		off += uint64(len(tn.data) * 4)
		off = (off + 31) &^ 31
	}
	for w.b.Len()%32 != 0 {
		w.b.WriteByte(0)
	}
	for _, tn := range ts {
		for _, f := range tn.data {
			binary.Write(&w.b, binary.LittleEndian, math.Float32bits(f))
		}
		for w.b.Len()%32 != 0 {
			w.b.WriteByte(0)
		}
	}
	if err := os.WriteFile(path, w.b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

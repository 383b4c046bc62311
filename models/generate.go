package models

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
)

// tensorSpec is one tensor of a generated model.
type tensorSpec struct {
	name string
	ne   []int64 // ggml order: ne[0] is the row length
	typ  ggmlType
	std  float32 // 0: constant 1 (norm weights)
}

// tensorLayout lists the tensors of a llama model in file order, with ggml's dimension
// order (token_embd is [n_embd, n_vocab]). s must have its defaults filled in, except that
// the weight type and scales may be zero (Params uses the shapes only).
func tensorLayout(s Spec) []tensorSpec {
	wt := typeF32
	if s.Type == "f16" {
		wt = typeF16
	}
	e, f, v := int64(s.Embd), int64(s.FFN), int64(s.VocabSize)
	kvDim := e / int64(s.Heads) * int64(s.HeadsKV)
	std, outStd := s.WeightStd, s.WeightStd*s.OutputScale
	embStd := std
	if s.TieEmbeddings {
		embStd = outStd
	}
	ts := []tensorSpec{{"token_embd.weight", []int64{e, v}, wt, embStd}}
	for b := 0; b < s.Blocks; b++ {
		p := fmt.Sprintf("blk.%d.", b)
		ts = append(ts,
			tensorSpec{p + "attn_norm.weight", []int64{e}, typeF32, 0},
			tensorSpec{p + "attn_q.weight", []int64{e, e}, wt, std},
			tensorSpec{p + "attn_k.weight", []int64{e, kvDim}, wt, std},
			tensorSpec{p + "attn_v.weight", []int64{e, kvDim}, wt, std},
			tensorSpec{p + "attn_output.weight", []int64{e, e}, wt, std},
			tensorSpec{p + "ffn_norm.weight", []int64{e}, typeF32, 0},
			tensorSpec{p + "ffn_gate.weight", []int64{e, f}, wt, std},
			tensorSpec{p + "ffn_down.weight", []int64{f, e}, wt, std},
			tensorSpec{p + "ffn_up.weight", []int64{e, f}, wt, std},
		)
	}
	ts = append(ts, tensorSpec{"output_norm.weight", []int64{e}, typeF32, 0})
	if !s.TieEmbeddings {
		ts = append(ts, tensorSpec{"output.weight", []int64{e, v}, wt, outStd})
	}
	return ts
}

// llama_ftype values for general.file_type.
const (
	ftypeAllF32    = 0
	ftypeMostlyF16 = 1
)

// metadata returns the key/value pairs of a generated model.
func metadata(s Spec, v *vocab) []kv {
	ft := uint32(ftypeAllF32)
	if s.Type == "f16" {
		ft = ftypeMostlyF16
	}
	m := []kv{
		{"general.architecture", "llama"},
		{"general.name", s.Name},
		{"general.description", fmt.Sprintf("random weights (seed %d) written by nashd: not a trained model", s.Seed)},
		{"general.file_type", ft},
		{"general.alignment", uint32(ggufDefaultAlignment)},
		{"llama.vocab_size", uint32(s.VocabSize)},
		{"llama.context_length", uint32(s.ContextLength)},
		{"llama.embedding_length", uint32(s.Embd)},
		{"llama.block_count", uint32(s.Blocks)},
		{"llama.feed_forward_length", uint32(s.FFN)},
		{"llama.rope.dimension_count", uint32(s.Embd / s.Heads)},
		{"llama.rope.freq_base", s.RopeFreqBase},
		{"llama.attention.head_count", uint32(s.Heads)},
		{"llama.attention.head_count_kv", uint32(s.HeadsKV)},
		{"llama.attention.layer_norm_rms_epsilon", s.RMSEpsilon},
		{"tokenizer.ggml.model", v.model},
		{"tokenizer.ggml.pre", v.pre},
		{"tokenizer.ggml.tokens", v.tokens},
	}
	if v.scores != nil {
		m = append(m, kv{"tokenizer.ggml.scores", v.scores})
	}
	m = append(m, kv{"tokenizer.ggml.token_type", v.types})
	if v.merges != nil {
		m = append(m, kv{"tokenizer.ggml.merges", v.merges})
	}
	m = append(m,
		kv{"tokenizer.ggml.bos_token_id", v.bos},
		kv{"tokenizer.ggml.eos_token_id", v.eos},
		kv{"tokenizer.ggml.eot_token_id", v.eot},
	)
	if v.unk >= 0 {
		m = append(m, kv{"tokenizer.ggml.unknown_token_id", uint32(v.unk)})
	}
	m = append(m,
		kv{"tokenizer.ggml.add_bos_token", true},
		kv{"tokenizer.ggml.add_eos_token", false},
		kv{"tokenizer.chat_template", s.ChatTemplate},
	)
	return m
}

// Generate writes the model s describes to path as a GGUF v3 file with random weights. The
// file appears atomically: it is written to a temporary file in the same folder, synced and
// renamed, so a reader never sees a partial model. Weights are streamed (the bench model
// never sits in memory). An invalid spec gives an error wrapping [ErrSpec].
func Generate(path string, s Spec) error { return generate(path, s, true) }

// generate is Generate; sync=false skips fsync, for temporary files that are read back at
// once and deleted (the bench model's F16 source is 1 GB).
func generate(path string, s Spec, sync bool) (err error) {
	s, err = s.withDefaults()
	if err != nil {
		return err
	}
	var v *vocab
	if s.Vocab == "llama3" {
		if v, err = llama3Vocab(); err != nil {
			return fmt.Errorf("generate %s: %w", path, err)
		}
	} else {
		v = bytesVocab(s.VocabSize)
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = writeModel(tmp, s, v); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	if sync {
		if err = tmp.Sync(); err != nil {
			return fmt.Errorf("generate %s: %w", path, err)
		}
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	return nil
}

// writeModel writes the model s with vocabulary v.
func writeModel(f *os.File, s Spec, v *vocab) error {
	return writeGGUF(f, metadata(s, v), tensorLayout(s), s.Seed)
}

// writeGGUF writes a GGUF v3 file: header, metadata, tensor infos and tensor data (random
// weights from seed, see fillWeights), every tensor 32-byte aligned.
func writeGGUF(w io.Writer, meta []kv, tensors []tensorSpec, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &ggufWriter{w: bw}
	g.write([]byte(ggufMagic))
	g.u32(ggufVersion)
	g.u64(uint64(len(tensors)))
	g.u64(uint64(len(meta)))
	for _, p := range meta {
		g.kv(p)
	}
	var off int64
	for _, t := range tensors {
		g.str(t.name)
		g.u32(uint32(len(t.ne)))
		for _, d := range t.ne {
			g.u64(uint64(d))
		}
		g.u32(uint32(t.typ))
		g.u64(uint64(off))
		off += padTo(t.typ.nbytes(t.ne), ggufDefaultAlignment)
	}
	g.pad(ggufDefaultAlignment)

	buf := make([]byte, 0, 1<<20)
	tables := map[tableKey]*weightTable{}
	for _, t := range tensors {
		rng := newRNG(tensorSeed(seed, t.name))
		var tab *weightTable
		if t.std != 0 {
			k := tableKey{t.std, t.typ}
			if tab = tables[k]; tab == nil {
				tab = newWeightTable(t.std, t.typ)
				tables[k] = tab
			}
		}
		n := int64(1)
		for _, d := range t.ne {
			n *= d
		}
		esz := int64(4)
		if t.typ == typeF16 {
			esz = 2
		}
		for n > 0 {
			k := min(n, int64(cap(buf))/esz)
			buf = buf[:k*esz]
			fillWeights(buf, t, tab, rng)
			g.write(buf)
			n -= k
		}
		g.pad(ggufDefaultAlignment)
		if g.err != nil {
			return g.err
		}
	}
	if g.err != nil {
		return g.err
	}
	return bw.Flush()
}

// fillWeights fills buf (whole elements of t's type) with t's next weights: ones for norm
// weights (std 0), else tab's values for successive draws of rng.
func fillWeights(buf []byte, t tensorSpec, tab *weightTable, rng *rng) {
	switch {
	case t.std == 0:
		one := math.Float32bits(1)
		for i := 0; i < len(buf); i += 4 {
			binary.LittleEndian.PutUint32(buf[i:], one)
		}
	case t.typ == typeF32:
		for i := 0; i < len(buf); i += 4 {
			binary.LittleEndian.PutUint32(buf[i:], tab.f32[irwinHall4(rng.next())])
		}
	default: // F16
		for i := 0; i < len(buf); i += 2 {
			binary.LittleEndian.PutUint16(buf[i:], tab.f16[irwinHall4(rng.next())])
		}
	}
}

// irwinHallMax is the largest sum of four 16-bit parts.
const irwinHallMax = 4 * 0xffff

// irwinHall4 sums the four 16-bit parts of x: the Irwin–Hall distribution of four uniforms,
// a bell curve on 0..irwinHallMax.
func irwinHall4(x uint64) int {
	return int(x&0xffff + x>>16&0xffff + x>>32&0xffff + x>>48)
}

// weightValue maps an Irwin–Hall sum to a weight: centred and scaled to unit variance (each
// part is uniform on 0..65535, mean 32767.5, variance ≈ 65536²/12), times std. The support
// is bounded (|z| < 3.47), which keeps random activations finite.
func weightValue(s int, std float32) float32 {
	const scale = 1.7320508075688772 / 65536 // sqrt(3) / 65536: unit variance for 4 parts
	return std * (float32(float64(s)-4*32767.5) * scale)
}

// weightTable holds the encoded weight for every Irwin–Hall sum, so generating a weight
// costs one PRNG step and one lookup (the bench model has half a billion).
type weightTable struct {
	f32 []uint32
	f16 []uint16
}

type tableKey struct {
	std float32
	typ ggmlType
}

func newWeightTable(std float32, typ ggmlType) *weightTable {
	t := &weightTable{}
	if typ == typeF16 {
		t.f16 = make([]uint16, irwinHallMax+1)
		for s := range t.f16 {
			t.f16[s] = f32ToF16(weightValue(s, std))
		}
		return t
	}
	t.f32 = make([]uint32, irwinHallMax+1)
	for s := range t.f32 {
		t.f32[s] = math.Float32bits(weightValue(s, std))
	}
	return t
}

// tensorSeed derives a tensor's PRNG seed from the model seed and the tensor name, so each
// tensor's weights depend only on (seed, name).
func tensorSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// rng is SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators",
// OOPSLA 2014), a fast generator that passes BigCrush; ample for random weights.
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// f32ToF16 converts to IEEE 754 half precision, rounding to nearest even, with subnormals,
// infinities and NaN.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 127+15: // overflow
		return sign | 0x7c00
	case exp >= 127-14: // normal half
		he := uint32(exp-127+15) << 10
		h := he | man>>13
		rem := man & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, up to Inf: correct
		}
		return sign | uint16(h)
	case exp >= 127-25: // subnormal half
		m := man | 0x800000
		shift := uint32(127 - 14 - exp + 13) // 14..24
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign // underflow to zero
}

// f16ToF32 converts IEEE 754 half precision to float32 (exact).
func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// subnormal: man * 2^-24
	f := float32(man) * (1.0 / (1 << 24))
	return math.Float32frombits(math.Float32bits(f) | sign)
}

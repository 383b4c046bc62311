package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"
)

// microFile returns the bytes and parsed header of a valid micro model.
func microFile(t testing.TB) ([]byte, *ggufHeader) {
	t.Helper()
	var buf bytes.Buffer
	s, err := microSpec().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeGGUF(&buf, metadata(s, bytesVocab(s.VocabSize)), tensorLayout(s), s.Seed); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	h, err := parseGGUF(bytes.NewReader(data), int64(len(data)), "micro")
	if err != nil {
		t.Fatal(err)
	}
	return data, h
}

// validateBytes runs Validate's checks on an in-memory file.
func validateBytes(data []byte) (*ggufHeader, error) {
	h, err := parseGGUF(bytes.NewReader(data), int64(len(data)), "test.gguf")
	if err != nil {
		return nil, err
	}
	if err := h.checkModel("test.gguf"); err != nil {
		return nil, err
	}
	return h, nil
}

// Positions of a tensor info's fields.
func tensorFieldPos(ti ggufTensor) (ndims, typ, offset int64) {
	ndims = ti.pos + 8 + int64(len(ti.name))
	typ = ndims + 4 + 8*int64(len(ti.ne))
	return ndims, typ, typ + 4
}

func TestValidateTruncated(t *testing.T) {
	data, h := microFile(t)
	last := h.tensors[len(h.tensors)-1]
	dataEnd := h.dataStart + int64(last.offset) + last.nbytes
	// Every cut inside the header and the tensor data must fail; cuts inside the final
	// padding leave a loadable file.
	for n := int64(0); n < int64(len(data)); n++ {
		if n > h.dataStart+64 && n < dataEnd-64 && n%61 != 0 {
			continue // every byte of the header and the data's ends; a sample of the rest
		}
		_, err := validateBytes(data[:n])
		if n < dataEnd && !errors.Is(err, ErrInvalidModel) {
			t.Fatalf("truncated at %d of %d bytes: error %v, want ErrInvalidModel", n, len(data), err)
		}
		if n >= dataEnd && err != nil {
			t.Fatalf("cut in the final padding at %d: %v", n, err)
		}
	}
	if _, err := validateBytes(append(bytes.Clone(data), 0, 0, 0)); err != nil {
		t.Errorf("trailing bytes after the data: %v", err)
	}
}

func TestValidateCorrupt(t *testing.T) {
	data, h := microFile(t)
	tok := h.tensors[0] // token_embd.weight
	ndimsPos, typPos, offPos := tensorFieldPos(tok)
	second := h.tensors[1]
	_, _, off2Pos := tensorFieldPos(second)
	u32 := func(pos int64, v uint32) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint32(b[pos:], v) }
	}
	u64 := func(pos int64, v uint64) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint64(b[pos:], v) }
	}
	tests := []struct {
		name   string
		mutate func([]byte)
		want   string
	}{
		{"magic", func(b []byte) { copy(b, "GGML") }, "magic"},
		{"version 0", u32(4, 0), "version"},
		{"version 1", u32(4, 1), "version 1"},
		{"version 4", u32(4, 4), "version"},
		{"big endian version", u32(4, 3<<24), "big-endian"},
		{"tensor count huge", u64(8, 1<<60), "tensor count"},
		{"tensor count +1", u64(8, uint64(len(h.tensors)+1)), ""},
		{"metadata count huge", u64(16, 1<<62), "metadata count"},
		{"metadata count -1", u64(16, ^uint64(0)), "metadata count"},
		{"key length huge", u64(24, 1<<40), "past the end"},
		{"value type invalid", u32(h.kv["general.architecture"].offset-4, 99), "invalid type"},
		{"value type nested array", func(b []byte) {
			binary.LittleEndian.PutUint32(b[h.kv["tokenizer.ggml.tokens"].offset:], uint32(tArray))
		}, "array element type"},
		{"string array count huge", u64(h.kv["tokenizer.ggml.tokens"].offset+4, 1<<61), "cannot fit"},
		{"float array count huge", u64(h.kv["tokenizer.ggml.scores"].offset+4, 1<<61), "past the end"},
		{"tensor dims 5", u32(ndimsPos, 5), "dimensions"},
		{"tensor dim zero", u64(ndimsPos+4, 0), "dimension 0 is 0"},
		{"tensor dim negative", u64(ndimsPos+4, 1<<63), "dimension 0"},
		{"tensor dim overflow", func(b []byte) {
			binary.LittleEndian.PutUint64(b[ndimsPos+4:], 1<<40)
			binary.LittleEndian.PutUint64(b[ndimsPos+12:], 1<<40)
		}, "too many elements"},
		{"tensor too large for file", u64(ndimsPos+12, 1<<30), "larger than the file"},
		{"tensor type invalid", u32(typPos, 40), "invalid or unsupported ggml type 40"},
		{"tensor type removed", u32(typPos, 4), "unsupported ggml type 4"},
		{"tensor type block size", u32(typPos, uint32(typeQ8_0)), "block size"},
		{"tensor type changes size", u32(typPos, 27), "offset"}, // I64: twice the bytes, next offset wrong
		{"first offset", u64(offPos, 32), "data offset 32, want 0"},
		{"offset misaligned", u64(off2Pos, second.offset+1), "want"},
		{"offset past EOF", u64(off2Pos, 1<<40), "want"},
		{"tensor name too long", func(b []byte) { binary.LittleEndian.PutUint64(b[tok.pos:], 200) }, "limit 63"},
		{"embedding shape", u64(ndimsPos+4, 16), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(data)
			tt.mutate(b)
			_, err := validateBytes(b)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("error = %v, want a *FormatError", err)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "test.gguf") {
				t.Errorf("error = %q, want it to name the file and mention %q", err, tt.want)
			}
		})
	}
}

// writeMeta writes the micro model with modified metadata or tensors.
func writeMeta(t *testing.T, modMeta func([]kv) []kv, modTensors func([]tensorSpec) []tensorSpec) []byte {
	t.Helper()
	s, _ := microSpec().withDefaults()
	meta, ts := metadata(s, bytesVocab(s.VocabSize)), tensorLayout(s)
	if modMeta != nil {
		meta = modMeta(meta)
	}
	if modTensors != nil {
		ts = modTensors(ts)
	}
	var buf bytes.Buffer
	if err := writeGGUF(&buf, meta, ts, 1); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func setKV(key string, val any) func([]kv) []kv {
	return func(m []kv) []kv {
		for i := range m {
			if m[i].key == key {
				if val == nil {
					return append(m[:i:i], m[i+1:]...)
				}
				m[i].val = val
				return m
			}
		}
		return append(m, kv{key, val})
	}
}

func TestValidateModelKeys(t *testing.T) {
	dropTensor := func(name string) func([]tensorSpec) []tensorSpec {
		return func(ts []tensorSpec) []tensorSpec {
			for i := range ts {
				if ts[i].name == name {
					return append(ts[:i:i], ts[i+1:]...)
				}
			}
			panic("no tensor " + name)
		}
	}
	tests := []struct {
		name    string
		meta    func([]kv) []kv
		tensors func([]tensorSpec) []tensorSpec
		want    string // "" = valid
	}{
		{"valid", nil, nil, ""},
		{"other architecture: structure only", setKV("general.architecture", "qwen2"), dropTensor("blk.0.ffn_up.weight"), ""},
		{"llama without output.weight (tied)", nil, dropTensor("output.weight"), ""},
		{"head_count_kv absent", setKV("llama.attention.head_count_kv", nil), func(ts []tensorSpec) []tensorSpec {
			ts[3].ne[1], ts[4].ne[1] = 8, 8 // k and v with as many heads as q
			return ts
		}, ""},
		{"missing architecture", setKV("general.architecture", nil), nil, "general.architecture"},
		{"architecture not a string", setKV("general.architecture", uint32(1)), nil, "general.architecture"},
		{"missing block_count", setKV("llama.block_count", nil), nil, "llama.block_count"},
		{"block_count as uint64", setKV("llama.block_count", uint64(1)), nil, "want uint32"},
		{"block_count zero", setKV("llama.block_count", uint32(0)), nil, "llama.block_count = 0"},
		{"more blocks than tensors", setKV("llama.block_count", uint32(2)), nil, "missing tensor blk.1."},
		{"missing head_count", setKV("llama.attention.head_count", nil), nil, "head_count"},
		{"head_count array of wrong length", setKV("llama.attention.head_count", []int32{2, 2}), nil, "2 values for 1 blocks"},
		{"heads above embd", setKV("llama.attention.head_count", uint32(100)), nil, "heads"},
		{"missing rms epsilon", setKV("llama.attention.layer_norm_rms_epsilon", nil), nil, "layer_norm_rms_epsilon"},
		{"rms epsilon as string", setKV("llama.attention.layer_norm_rms_epsilon", "1e-6"), nil, "want float32"},
		{"alignment as uint64", setKV("general.alignment", uint64(32)), nil, "general.alignment has type uint64"},
		{"alignment not power of 2", setKV("general.alignment", uint32(24)), nil, "power of 2"},
		{"duplicate key", func(m []kv) []kv { return append(m, kv{"general.name", "again"}) }, nil, "duplicate key"},
		{"missing tokenizer model", setKV("tokenizer.ggml.model", nil), nil, "tokenizer.ggml.model"},
		{"missing tokens", setKV("tokenizer.ggml.tokens", nil), nil, "tokenizer.ggml.tokens"},
		{"tokens not strings", setKV("tokenizer.ggml.tokens", []int32{1, 2}), nil, "not an array of strings"},
		{"scores too short", setKV("tokenizer.ggml.scores", []float32{0, 1}), nil, "2 entries for 265 tokens"},
		{"token types too short", setKV("tokenizer.ggml.token_type", []int32{1}), nil, "1 entries"},
		{"gpt2 without merges", setKV("tokenizer.ggml.model", "gpt2"), nil, "merges"},
		{"chat template not a string", setKV("tokenizer.chat_template", uint32(3)), nil, "chat_template"},
		{"duplicate token", func(m []kv) []kv {
			m = setKV("tokenizer.ggml.tokens", nil)(m)
			toks := bytesVocab(MinBytesVocab + 4).tokens
			toks[263] = toks[262]
			return append(m, kv{"tokenizer.ggml.tokens", toks})
		}, nil, "tokens 262 and 263 are both"},
		{"empty token colliding with its placeholder", func(m []kv) []kv {
			m = setKV("tokenizer.ggml.tokens", nil)(m)
			toks := bytesVocab(MinBytesVocab + 4).tokens
			toks[262], toks[263] = "[EMPTY_263]", ""
			return append(m, kv{"tokenizer.ggml.tokens", toks})
		}, nil, "[EMPTY_263]"},
		{"charsmap of strings", setKV("tokenizer.ggml.precompiled_charsmap", []string{"x"}), nil, "precompiled_charsmap"},
		{"rope dimensions differ from head size", setKV("llama.rope.dimension_count", uint32(2)), nil, "rope.dimension_count = 2"},
		{"other architecture: vocabulary still checked", func(m []kv) []kv {
			return setKV("tokenizer.ggml.scores", []float32{0})(setKV("general.architecture", "qwen2")(m))
		}, nil, "1 entries for 265 tokens"},
		{"other architecture without vocabulary", func(m []kv) []kv {
			return setKV("tokenizer.ggml.model", "none")(setKV("general.architecture", "qwen2")(m))
		}, nil, ""},
		{"missing attention tensor", nil, dropTensor("blk.0.attn_k.weight"), "missing tensor blk.0.attn_k.weight"},
		{"missing output norm", nil, dropTensor("output_norm.weight"), "output_norm.weight"},
		{"duplicate tensor", nil, func(ts []tensorSpec) []tensorSpec { return append(ts, ts[1]) }, "duplicate tensor name"},
		{"wrong vocab in embedding", nil, func(ts []tensorSpec) []tensorSpec { ts[0].ne[1]--; return ts }, "token_embd.weight has shape"},
		{"wrong q shape", nil, func(ts []tensorSpec) []tensorSpec { ts[2].ne[1] = 4; return ts }, "attn_q.weight has shape"},
		{"3-D norm", nil, func(ts []tensorSpec) []tensorSpec { ts[1].ne = []int64{8, 1, 2}; return ts }, "attn_norm.weight has shape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validateBytes(writeMeta(t, tt.meta, tt.tensors))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid file rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want ErrInvalidModel mentioning %q", err, tt.want)
			}
		})
	}
}

func TestValidateFiles(t *testing.T) {
	dir := t.TempDir()
	if err := Validate(filepath.Join(dir, "missing.gguf")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := Validate(dir); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("directory: %v", err)
	}
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if err := Validate(empty); !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := ReadInfo(empty); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("ReadInfo(empty): %v", err)
	}
	data, _ := microFile(t)
	cut := filepath.Join(dir, "cut.gguf")
	os.WriteFile(cut, data[:len(data)-100], 0o644)
	if err := Validate(cut); !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated file: %v", err)
	}
	// GGUF version 2 has the same layout for little-endian files.
	v2 := bytes.Clone(data)
	binary.LittleEndian.PutUint32(v2[4:], 2)
	if _, err := validateBytes(v2); err != nil {
		t.Errorf("GGUF v2: %v", err)
	}
}

// FuzzValidate checks that the validator never panics and never accepts a file whose
// tensor data is not inside it; sizes are recomputed with gguf-parser-go's type table.
func FuzzValidate(f *testing.F) {
	data, h := microFile(f)
	f.Add(data)
	for _, n := range []int64{0, 3, 4, 8, 23, 24, 100, h.dataStart - 1, h.dataStart, int64(len(data)) - 1} {
		f.Add(data[:n])
	}
	_, typPos, offPos := tensorFieldPos(h.tensors[0])
	for _, pos := range []int64{4, 8, 16, 24, 40, h.kv["tokenizer.ggml.tokens"].offset + 4, typPos, offPos, h.dataStart - 8} {
		for _, bit := range []uint{0, 7, 30, 62} {
			b := bytes.Clone(data)
			idx := pos + int64(bit/8)
			b[idx] ^= 1 << (bit % 8)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := validateBytes(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		// Whatever Validate accepts, ReadInfo must summarise without panicking.
		path := filepath.Join(t.TempDir(), "f.gguf")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadInfo(path); err != nil && !errors.Is(err, ErrInvalidModel) {
			t.Logf("ReadInfo of an accepted file: %v", err)
		}
		if h.dataStart%h.alignment != 0 {
			t.Fatalf("accepted a data section at %d, not %d-aligned", h.dataStart, h.alignment)
		}
		for _, ti := range h.tensors {
			tr, ok := gguf.GGMLType(ti.typ).Trait()
			if !ok || tr.BlockSize == 0 {
				t.Fatalf("accepted tensor %q of unknown type %d", ti.name, ti.typ)
			}
			n := uint64(1)
			for _, d := range ti.ne {
				n *= uint64(d)
			}
			size := n / tr.BlockSize * tr.TypeSize
			if ti.offset%uint64(h.alignment) != 0 || uint64(h.dataStart)+ti.offset+size > uint64(len(b)) {
				t.Fatalf("accepted tensor %q (%d bytes at %d) in a %d-byte file", ti.name, size, ti.offset, len(b))
			}
		}
	})
}

// TestGGMLTypeTable checks the block and type sizes against gguf-parser-go's table.
func TestGGMLTypeTable(t *testing.T) {
	for i, tr := range ggmlTypes {
		if tr.blockSize == 0 {
			continue // support removed from ggml
		}
		want, ok := gguf.GGMLType(i).Trait()
		if !ok {
			t.Errorf("type %d (%s) unknown to gguf-parser-go", i, tr.name)
			continue
		}
		if uint64(tr.blockSize) != want.BlockSize || uint64(tr.typeSize) != want.TypeSize {
			t.Errorf("type %d (%s): block %d × %d bytes, gguf-parser-go: %d × %d", i, tr.name, tr.blockSize, tr.typeSize, want.BlockSize, want.TypeSize)
		}
	}
}

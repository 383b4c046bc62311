package models

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
)

// ErrInvalidModel is matched (errors.Is) by every [FormatError]: the file is not a usable
// GGUF model.
var ErrInvalidModel = errors.New("models: invalid GGUF model")

// FormatError describes why a file is not a valid GGUF model.
type FormatError struct {
	Path   string // the file
	Offset int64  // byte offset where the problem was found; -1 when it concerns the whole file
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("invalid GGUF model %s: %s (at byte %d)", e.Path, e.Msg, e.Offset)
	}
	return fmt.Sprintf("invalid GGUF model %s: %s", e.Path, e.Msg)
}

// Is makes errors.Is(err, ErrInvalidModel) true.
func (e *FormatError) Is(target error) bool { return target == ErrInvalidModel }

// Limits of the structural parser. Real files are far below them; they bound what a
// corrupt header can make the parser allocate.
const (
	maxKeyLen     = 65535   // the GGUF spec limits keys to 2^16-1 bytes
	maxKeptString = 1 << 20 // string values longer than this are checked but not kept
	maxKeptArray  = 1 << 16 // numeric arrays longer than this are checked but not kept
)

// keepStrings lists the string arrays whose values the parser keeps (the others are only
// checked): the token list, because llama.cpp aborts on duplicate tokens.
var keepStrings = map[string]bool{"tokenizer.ggml.tokens": true}

// ggufValue is a parsed metadata value. Scalars are kept as uint64 / int64 / float64 / bool /
// string; arrays keep their element type and length, and their values (in arr) only when
// numeric and short.
type ggufValue struct {
	typ     ggufType
	u       uint64
	i       int64
	f       float64
	b       bool
	s       string
	elem    ggufType // arrays
	n       uint64   // arrays: length
	arr     []ggufValue
	strs    []string // string arrays read with keepStrings
	offset  int64    // where the value starts
	skipped bool     // string or array too large to keep
}

// ggufTensor is one parsed tensor info.
type ggufTensor struct {
	name   string
	ne     []int64
	typ    ggmlType
	offset uint64 // relative to the data section
	nbytes int64
	pos    int64 // where the tensor info starts in the file
}

// ggufHeader is the parsed, structurally valid header of a GGUF file.
type ggufHeader struct {
	version   uint32
	kv        map[string]*ggufValue
	keys      []string // in file order
	tensors   []ggufTensor
	alignment int64
	dataStart int64 // absolute offset of the data section
	dataSize  int64 // sum of padded tensor sizes
	fileSize  int64
}

// parser reads GGUF primitives, checking every length against the bytes left in the file.
type parser struct {
	r    *bufio.Reader
	pos  int64
	size int64
	path string
	buf  [8]byte
}

func (p *parser) fail(at int64, format string, a ...any) error {
	return &FormatError{Path: p.path, Offset: at, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) left() int64 { return p.size - p.pos }

func (p *parser) read(n int, what string) ([]byte, error) {
	if int64(n) > p.left() {
		return nil, p.fail(p.pos, "file truncated: %s needs %d bytes, %d left", what, n, p.left())
	}
	if _, err := io.ReadFull(p.r, p.buf[:n]); err != nil {
		return nil, p.fail(p.pos, "reading %s: %v", what, err)
	}
	p.pos += int64(n)
	return p.buf[:n], nil
}

func (p *parser) u32(what string) (uint32, error) {
	b, err := p.read(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (p *parser) u64(what string) (uint64, error) {
	b, err := p.read(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (p *parser) skip(n int64, what string) error {
	if n > p.left() {
		return p.fail(p.pos, "file truncated: %s needs %d bytes, %d left", what, n, p.left())
	}
	if _, err := p.r.Discard(int(n)); err != nil {
		return p.fail(p.pos, "reading %s: %v", what, err)
	}
	p.pos += n
	return nil
}

// str reads a string of at most max bytes; longer strings (up to the file size) are skipped
// when keep is false, and are an error when keep is true.
func (p *parser) str(what string, max int64, keep bool) (s string, skipped bool, err error) {
	at := p.pos
	n, err := p.u64(what + " length")
	if err != nil {
		return "", false, err
	}
	if n > uint64(p.left()) {
		return "", false, p.fail(at, "%s length %d runs past the end of the file (%d bytes left)", what, n, p.left())
	}
	if int64(n) > max {
		if keep {
			return "", false, p.fail(at, "%s is %d bytes long, limit %d", what, n, max)
		}
		return "", true, p.skip(int64(n), what)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(p.r, b); err != nil {
		return "", false, p.fail(p.pos, "reading %s: %v", what, err)
	}
	p.pos += int64(n)
	return string(b), false, nil
}

// scalar reads one value of fixed-size type t.
func (p *parser) scalar(t ggufType, what string) (ggufValue, error) {
	v := ggufValue{typ: t, offset: p.pos}
	b, err := p.read(t.size(), what)
	if err != nil {
		return v, err
	}
	switch t {
	case tUint8:
		v.u = uint64(b[0])
	case tInt8:
		v.i = int64(int8(b[0]))
	case tBool:
		v.b = b[0] != 0
	case tUint16:
		v.u = uint64(binary.LittleEndian.Uint16(b))
	case tInt16:
		v.i = int64(int16(binary.LittleEndian.Uint16(b)))
	case tUint32:
		v.u = uint64(binary.LittleEndian.Uint32(b))
	case tInt32:
		v.i = int64(int32(binary.LittleEndian.Uint32(b)))
	case tFloat32:
		v.f = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case tUint64:
		v.u = binary.LittleEndian.Uint64(b)
	case tInt64:
		v.i = int64(binary.LittleEndian.Uint64(b))
	case tFloat64:
		v.f = math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return v, nil
}

// value reads a metadata value of type t (the type tag is already read).
func (p *parser) value(t ggufType, key string) (*ggufValue, error) {
	at := p.pos
	switch {
	case t == tString:
		s, skipped, err := p.str("value of "+key, maxKeptString, false)
		if err != nil {
			return nil, err
		}
		return &ggufValue{typ: t, s: s, skipped: skipped, offset: at}, nil
	case t == tArray:
		et, err := p.u32("array type of " + key)
		if err != nil {
			return nil, err
		}
		elem := ggufType(et)
		if elem >= tCount || elem == tArray {
			return nil, p.fail(p.pos-4, "key %q: invalid array element type %d", key, et)
		}
		n, err := p.u64("array length of " + key)
		if err != nil {
			return nil, err
		}
		v := &ggufValue{typ: t, elem: elem, n: n, offset: at}
		if elem == tString {
			// Each string needs at least its 8-byte length.
			if n > uint64(p.left())/8 {
				return nil, p.fail(at, "key %q: array of %d strings cannot fit in the %d bytes left", key, n, p.left())
			}
			what := "element of " + key
			keep := keepStrings[key]
			if keep {
				v.strs = make([]string, 0, n)
			}
			for i := uint64(0); i < n; i++ {
				lim := int64(0)
				if keep {
					lim = maxKeptString
				}
				s, skipped, err := p.str(what, lim, false)
				if err != nil {
					return nil, err
				}
				if keep {
					if skipped {
						return nil, p.fail(p.pos, "%s[%d] is longer than %d bytes", key, i, maxKeptString)
					}
					v.strs = append(v.strs, s)
				}
			}
			v.skipped = !keep
			return v, nil
		}
		es := uint64(elem.size())
		if n > uint64(p.left())/es {
			return nil, p.fail(at, "key %q: array of %d %s values runs past the end of the file (%d bytes left)", key, n, elem, p.left())
		}
		if n > maxKeptArray {
			v.skipped = true
			return v, p.skip(int64(n*es), key)
		}
		v.arr = make([]ggufValue, n)
		for i := range v.arr {
			e, err := p.scalar(elem, key)
			if err != nil {
				return nil, err
			}
			v.arr[i] = e
		}
		return v, nil
	case t < tCount:
		v, err := p.scalar(t, "value of "+key)
		if err != nil {
			return nil, err
		}
		return &v, nil
	}
	return nil, p.fail(at-4, "key %q has invalid type %d", key, uint32(t))
}

// Minimal encoded sizes, to bound counts by the bytes left.
const (
	minKVBytes     = 8 + 4 + 1         // key length, type, 1-byte value
	minTensorBytes = 8 + 4 + 8 + 4 + 8 // name length, n_dims, one dim, type, offset
)

// parseGGUF reads and structurally checks a GGUF header of a file of the given size, as
// gguf_init_from_file_impl (ggml/src/gguf.cpp) does, and additionally checks that every
// tensor's data lies inside the file.
func parseGGUF(r io.Reader, size int64, path string) (*ggufHeader, error) {
	p := &parser{r: bufio.NewReaderSize(r, 1<<16), size: size, path: path}
	magic, err := p.read(4, "magic")
	if err != nil {
		return nil, err
	}
	if string(magic) != ggufMagic {
		return nil, p.fail(0, "bad magic %q, want %q (not a GGUF file)", magic, ggufMagic)
	}
	h := &ggufHeader{kv: map[string]*ggufValue{}, fileSize: size, alignment: ggufDefaultAlignment}
	if h.version, err = p.u32("version"); err != nil {
		return nil, err
	}
	switch {
	case h.version == 1:
		return nil, p.fail(4, "GGUF version 1 is no longer supported")
	case h.version&0xffff == 0 && h.version != 0:
		return nil, p.fail(4, "GGUF version %#x: big-endian file?", h.version)
	case h.version != 2 && h.version != 3:
		return nil, p.fail(4, "unsupported GGUF version %d (want 2 or 3)", h.version)
	}
	nt, err := p.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nkv, err := p.u64("metadata count")
	if err != nil {
		return nil, err
	}
	if nkv > uint64(p.left())/minKVBytes {
		return nil, p.fail(16, "metadata count %d cannot fit in a %d-byte file", nkv, size)
	}
	if nt > uint64(p.left())/minTensorBytes {
		return nil, p.fail(8, "tensor count %d cannot fit in a %d-byte file", nt, size)
	}

	for i := uint64(0); i < nkv; i++ {
		at := p.pos
		key, _, err := p.str(fmt.Sprintf("key %d", i), maxKeyLen, true)
		if err != nil {
			return nil, err
		}
		if !utf8.ValidString(key) {
			return nil, p.fail(at, "key %d is not valid UTF-8", i)
		}
		if _, dup := h.kv[key]; dup {
			return nil, p.fail(at, "duplicate key %q", key)
		}
		t, err := p.u32("type of " + key)
		if err != nil {
			return nil, err
		}
		v, err := p.value(ggufType(t), key)
		if err != nil {
			return nil, err
		}
		h.kv[key] = v
		h.keys = append(h.keys, key)
	}
	if a, ok := h.kv["general.alignment"]; ok {
		// gguf.cpp reads it with gguf_get_val_u32, which aborts on any other type.
		if a.typ != tUint32 {
			return nil, p.fail(a.offset, "general.alignment has type %s, want uint32", a.typ)
		}
		if a.u == 0 || a.u&(a.u-1) != 0 {
			return nil, p.fail(a.offset, "general.alignment %d is not a power of 2", a.u)
		}
		h.alignment = int64(a.u)
	}

	names := make(map[string]bool, nt)
	h.tensors = make([]ggufTensor, 0, nt)
	for i := uint64(0); i < nt; i++ {
		t := ggufTensor{pos: p.pos}
		if t.name, _, err = p.str(fmt.Sprintf("name of tensor %d", i), ggmlMaxName-1, true); err != nil {
			return nil, err
		}
		if names[t.name] {
			return nil, p.fail(t.pos, "duplicate tensor name %q", t.name)
		}
		names[t.name] = true
		nd, err := p.u32("dimension count of " + t.name)
		if err != nil {
			return nil, err
		}
		if nd > ggmlMaxDims {
			return nil, p.fail(p.pos-4, "tensor %q has %d dimensions, at most %d", t.name, nd, ggmlMaxDims)
		}
		t.ne = make([]int64, max(nd, 1))
		t.ne[0] = 1
		elems := int64(1)
		for j := uint32(0); j < nd; j++ {
			d, err := p.u64("shape of " + t.name)
			if err != nil {
				return nil, err
			}
			if d == 0 || d > math.MaxInt64 {
				// gguf.cpp divides by each dimension (INT64_MAX/ne[j]): 0 would crash it.
				return nil, p.fail(p.pos-8, "tensor %q dimension %d is %d, want 1..2^63-1", t.name, j, int64(d))
			}
			t.ne[j] = int64(d)
			if elems > math.MaxInt64/t.ne[j] {
				return nil, p.fail(p.pos-8, "tensor %q has too many elements", t.name)
			}
			elems *= t.ne[j]
		}
		ty, err := p.u32("type of " + t.name)
		if err != nil {
			return nil, err
		}
		t.typ = ggmlType(ty)
		if int(ty) >= len(ggmlTypes) || ggmlTypes[ty].blockSize == 0 {
			return nil, p.fail(p.pos-4, "tensor %q has invalid or unsupported ggml type %d", t.name, ty)
		}
		tr := ggmlTypes[ty]
		if t.ne[0]%tr.blockSize != 0 {
			return nil, p.fail(p.pos-4, "tensor %q: row of %d elements is not a multiple of %s's block size %d",
				t.name, t.ne[0], tr.name, tr.blockSize)
		}
		// elems*typeSize/blockSize cannot overflow when the data fits the file; check first.
		if elems/tr.blockSize > size/tr.typeSize+1 {
			return nil, p.fail(t.pos, "tensor %q (%d elements of %s) is larger than the file", t.name, elems, tr.name)
		}
		t.nbytes = t.typ.nbytes(t.ne)
		off, err := p.u64("offset of " + t.name)
		if err != nil {
			return nil, err
		}
		t.offset = off
		// gguf.cpp requires tensors in file order, each at the padded end of the previous one.
		if off != uint64(h.dataSize) {
			return nil, p.fail(p.pos-8, "tensor %q has data offset %d, want %d (tensors must be contiguous and %d-byte aligned)",
				t.name, off, h.dataSize, h.alignment)
		}
		if h.dataSize+t.nbytes > size {
			return nil, p.fail(t.pos, "file truncated? tensor %q data (%d bytes at data offset %d) ends past the end of the %d-byte file",
				t.name, t.nbytes, off, size)
		}
		h.dataSize += padTo(t.nbytes, h.alignment)
		h.tensors = append(h.tensors, t)
	}
	h.dataStart = padTo(p.pos, h.alignment)
	for _, t := range h.tensors {
		if end := h.dataStart + int64(t.offset) + t.nbytes; end > size {
			return nil, &FormatError{Path: path, Offset: -1, Msg: fmt.Sprintf(
				"file truncated: tensor %q data ends at byte %d, but the file has %d bytes", t.name, end, size)}
		}
	}
	return h, nil
}

package models

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
)

// GGUF constants from ggml's gguf.h.
const (
	ggufMagic            = "GGUF"
	ggufVersion          = 3
	ggufDefaultAlignment = 32
	ggmlMaxDims          = 4
	ggmlMaxName          = 64 // GGML_MAX_NAME: a tensor name must be shorter
)

// ggufType is a metadata value type (enum gguf_type).
type ggufType uint32

const (
	tUint8 ggufType = iota
	tInt8
	tUint16
	tInt16
	tUint32
	tInt32
	tFloat32
	tBool
	tString
	tArray
	tUint64
	tInt64
	tFloat64
	tCount
)

var ggufTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
	"bool", "string", "array", "uint64", "int64", "float64"}

func (t ggufType) String() string {
	if int(t) < len(ggufTypeNames) {
		return ggufTypeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// size is the encoded size of a fixed-size scalar type, 0 for string and array.
func (t ggufType) size() int {
	switch t {
	case tUint8, tInt8, tBool:
		return 1
	case tUint16, tInt16:
		return 2
	case tUint32, tInt32, tFloat32:
		return 4
	case tUint64, tInt64, tFloat64:
		return 8
	}
	return 0
}

// ggmlType is a tensor element type (enum ggml_type).
type ggmlType uint32

const (
	typeF32  ggmlType = 0
	typeF16  ggmlType = 1
	typeQ8_0 ggmlType = 8
)

// ggmlTypeTrait gives the block size (elements) and the bytes per block of a tensor type,
// from ggml's type_traits table (ggml/src/ggml.c and ggml-common.h). Types whose support
// was removed have a zero block size.
type ggmlTypeTrait struct {
	name      string
	blockSize int64
	typeSize  int64
}

var ggmlTypes = [...]ggmlTypeTrait{
	0:  {"F32", 1, 4},
	1:  {"F16", 1, 2},
	2:  {"Q4_0", 32, 18},
	3:  {"Q4_1", 32, 20},
	4:  {"Q4_2 (removed)", 0, 0},
	5:  {"Q4_3 (removed)", 0, 0},
	6:  {"Q5_0", 32, 22},
	7:  {"Q5_1", 32, 24},
	8:  {"Q8_0", 32, 34},
	9:  {"Q8_1", 32, 36},
	10: {"Q2_K", 256, 84},
	11: {"Q3_K", 256, 110},
	12: {"Q4_K", 256, 144},
	13: {"Q5_K", 256, 176},
	14: {"Q6_K", 256, 210},
	15: {"Q8_K", 256, 292},
	16: {"IQ2_XXS", 256, 66},
	17: {"IQ2_XS", 256, 74},
	18: {"IQ3_XXS", 256, 98},
	19: {"IQ1_S", 256, 50},
	20: {"IQ4_NL", 32, 18},
	21: {"IQ3_S", 256, 110},
	22: {"IQ2_S", 256, 82},
	23: {"IQ4_XS", 256, 136},
	24: {"I8", 1, 1},
	25: {"I16", 1, 2},
	26: {"I32", 1, 4},
	27: {"I64", 1, 8},
	28: {"F64", 1, 8},
	29: {"IQ1_M", 256, 56},
	30: {"BF16", 1, 2},
	31: {"Q4_0_4_4 (removed)", 0, 0},
	32: {"Q4_0_4_8 (removed)", 0, 0},
	33: {"Q4_0_8_8 (removed)", 0, 0},
	34: {"TQ1_0", 256, 54},
	35: {"TQ2_0", 256, 66},
	36: {"IQ4_NL_4_4 (removed)", 0, 0},
	37: {"IQ4_NL_4_8 (removed)", 0, 0},
	38: {"IQ4_NL_8_8 (removed)", 0, 0},
	39: {"MXFP4", 32, 17},
}

func (t ggmlType) String() string {
	if int(t) < len(ggmlTypes) {
		return ggmlTypes[t].name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// nbytes returns the data size of a tensor of type t and shape ne (ggml_nbytes for a
// contiguous tensor). The caller has checked the type, the shape and overflow.
func (t ggmlType) nbytes(ne []int64) int64 {
	tr := ggmlTypes[t]
	n := tr.typeSize * (ne[0] / tr.blockSize)
	for _, d := range ne[1:] {
		n *= d
	}
	return n
}

func padTo(n, align int64) int64 { return (n + align - 1) / align * align }

// kv is one metadata key/value pair to write. val is one of uint32, int32, uint64, float32,
// bool, string, []string, []float32, []int32.
type kv struct {
	key string
	val any
}

// ggufWriter encodes GGUF primitives (little endian) onto a buffered writer, remembering
// the first error.
type ggufWriter struct {
	w   *bufio.Writer
	n   int64
	err error
	buf [8]byte
}

func (g *ggufWriter) write(p []byte) {
	if g.err != nil {
		return
	}
	var m int
	m, g.err = g.w.Write(p)
	g.n += int64(m)
}

func (g *ggufWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(g.buf[:4], v)
	g.write(g.buf[:4])
}

func (g *ggufWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(g.buf[:8], v)
	g.write(g.buf[:8])
}

func (g *ggufWriter) str(s string) {
	g.u64(uint64(len(s)))
	if g.err == nil {
		var m int
		m, g.err = g.w.WriteString(s)
		g.n += int64(m)
	}
}

func (g *ggufWriter) kv(p kv) {
	g.str(p.key)
	switch v := p.val.(type) {
	case uint32:
		g.u32(uint32(tUint32))
		g.u32(v)
	case int32:
		g.u32(uint32(tInt32))
		g.u32(uint32(v))
	case uint64:
		g.u32(uint32(tUint64))
		g.u64(v)
	case float32:
		g.u32(uint32(tFloat32))
		g.u32(math.Float32bits(v))
	case bool:
		g.u32(uint32(tBool))
		b := byte(0)
		if v {
			b = 1
		}
		g.write([]byte{b})
	case string:
		g.u32(uint32(tString))
		g.str(v)
	case []string:
		g.u32(uint32(tArray))
		g.u32(uint32(tString))
		g.u64(uint64(len(v)))
		for _, s := range v {
			g.str(s)
		}
	case []float32:
		g.u32(uint32(tArray))
		g.u32(uint32(tFloat32))
		g.u64(uint64(len(v)))
		for _, f := range v {
			g.u32(math.Float32bits(f))
		}
	case []int32:
		g.u32(uint32(tArray))
		g.u32(uint32(tInt32))
		g.u64(uint64(len(v)))
		for _, i := range v {
			g.u32(uint32(i))
		}
	default:
		panic(fmt.Sprintf("models: unsupported metadata value %T for %s", p.val, p.key))
	}
}

// pad writes zero bytes up to the next multiple of align.
func (g *ggufWriter) pad(align int64) {
	if r := g.n % align; r != 0 {
		g.write(make([]byte, align-r))
	}
}

package llama

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"unsafe"
)

// ftypes maps quantization names (as llama-quantize spells them) to llama_ftype values.
var ftypes = map[string]C.int{
	"F32":    C.LLAMA_FTYPE_ALL_F32,
	"F16":    C.LLAMA_FTYPE_MOSTLY_F16,
	"BF16":   C.LLAMA_FTYPE_MOSTLY_BF16,
	"Q4_0":   C.LLAMA_FTYPE_MOSTLY_Q4_0,
	"Q4_1":   C.LLAMA_FTYPE_MOSTLY_Q4_1,
	"Q5_0":   C.LLAMA_FTYPE_MOSTLY_Q5_0,
	"Q5_1":   C.LLAMA_FTYPE_MOSTLY_Q5_1,
	"Q8_0":   C.LLAMA_FTYPE_MOSTLY_Q8_0,
	"Q2_K":   C.LLAMA_FTYPE_MOSTLY_Q2_K,
	"Q3_K_S": C.LLAMA_FTYPE_MOSTLY_Q3_K_S,
	"Q3_K_M": C.LLAMA_FTYPE_MOSTLY_Q3_K_M,
	"Q3_K_L": C.LLAMA_FTYPE_MOSTLY_Q3_K_L,
	"Q4_K_S": C.LLAMA_FTYPE_MOSTLY_Q4_K_S,
	"Q4_K_M": C.LLAMA_FTYPE_MOSTLY_Q4_K_M,
	"Q5_K_S": C.LLAMA_FTYPE_MOSTLY_Q5_K_S,
	"Q5_K_M": C.LLAMA_FTYPE_MOSTLY_Q5_K_M,
	"Q6_K":   C.LLAMA_FTYPE_MOSTLY_Q6_K,
}

// FileTypes lists the quantization names [Quantize] accepts, sorted.
func FileTypes() []string {
	names := make([]string, 0, len(ftypes))
	for n := range ftypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Quantize writes a copy of the GGUF model in to out with its weights converted to ftype
// ("Q4_K_M", "Q8_0", "Q4_0", "F16", "F32", ... see [FileTypes]; case-insensitive), using
// llama_model_quantize with threads worker threads (<= 0: one per CPU). in must already be a
// valid model file: validate it first (package models), since llama.cpp trusts the file.
func Quantize(in, out, ftype string, threads int) error {
	ft, ok := ftypes[strings.ToUpper(ftype)]
	if !ok {
		return fmt.Errorf("llama: quantize: unknown type %q (known: %s)", ftype, strings.Join(FileTypes(), ", "))
	}
	if _, err := os.Stat(in); err != nil {
		return fmt.Errorf("llama: quantize: %w", err)
	}
	Init()
	cin, cout := C.CString(in), C.CString(out)
	defer C.free(unsafe.Pointer(cin))
	defer C.free(unsafe.Pointer(cout))
	var cerr *C.char
	mark := logMark()
	if C.nash_quantize(cin, cout, ft, C.int(threads), &cerr) != 0 {
		return fmt.Errorf("quantize %s to %s: %w", in, ftype, cError("quantize", cerr, nil, mark))
	}
	return nil
}

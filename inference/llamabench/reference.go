package llamabench

/*
#include <stdlib.h>
#include "refloop.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/nashd/nashd/inference/llama"
)

// ErrArgs is returned (wrapped) for arguments out of range.
var ErrArgs = errors.New("llamabench: argument out of range")

// MaxPromptTokens is the longest prompt the reference loops decode (one batch).
const MaxPromptTokens = 512

// maxSeqs bounds the sequences of [ReferenceBatched].
const maxSeqs = 256

// Result is what a reference loop measured.
type Result struct {
	PromptN  int     // prompt tokens decoded (all sequences')
	PromptMS float64 // time of the prompt decode(s)
	GenN     int     // tokens sampled (all sequences')
	GenMS    float64 // from the end of the prompt decode to the last sample
	Tokens   []int32 // the sampled tokens ([ReferenceRun] only)
}

// ReferenceRun runs the reference loop (refloop.c): it loads the model, decodes the prompt
// tokens in one batch (nothing is added: include BOS if the model wants it), then samples
// greedily and decodes one token at a time, up to nGen tokens or the end of generation.
// Generation time runs from the end of the prompt decode to the last sample, as the engine's
// predicted_ms does.
func ReferenceRun(modelPath string, prompt []int32, nGen, threads, nCtx int) (Result, error) {
	if len(prompt) < 1 || len(prompt) > MaxPromptTokens || nGen < 1 {
		return Result{}, fmt.Errorf("%w: reference run of %d prompt tokens (1..%d) and %d to generate (at least 1)",
			ErrArgs, len(prompt), MaxPromptTokens, nGen)
	}
	toks := (*C.llama_token)(C.malloc(C.size_t(len(prompt)) * C.size_t(unsafe.Sizeof(C.llama_token(0)))))
	defer C.free(unsafe.Pointer(toks))
	copy(unsafe.Slice((*int32)(unsafe.Pointer(toks)), len(prompt)), prompt)
	gen := make([]int32, nGen)
	r, err := reference("reference run", modelPath, func(cp *C.char, out *C.nash_ref_result) C.int {
		return C.nash_ref_run(cp, toks, C.int(len(prompt)), C.int(nGen), C.int(threads), C.int(nCtx),
			(*C.llama_token)(unsafe.Pointer(&gen[0])), out)
	})
	if err == nil {
		r.Tokens = gen[:r.GenN]
	}
	return r, err
}

// ReferenceBatched runs the batched reference (refloop.c): prompt is tokenized with BOS, seqs
// sequences each decode it, then every step decodes one token of each sequence in a single
// llama_decode and samples each greedily, nGen tokens per sequence. It bounds what any
// scheduler over this libllama can do with that many parallel streams. GenN counts the tokens
// of all sequences; nCtx is the total context, split evenly among them.
func ReferenceBatched(modelPath, prompt string, seqs, nGen, threads, nCtx int) (Result, error) {
	if seqs < 1 || seqs > maxSeqs || nGen < 1 {
		return Result{}, fmt.Errorf("%w: reference batched: %d sequences (1..%d), %d tokens each (at least 1)",
			ErrArgs, seqs, maxSeqs, nGen)
	}
	cs := C.CString(prompt)
	defer C.free(unsafe.Pointer(cs))
	return reference("reference batched", modelPath, func(cp *C.char, out *C.nash_ref_result) C.int {
		return C.nash_ref_batched(cp, cs, C.int(seqs), C.int(nGen), C.int(threads), C.int(nCtx), out)
	})
}

// reference runs one of refloop.c's loops with a C copy of the model path and converts its
// result.
func reference(op, modelPath string, run func(cp *C.char, out *C.nash_ref_result) C.int) (Result, error) {
	llama.Init()
	cp := C.CString(modelPath)
	defer C.free(unsafe.Pointer(cp))
	var r C.nash_ref_result
	if run(cp, &r) != 0 {
		return Result{}, fmt.Errorf("llamabench: %s: %s", op, C.GoString(&r.err[0]))
	}
	return Result{PromptN: int(r.prompt_n), PromptMS: float64(r.prompt_ms), GenN: int(r.gen_n), GenMS: float64(r.gen_ms)}, nil
}

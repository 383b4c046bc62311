package llama

/*
#include <stdlib.h>
#include "refloop.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// RefResult is what [ReferenceRun] measured.
type RefResult struct {
	PromptN  int
	PromptMS float64
	GenN     int
	GenMS    float64
}

// ReferenceRun runs the benchmark's reference: a minimal C loop over llama.h (refloop.c) that
// loads the model, decodes prompt (with BOS) in one batch and then samples greedily and
// decodes one token at a time, up to nGen tokens. Generation time runs from the end of the
// prompt decode to the last sample, as the engine's predicted_ms does.
func ReferenceRun(modelPath, prompt string, nGen, threads, nCtx int) (RefResult, error) {
	Init()
	cp, cs := C.CString(modelPath), C.CString(prompt)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cs))
	var r C.nash_ref_result
	if C.nash_ref_run(cp, cs, C.int(nGen), C.int(threads), C.int(nCtx), &r) != 0 {
		return RefResult{}, fmt.Errorf("llama: reference run: %s", C.GoString(&r.err[0]))
	}
	return RefResult{PromptN: int(r.prompt_n), PromptMS: float64(r.prompt_ms), GenN: int(r.gen_n), GenMS: float64(r.gen_ms)}, nil
}

package llama

/*
#include <stdlib.h>
#include "refloop.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"time"
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
	return reference("reference run", modelPath, prompt, func(cp, cs *C.char, r *C.nash_ref_result) C.int {
		return C.nash_ref_run(cp, cs, C.int(nGen), C.int(threads), C.int(nCtx), r)
	})
}

// ReferenceBatched runs the batched reference (refloop.c): seqs sequences each decode prompt,
// then every step decodes one token of each sequence in a single llama_decode and samples each
// greedily, nGen tokens per sequence. It bounds what any scheduler over this libllama can do
// with that many parallel streams. GenN counts the tokens of all sequences.
func ReferenceBatched(modelPath, prompt string, seqs, nGen, threads, nCtx int) (RefResult, error) {
	if seqs < 1 || seqs > 256 {
		return RefResult{}, fmt.Errorf("llama: reference batched: %d sequences out of range", seqs)
	}
	return reference("reference batched", modelPath, prompt, func(cp, cs *C.char, r *C.nash_ref_result) C.int {
		return C.nash_ref_batched(cp, cs, C.int(seqs), C.int(nGen), C.int(threads), C.int(nCtx), r)
	})
}

// reference runs one of refloop.c's loops with C copies of the model path and prompt.
func reference(op, modelPath, prompt string, run func(cp, cs *C.char, r *C.nash_ref_result) C.int) (RefResult, error) {
	Init()
	cp, cs := C.CString(modelPath), C.CString(prompt)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cs))
	var r C.nash_ref_result
	if run(cp, cs, &r) != 0 {
		return RefResult{}, fmt.Errorf("llama: %s: %s", op, C.GoString(&r.err[0]))
	}
	return RefResult{PromptN: int(r.prompt_n), PromptMS: float64(r.prompt_ms), GenN: int(r.gen_n), GenMS: float64(r.gen_ms)}, nil
}

// ReadBandwidth measures memory read bandwidth in bytes per second: threads goroutines each sum
// their share of a buffer of the given size (far larger than the caches) with a C loop compiled
// like ggml (-O3 -march=native, so with vector loads); the best of passes runs counts. Model
// bytes per token divided by this bounds generation speed.
func ReadBandwidth(size, threads, passes int) float64 {
	threads = max(threads, 1)
	n := size / 8
	buf := (*C.uint64_t)(C.malloc(C.size_t(n * 8)))
	defer C.free(unsafe.Pointer(buf))
	words := unsafe.Slice((*uint64)(unsafe.Pointer(buf)), n)
	for i := range words {
		words[i] = uint64(i)
	}
	chunk := n / threads
	best := 0.0
	var sink C.uint64_t
	var mu sync.Mutex
	for range max(passes, 1) {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := (*C.uint64_t)(unsafe.Add(unsafe.Pointer(buf), w*chunk*8))
				s := C.nash_sum_u64(p, C.size_t(chunk))
				mu.Lock()
				sink += s
				mu.Unlock()
			}()
		}
		wg.Wait()
		best = max(best, float64(chunk*threads*8)/time.Since(start).Seconds())
	}
	_ = sink
	return best
}

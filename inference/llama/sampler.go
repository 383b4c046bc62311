package llama

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// SamplerParams are one sequence's sampling settings.
type SamplerParams struct {
	Temperature   float32 // <= 0: greedy
	TopK          int     // <= 0: off
	TopP          float32 // <= 0 or >= 1: off
	MinP          float32 // <= 0: off
	RepeatPenalty float32 // <= 0 or 1: off
	RepeatLastN   int     // 0: 64
	Seed          uint32
	Grammar       string // GBNF with a "root" rule; "" = unconstrained
	// NaiveGrammar applies the grammar to the whole vocabulary before every draw, as a
	// grammar sampler inside a llama.cpp chain does: the slow reference the smart path is
	// tested and benchmarked against.
	NaiveGrammar bool
}

// Sampler picks tokens from a context's logits: penalties, then top-k, top-p, min-p,
// temperature and a seeded random draw (or argmax when greedy), optionally constrained by a
// GBNF grammar. Like llama.cpp's common_sampler it checks the grammar against the token the
// unconstrained chain picked and filters the vocabulary only when that token is rejected, so
// grammar cost is paid only where the grammar changes the outcome. Each sampled token is
// accepted into the chain and the grammar exactly once.
type Sampler struct {
	p *C.nash_sampler
	// FullPasses counts tokens for which the grammar had to filter the vocabulary.
	FullPasses int
}

// NewSampler creates a sampler for m. An invalid grammar returns an error wrapping
// [ErrInvalidGrammar].
func NewSampler(m *Model, sp SamplerParams) (*Sampler, error) {
	if m == nil || m.p == nil {
		return nil, errorf("new sampler", ErrClosed, "model is closed")
	}
	cp := C.nash_sampler_params{
		temperature:    C.float(sp.Temperature),
		top_k:          C.int32_t(sp.TopK),
		top_p:          C.float(sp.TopP),
		min_p:          C.float(sp.MinP),
		repeat_penalty: C.float(sp.RepeatPenalty),
		repeat_last_n:  C.int32_t(sp.RepeatLastN),
		seed:           C.uint32_t(sp.Seed),
		naive_grammar:  C.bool(sp.NaiveGrammar),
	}
	var cg *C.char
	if sp.Grammar != "" {
		cg = C.CString(sp.Grammar)
		defer C.free(unsafe.Pointer(cg))
	}
	var bad C.int
	var cerr *C.char
	mark := logMark()
	s := C.nash_sampler_new(m.p, m.index, cp, cg, &bad, &cerr)
	if s == nil {
		var sentinel error
		if bad != 0 {
			sentinel = ErrInvalidGrammar
		}
		return nil, cError("new sampler", cerr, sentinel, mark)
	}
	return &Sampler{p: s}, nil
}

// Close frees the sampler; safe to call twice.
func (s *Sampler) Close() error {
	if s.p != nil {
		C.nash_sampler_free(s.p)
		s.p = nil
	}
	return nil
}

// Sample picks the next token from the logits of batch output idx of the last Decode and
// accepts it (never accept it again).
func (s *Sampler) Sample(c *Context, idx int) (int32, error) {
	if s.p == nil || c.p == nil {
		return -1, errorf("sample", ErrClosed, "sampler or context is closed")
	}
	var full C.int
	var cerr *C.char
	mark := logMark()
	tok := C.nash_sampler_sample(s.p, c.p, C.int32_t(idx), &full, &cerr)
	if tok < 0 {
		return -1, cError("sample", cerr, nil, mark)
	}
	if full != 0 {
		s.FullPasses++
	}
	return int32(tok), nil
}

// AcceptHistory feeds tokens (e.g. the prompt) into the repetition-penalty history; the
// grammar does not see them.
func (s *Sampler) AcceptHistory(toks []int32) error {
	if s.p == nil {
		return errorf("accept", ErrClosed, "sampler is closed")
	}
	if len(toks) == 0 {
		return nil
	}
	var cerr *C.char
	mark := logMark()
	if C.nash_sampler_accept_history(s.p, (*C.llama_token)(unsafe.Pointer(&toks[0])), C.int32_t(len(toks)), &cerr) != 0 {
		return cError("accept", cerr, nil, mark)
	}
	return nil
}

// GrammarAllows reports whether the grammar (in its current state) accepts tok next; true
// when the sampler has no grammar.
func (s *Sampler) GrammarAllows(tok int32) (bool, error) {
	if s.p == nil {
		return false, errorf("grammar check", ErrClosed, "sampler is closed")
	}
	var cerr *C.char
	mark := logMark()
	switch r := C.nash_sampler_grammar_allows(s.p, C.llama_token(tok), &cerr); r {
	case 0:
		return false, nil
	case 1:
		return true, nil
	default:
		return false, fmt.Errorf("grammar check: %w", cError("grammar check", cerr, nil, mark))
	}
}

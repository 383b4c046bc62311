package llama

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/nashd/nashd/inference/gbnf"
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

// Bounds of the grammar matcher (grammar.cpp). A token whose matching would exceed them fails
// the Sample call with an error instead of stalling the process.
const (
	// grammarMaxStacks bounds the parse stacks alive at once; gbnf.DefaultLimits.Fanout
	// bounds how many one position creates, so a grammar that passes the check starts within it.
	grammarMaxStacks = 4096
	// grammarBudget bounds the work (stack elements copied) of one grammar call, plus 256 per
	// candidate token: about a tenth of a second. JSON-schema grammars use well under 1%.
	grammarBudget = 1 << 26
)

// NewSampler creates a sampler for m. An invalid grammar returns an error wrapping
// [ErrInvalidGrammar] whose message says where and why.
//
// llama.cpp's grammar parser and matcher recurse without bounds and take exponential time
// on ambiguous grammars, so neither sees a user's grammar: package [gbnf] parses and checks it
// (size, nesting, depth, ambiguity within [gbnf.DefaultLimits]; left recursion), and
// grammar.cpp matches tokens against the result with llama.cpp's semantics and bounded work.
// Only NaiveGrammar, the tests' and benchmarks' reference, runs llama.cpp's own grammar
// sampler, on grammars that passed the check.
func NewSampler(m *Model, sp SamplerParams) (*Sampler, error) {
	if m == nil || m.p == nil {
		return nil, errorf("new sampler", ErrClosed, "model is closed")
	}
	var spec *C.nash_grammar_spec
	if sp.Grammar != "" {
		g, err := gbnf.Parse(sp.Grammar, gbnf.Limits{})
		if err == nil {
			err = g.ResolveTokens(m.singleToken)
		}
		var rules [][]gbnf.Element
		if err == nil {
			rules, err = g.Rules()
		}
		if err != nil {
			return nil, &Error{Op: "new sampler", Msg: err.Error(), Err: ErrInvalidGrammar}
		}
		n := 0
		for _, r := range rules {
			n += len(r)
		}
		cel := (*C.nash_gelem)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.nash_gelem{}))))
		defer C.free(unsafe.Pointer(cel))
		elems := unsafe.Slice(cel, n)[:0]
		for _, r := range rules {
			for _, e := range r {
				elems = append(elems, C.nash_gelem{_type: C.uint32_t(e.Type), value: C.uint32_t(e.Value)})
			}
		}
		ctext := C.CString(sp.Grammar)
		defer C.free(unsafe.Pointer(ctext))
		spec = &C.nash_grammar_spec{
			elems: cel, n_elems: C.size_t(n), n_rules: C.size_t(len(rules)),
			root: C.uint32_t(g.Root()), max_stacks: grammarMaxStacks, budget: grammarBudget, text: ctext,
		}
	}
	return newSampler(m, sp, spec)
}

// singleToken is the id of text if it is exactly one token (special tokens parsed), as
// llama.cpp requires of a grammar's <token>.
func (m *Model) singleToken(text string) (uint32, error) {
	toks, err := m.Tokenize(text, false, true)
	if err != nil {
		return 0, err
	}
	if len(toks) != 1 {
		return 0, fmt.Errorf("is %d tokens of this model's vocabulary, not one", len(toks))
	}
	return uint32(toks[0]), nil
}

// grammarMask reports, for every token of the vocabulary, whether the grammar allows it next
// (one apply over the whole vocabulary; the tests compare the two matchers with it).
func (s *Sampler) grammarMask(nVocab int) ([]bool, error) {
	mask := make([]byte, nVocab)
	var cerr *C.char
	mark := logMark()
	if rc := C.nash_sampler_grammar_mask(s.p, (*C.uint8_t)(unsafe.Pointer(&mask[0])), &cerr); rc != 0 {
		return nil, cError("grammar mask", cerr, limitSentinel(rc), mark)
	}
	out := make([]bool, nVocab)
	for i, b := range mask {
		out[i] = b != 0
	}
	return out, nil
}

// grammarAccept advances the grammar (only) over tok.
func (s *Sampler) grammarAccept(tok int32) error {
	var cerr *C.char
	mark := logMark()
	if rc := C.nash_sampler_grammar_accept(s.p, C.llama_token(tok), &cerr); rc != 0 {
		return cError("grammar accept", cerr, limitSentinel(rc), mark)
	}
	return nil
}

// limitSentinel maps the grammar helpers' -2 (the matcher's bounds) to ErrInvalidGrammar.
func limitSentinel(rc C.int) error {
	if rc == -2 {
		return ErrInvalidGrammar
	}
	return nil
}

// llamaParsesGrammar reports whether llama.cpp's own grammar parser accepts text. The tests
// compare package gbnf with it; text must not be one gbnf rejects for left recursion or a
// limit (llama.cpp may crash on those).
func llamaParsesGrammar(m *Model, text string) (bool, error) {
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	var cerr *C.char
	mark := logMark()
	switch C.nash_llama_grammar_parses(m.p, ct, &cerr) {
	case 1:
		return true, nil
	case 0:
		return false, nil
	}
	return false, cError("parse grammar", cerr, nil, mark)
}

// newSampler creates the sampler in C; spec (nil: no grammar) has passed package gbnf.
func newSampler(m *Model, sp SamplerParams, spec *C.nash_grammar_spec) (*Sampler, error) {
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
	var bad C.int
	var cerr *C.char
	mark := logMark()
	s := C.nash_sampler_new(m.p, m.index, cp, spec, &bad, &cerr)
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
// accepts it (never accept it again). Where the grammar is too ambiguous to match within the
// matcher's bounds the error wraps [ErrInvalidGrammar].
func (s *Sampler) Sample(c *Context, idx int) (int32, error) {
	if s.p == nil || c.p == nil {
		return -1, errorf("sample", ErrClosed, "sampler or context is closed")
	}
	if !c.hasOutput(idx) {
		return -1, errorf("sample", nil, "batch position %d of the last decode has no logits", idx)
	}
	var full C.int
	var cerr *C.char
	mark := logMark()
	var limit C.int
	tok := C.nash_sampler_sample(s.p, c.p, C.int32_t(idx), &full, &limit, &cerr)
	if tok < 0 {
		var sentinel error
		if limit != 0 {
			sentinel = ErrInvalidGrammar
		}
		return -1, cError("sample", cerr, sentinel, mark)
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
		return false, cError("grammar check", cerr, nil, mark)
	}
}

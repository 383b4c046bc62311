// grammar.hpp: the grammar matcher behind nash_sampler (C++ only; see grammar.cpp).
#pragma once

#include "shim.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

// Element types (nash_gelem, shim.h), llama_gretype's values. Package gbnf builds the rules,
// so they arrive checked.
enum : uint32_t {
    NG_END = 0,
    NG_ALT = 1,
    NG_RULE_REF = 2,
    NG_CHAR = 3,
    NG_CHAR_NOT = 4,
    NG_CHAR_RNG_UPPER = 5,
    NG_CHAR_ALT = 6,
    NG_CHAR_ANY = 7,
    NG_TOKEN = 8,
    NG_TOKEN_NOT = 9,
};

// nash_grammar matches token pieces against a grammar with llama.cpp's semantics
// (llama-grammar.cpp: stacks of positions, advanced through rule references, a token
// allowed iff some stack accepts all its code points) but bounded work: stack sets are
// deduplicated at every character across all stacks, the walk through rule references is
// iterative rather than recursive, and an operation that would exceed max_stacks stacks or
// budget units of work throws instead of running away. llama.cpp's matcher can take
// exponential time and memory on an ambiguous grammar (a 90-byte one stalls it for minutes
// within 15 characters) and recurses as deep as the parse stack.
struct nash_grammar;

// nash_grammar_limit is thrown when a call would exceed the matcher's bounds.
struct nash_grammar_limit : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// nash_grammar_new builds a matcher from rules (each rule's elements, ending in NG_END,
// concatenated; n_rules of them) and computes the initial stacks. Throws on bad input.
nash_grammar *nash_grammar_new(const nash_gelem *elems, size_t n_elems, size_t n_rules, uint32_t root,
                               size_t max_stacks, size_t budget);
void nash_grammar_free(nash_grammar *g);

// nash_grammar_apply sets the logit of every candidate the grammar rejects next to -inf
// (llama_grammar_apply_impl). pieces, if not NULL, holds every token's piece (as
// llama_token_to_piece with special = true gives it), saving the lookups.
void nash_grammar_apply(nash_grammar *g, const llama_vocab *vocab, const std::string *pieces,
                        llama_token_data_array *cur);

// nash_grammar_accept advances the grammar over token (llama_grammar_accept_impl). Throws if
// the grammar does not allow it.
void nash_grammar_accept(nash_grammar *g, const llama_vocab *vocab, llama_token token);

// refloop.h: the benchmark's reference, a minimal C loop over libllama (see refloop.c).
#ifndef NASH_REFLOOP_H
#define NASH_REFLOOP_H

#include <llama.h>

typedef struct nash_ref_result {
    int prompt_n;     // prompt tokens decoded
    double prompt_ms; // llama_decode of the prompt
    int gen_n;        // tokens sampled
    double gen_ms;    // from the end of the prompt decode to the last sample
    char err[256];
} nash_ref_result;

// nash_ref_run loads model_path, decodes the n_toks prompt tokens toks in one batch, then
// samples greedily and decodes one token at a time until n_gen tokens or end of generation.
// The sampled tokens are written to gen (room for n_gen). Returns 0 on success.
int nash_ref_run(const char *model_path, const llama_token *toks, int n_toks, int n_gen, int threads,
                 int n_ctx, llama_token *gen, nash_ref_result *out);

// nash_ref_batched is the batched reference: it tokenizes prompt (adding BOS), then n_seq
// sequences each decode it (n_ctx is the total context, split evenly), then every step decodes
// one token of each sequence in one llama_decode and samples each greedily, n_gen tokens per
// sequence. gen_n counts all sequences' tokens; gen_ms runs from the end of the last prompt to
// the last sample.
int nash_ref_batched(const char *model_path, const char *prompt, int n_seq, int n_gen, int threads,
                     int n_ctx, nash_ref_result *out);

#endif

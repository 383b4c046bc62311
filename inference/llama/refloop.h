// refloop.h: the benchmark's reference, a minimal C loop over libllama (see refloop.c).
#ifndef NASH_REFLOOP_H
#define NASH_REFLOOP_H

typedef struct nash_ref_result {
    int prompt_n;     // prompt tokens decoded
    double prompt_ms; // llama_decode of the prompt
    int gen_n;        // tokens sampled
    double gen_ms;    // from the end of the prompt decode to the last sample
    char err[256];
} nash_ref_result;

// nash_ref_run loads model_path, tokenizes prompt (adding BOS), decodes it in one batch, then
// samples greedily and decodes one token at a time until n_gen tokens or end of generation.
// Returns 0 on success.
int nash_ref_run(const char *model_path, const char *prompt, int n_gen, int threads, int n_ctx,
                 nash_ref_result *out);

// nash_ref_batched is the batched reference: n_seq sequences each decode prompt (n_ctx is the
// total context, split evenly), then every step decodes one token of each sequence in one
// llama_decode and samples each greedily, n_gen tokens per sequence. gen_n counts all
// sequences' tokens; gen_ms runs from the end of the last prompt to the last sample.
int nash_ref_batched(const char *model_path, const char *prompt, int n_seq, int n_gen, int threads,
                     int n_ctx, nash_ref_result *out);

#include <stddef.h>
#include <stdint.h>

// nash_sum_u64 sums n words: a memory read loop for measuring bandwidth.
uint64_t nash_sum_u64(const uint64_t *p, size_t n);

#endif

// shim.h: exception-safe wrappers around the llama.cpp calls that can throw.
//
// Every function returns a status (0 = success, nonzero = failure) or a pointer (NULL = failure)
// and, on failure, stores a malloc'd message in *err (the caller frees it). A C++ exception never
// crosses into Go: it is caught here and turned into a message.
#ifndef NASH_SHIM_H
#define NASH_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <llama.h>
#include <ggml-cpu.h>

#ifdef __cplusplus
extern "C" {
#endif

// nash_quantize quantizes fname_inp into fname_out with the given llama_ftype.
int nash_quantize(const char *in, const char *out, int ftype, int nthread, char **err);

// nash_model_load loads a model. progress_handle != 0 routes progress to Go (nashGoProgress).
// The model gets an explicit device list, never llama.cpp's default of every registered GPU:
// none when n_gpu_layers <= 0 (CPU only, even with a GPU backend loaded), the GPU device
// main_gpu (an index into nash_gpu_device_get's list) when main_gpu >= 0, every GPU device
// (llama.cpp's layer split) when main_gpu < 0. On success *dev_names receives the names of
// the devices the model was given, each ending in '\n', malloc'd (the caller frees it), or
// NULL for none (CPU only).
struct llama_model *nash_model_load(const char *path, int32_t n_gpu_layers, int32_t main_gpu,
                                    bool use_mmap, bool vocab_only, uintptr_t progress_handle,
                                    char **dev_names, char **err);

// nash_backend_load loads one ggml backend library (ggml_backend_load) and returns the number of
// devices it registered, or -1 with *err (ggml logs the dlopen error).
int32_t nash_backend_load(const char *path, char **err);

// nash_device describes one non-CPU ggml device.
typedef struct nash_device {
    char name[64];
    char description[256];
    char backend[64];
    int32_t type; // enum ggml_backend_dev_type
    uint64_t free_bytes, total_bytes;
} nash_device;

// nash_gpu_device_count returns the number of registered non-CPU devices (GPU, IGPU, ACCEL).
int32_t nash_gpu_device_count(void);

// nash_gpu_device_get fills *out for non-CPU device i (registry order, CPU devices skipped),
// with its current free and total memory. Returns 0, or -1 with *err.
int nash_gpu_device_get(int32_t i, nash_device *out, char **err);

// nash_abort is what a context's abort callback reads during llama_decode (ggml calls it
// between graph nodes): flag (nonzero: abort; set from any thread) and deadline_ns, a
// CLOCK_MONOTONIC time in nanoseconds (0: none) past which the decode aborts itself and sets
// fired. flag comes first: Go stores into it through a pointer to the struct.
typedef struct nash_abort {
    int32_t flag;
    int32_t fired;
    int64_t deadline_ns;
} nash_abort;

// nash_context_init creates a context whose abort callback reads *abort. op_offload false
// keeps every operation of a CPU model on the CPU (llama.cpp's default sends large batches'
// weight-bound ops to any GPU device it has).
struct llama_context *nash_context_init(struct llama_model *model, uint32_t n_ctx, uint32_t n_batch,
                                        uint32_t n_seq_max, int32_t n_threads,
                                        int32_t n_threads_batch, bool op_offload, nash_abort *abort,
                                        char **err);

// nash_threadpool_new creates a ggml CPU thread pool of n_threads threads (the thread that
// calls llama_decode is one of them, so n_threads - 1 are started) whose idle workers poll for
// new work at level poll (0: sleep at once, 100: spin longest) before they sleep. It starts
// paused (its workers sleep until its first graph). NULL with *err on failure.
struct ggml_threadpool *nash_threadpool_new(int32_t n_threads, uint32_t poll, char **err);

// nash_threadpool_free stops and joins a pool's workers and frees it. No context may use it
// any more: the CPU backend keeps a pointer to the last pool it ran a graph on (see
// context.go).
void nash_threadpool_free(struct ggml_threadpool *tp);

// nash_attach_threadpools makes ctx run single-token graphs on gen and multi-token graphs on
// batch (which may be gen) with n_gen and n_batch threads: the pools' sizes (ggml declares
// ggml_threadpool_get_n_threads but this build does not define it).
int nash_attach_threadpools(struct llama_context *ctx, struct ggml_threadpool *gen, int32_t n_gen,
                            struct ggml_threadpool *batch, int32_t n_batch, char **err);

// nash_tokenize returns the token count (negative: -needed capacity) or INT32_MIN on error.
int32_t nash_tokenize(const struct llama_vocab *vocab, const char *text, int32_t len,
                      llama_token *out, int32_t cap, bool add_special, bool parse_special,
                      char **err);

// nash_token_to_piece returns the piece length (negative: -needed capacity) or INT32_MIN.
int32_t nash_token_to_piece(const struct llama_vocab *vocab, llama_token tok, char *buf,
                            int32_t cap, bool special, char **err);

// nash_detokenize returns the text length (negative: -needed capacity) or INT32_MIN.
int32_t nash_detokenize(const struct llama_vocab *vocab, const llama_token *toks, int32_t n,
                        char *buf, int32_t cap, bool remove_special, bool unparse_special,
                        char **err);

// nash_chat_apply_template returns the rendered length (may exceed cap) or INT32_MIN.
int32_t nash_chat_apply_template(const char *tmpl, const struct llama_chat_message *msgs,
                                 size_t n, bool add_ass, char *buf, int32_t cap, char **err);

// nash_decode returns llama_decode's status, or INT32_MIN when it threw. With limit_ns > 0
// the decode aborts itself (status 2, abort->fired set) once it has run that long; abort
// may be NULL when limit_ns is 0. sync waits for the devices to finish the batch
// (llama_synchronize): GPU backends compute asynchronously, and their errors (a lost device)
// then surface here, as an exception, rather than in a later unguarded call. It waits
// whatever llama_decode returned: work of an aborted or failed decode may still be queued.
int32_t nash_decode(struct llama_context *ctx, struct llama_batch batch, nash_abort *abort,
                    int64_t limit_ns, bool sync, char **err);



// nash_sampler_params are the sampling settings of one sequence (see sampler.go).
typedef struct nash_sampler_params {
    float temperature; // <= 0: greedy
    int32_t top_k;     // <= 0: off
    float top_p;       // <= 0 or >= 1: off
    float min_p;       // <= 0: off
    float repeat_penalty; // <= 0 or == 1: off
    int32_t repeat_last_n;
    uint32_t seed;
    bool naive_grammar; // apply the grammar to the whole vocabulary every token (tests, benchmarks)
} nash_sampler_params;

// nash_sampler is a sampler chain plus an optional grammar, sampled the way llama.cpp's
// common_sampler does: the chain picks a token without the grammar, the grammar checks only
// that token, and the whole vocabulary goes through the grammar only when it is rejected.
typedef struct nash_sampler nash_sampler;

// nash_vocab_index groups a vocabulary's tokens by the first byte of their text, for the
// grammar prefilter. Built once per model.
typedef struct nash_vocab_index nash_vocab_index;
nash_vocab_index *nash_vocab_index_new(const struct llama_model *model, char **err);
void nash_vocab_index_free(nash_vocab_index *ix);

// nash_gelem is one grammar element in llama.cpp's layout (llama_grammar_element); type is a
// llama_gretype value.
typedef struct nash_gelem {
    uint32_t type;
    uint32_t value;
} nash_gelem;

// nash_grammar_spec is a grammar checked and laid out by package gbnf: its rules (each
// ending in an END element, concatenated), the root rule, the matcher's bounds, and the GBNF
// text for the naive path, which runs llama.cpp's own grammar sampler on it.
typedef struct nash_grammar_spec {
    const nash_gelem *elems;
    size_t n_elems;
    size_t n_rules;
    uint32_t root;
    size_t max_stacks; // parse stacks alive at once
    size_t budget;     // work units per apply/accept call
    const char *text;
} nash_grammar_spec;

// nash_sampler_new returns a sampler, or NULL with *err (a grammar that cannot be used sets
// *bad_grammar). grammar may be NULL. index (may be NULL) must outlive the sampler.
nash_sampler *nash_sampler_new(const struct llama_model *model, const nash_vocab_index *index,
                               nash_sampler_params p, const nash_grammar_spec *grammar,
                               int *bad_grammar, char **err);
void nash_sampler_free(nash_sampler *s);

// nash_sampler_sample samples from the logits of batch output idx and accepts the token into
// the chain and the grammar exactly once. *full_pass is set when the grammar had to filter the
// vocabulary. Returns -1 with *err on failure (nothing is accepted then); *grammar_limit is
// set when the failure is the grammar matcher's bounds.
llama_token nash_sampler_sample(nash_sampler *s, struct llama_context *ctx, int32_t idx,
                                int *full_pass, int *grammar_limit, char **err);

// nash_sampler_accept_history feeds tokens into the penalty history (not the grammar).
int nash_sampler_accept_history(nash_sampler *s, const llama_token *toks, int32_t n, char **err);

// nash_sampler_grammar_allows reports 1 if the grammar accepts tok next, 0 if not, -1 on error.
int nash_sampler_grammar_allows(nash_sampler *s, llama_token tok, char **err);

// nash_sampler_grammar_mask sets mask[t] to 1 for every token t the grammar allows next (the
// whole vocabulary in one apply call), 0 otherwise. Returns 0, or -1 with *err (-2 when the
// matcher's bounds were hit).
int nash_sampler_grammar_mask(nash_sampler *s, uint8_t *mask, char **err);

// nash_sampler_grammar_accept advances the grammar (only) over tok. Returns 0, or -1 with
// *err (-2 when the matcher's bounds were hit).
int nash_sampler_grammar_accept(nash_sampler *s, llama_token tok, char **err);

// nash_llama_grammar_parses reports whether llama.cpp's own parser accepts a grammar text
// (1 or 0; -1 with *err on an exception). Only for comparing package gbnf with it: never call
// it on text that gbnf rejected for left recursion or a limit.
int nash_llama_grammar_parses(const struct llama_model *model, const char *text, char **err);

// nash_log_install routes llama.cpp's and ggml's log output to Go (nashGoLog).
void nash_log_install(void);

#ifdef __cplusplus
}
#endif

#endif

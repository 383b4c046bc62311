// shim.cpp: the only place nashd calls llama.cpp functions that can throw. Each wrapper catches
// every exception and reports it as an error message, so no input can abort the Go process
// through an uncaught C++ exception (see shim.h).

#include "shim.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

extern "C" {
// Implemented in Go (callbacks.go).
void nashGoLog(int level, char *text);
bool nashGoProgress(uintptr_t handle, float progress);
}

static void set_err(char **err, const char *msg) {
    if (err) {
        *err = strdup(msg ? msg : "unknown error");
    }
}

#define NASH_GUARD(errp, failval, body)                                   \
    try {                                                                  \
        body                                                               \
    } catch (const std::exception &e) {                                    \
        set_err(errp, e.what());                                           \
        return failval;                                                    \
    } catch (...) {                                                        \
        set_err(errp, "unknown C++ exception");                            \
        return failval;                                                    \
    }

extern "C" {

int nash_quantize(const char *in, const char *out, int ftype, int nthread, char **err) {
    NASH_GUARD(err, 1, {
        llama_model_quantize_params p = llama_model_quantize_default_params();
        p.ftype = (enum llama_ftype)ftype;
        p.nthread = nthread;
        uint32_t rc = llama_model_quantize(in, out, &p);
        if (rc != 0) {
            set_err(err, "llama_model_quantize failed");
            return 1;
        }
        return 0;
    })
}

static bool progress_cb(float p, void *ud) {
    return nashGoProgress((uintptr_t)ud, p);
}

struct llama_model *nash_model_load(const char *path, int32_t n_gpu_layers, bool use_mmap,
                                    bool vocab_only, uintptr_t progress_handle, char **err) {
    NASH_GUARD(err, nullptr, {
        llama_model_params p = llama_model_default_params();
        p.n_gpu_layers = n_gpu_layers;
        p.use_mmap = use_mmap;
        p.vocab_only = vocab_only;
        if (progress_handle != 0) {
            p.progress_callback = progress_cb;
            p.progress_callback_user_data = (void *)progress_handle;
        }
        llama_model *m = llama_model_load_from_file(path, p);
        if (!m) {
            set_err(err, "llama_model_load_from_file failed (see the log for the cause)");
        }
        return m;
    })
}

static bool abort_cb(void *data) {
    return __atomic_load_n((volatile int32_t *)data, __ATOMIC_RELAXED) != 0;
}

struct llama_context *nash_context_init(struct llama_model *model, uint32_t n_ctx, uint32_t n_batch,
                                        uint32_t n_seq_max, int32_t n_threads,
                                        int32_t n_threads_batch, volatile int32_t *abort_flag,
                                        char **err) {
    NASH_GUARD(err, nullptr, {
        llama_context_params p = llama_context_default_params();
        p.n_ctx = n_ctx;
        p.n_batch = n_batch;
        p.n_ubatch = n_batch;
        p.n_seq_max = n_seq_max;
        p.n_threads = n_threads;
        p.n_threads_batch = n_threads_batch;
        p.no_perf = true;
        if (abort_flag) {
            p.abort_callback = abort_cb;
            p.abort_callback_data = (void *)abort_flag;
        }
        llama_context *c = llama_init_from_model(model, p);
        if (!c) {
            set_err(err, "llama_init_from_model failed (see the log for the cause)");
        }
        return c;
    })
}

int32_t nash_tokenize(const struct llama_vocab *vocab, const char *text, int32_t len,
                      llama_token *out, int32_t cap, bool add_special, bool parse_special,
                      char **err) {
    NASH_GUARD(err, INT32_MIN, {
        return llama_tokenize(vocab, text, len, out, cap, add_special, parse_special);
    })
}

int32_t nash_token_to_piece(const struct llama_vocab *vocab, llama_token tok, char *buf,
                            int32_t cap, bool special, char **err) {
    NASH_GUARD(err, INT32_MIN, {
        return llama_token_to_piece(vocab, tok, buf, cap, 0, special);
    })
}

int32_t nash_detokenize(const struct llama_vocab *vocab, const llama_token *toks, int32_t n,
                        char *buf, int32_t cap, bool remove_special, bool unparse_special,
                        char **err) {
    NASH_GUARD(err, INT32_MIN, {
        return llama_detokenize(vocab, toks, n, buf, cap, remove_special, unparse_special);
    })
}

int32_t nash_chat_apply_template(const char *tmpl, const struct llama_chat_message *msgs,
                                 size_t n, bool add_ass, char *buf, int32_t cap, char **err) {
    NASH_GUARD(err, INT32_MIN, {
        int32_t r = llama_chat_apply_template(tmpl, msgs, n, add_ass, buf, cap);
        if (r < 0) {
            set_err(err, "chat template not supported by llama.cpp's template engine");
            return INT32_MIN;
        }
        return r;
    })
}

int32_t nash_decode(struct llama_context *ctx, struct llama_batch batch, char **err) {
    NASH_GUARD(err, INT32_MIN, { return llama_decode(ctx, batch); })
}

struct llama_sampler *nash_grammar_init(const struct llama_vocab *vocab, const char *gbnf,
                                        const char *root, char **err) {
    NASH_GUARD(err, nullptr, {
        llama_sampler *s = llama_sampler_init_grammar(vocab, gbnf, root);
        if (!s) {
            set_err(err, "grammar did not parse (see the log for the position)");
        }
        return s;
    })
}

llama_token nash_sampler_sample(struct llama_sampler *smpl, struct llama_context *ctx,
                                int32_t idx, char **err) {
    NASH_GUARD(err, -1, { return llama_sampler_sample(smpl, ctx, idx); })
}

int nash_sampler_accept(struct llama_sampler *smpl, llama_token tok, char **err) {
    NASH_GUARD(err, 1, {
        llama_sampler_accept(smpl, tok);
        return 0;
    })
}

int nash_sampler_apply(struct llama_sampler *smpl, llama_token_data_array *cur, char **err) {
    NASH_GUARD(err, 1, {
        llama_sampler_apply(smpl, cur);
        return 0;
    })
}

static void log_cb(enum ggml_log_level level, const char *text, void * /*ud*/) {
    nashGoLog((int)level, (char *)text);
}

void nash_log_install(void) { llama_log_set(log_cb, nullptr); }

} // extern "C"

// shim.cpp: the only place nashd calls llama.cpp functions that can throw. Each wrapper catches
// every exception and reports it as an error message, so no input can abort the Go process
// through an uncaught C++ exception (see shim.h).

#include "shim.h"
#include "grammar.hpp"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <exception>
#include <string>
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

#define NASH_GUARD(errp, failval, ...)                                    \
    try {                                                                  \
        __VA_ARGS__                                                        \
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

// gpu_devices lists the registered non-CPU devices in registry order (the order
// nash_gpu_device_get and Go's Devices use).
static std::vector<ggml_backend_dev_t> gpu_devices() {
    std::vector<ggml_backend_dev_t> out;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d = ggml_backend_dev_get(i);
        if (ggml_backend_dev_type(d) != GGML_BACKEND_DEVICE_TYPE_CPU) out.push_back(d);
    }
    return out;
}

static bool is_gpu(ggml_backend_dev_t d) {
    enum ggml_backend_dev_type t = ggml_backend_dev_type(d);
    return t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU;
}

struct llama_model *nash_model_load(const char *path, int32_t n_gpu_layers, int32_t main_gpu,
                                    bool use_mmap, bool vocab_only, uintptr_t progress_handle,
                                    char **dev_names, char **err) {
    NASH_GUARD(err, nullptr, {
        llama_model_params p = llama_model_default_params();
        // The NULL-terminated device list: empty (CPU only) unless layers are offloaded.
        std::vector<ggml_backend_dev_t> devs;
        if (n_gpu_layers > 0 && !vocab_only) {
            std::vector<ggml_backend_dev_t> all = gpu_devices();
            if (all.empty()) {
                // no GPU device: the model runs on the CPU (the caller sees no device names)
            } else if (main_gpu >= 0) {
                if ((size_t)main_gpu >= all.size()) {
                    std::string msg = "main_gpu " + std::to_string(main_gpu) + ": " +
                                      std::to_string(all.size()) + " GPU device(s) loaded";
                    set_err(err, msg.c_str());
                    return (llama_model *)nullptr;
                }
                if (!is_gpu(all[main_gpu])) {
                    std::string msg = std::string("main_gpu ") + std::to_string(main_gpu) + ": " +
                                      ggml_backend_dev_name(all[main_gpu]) + " is not a GPU";
                    set_err(err, msg.c_str());
                    return (llama_model *)nullptr;
                }
                devs.push_back(all[main_gpu]);
            } else {
                // llama.cpp's default choice among the loaded devices: discrete GPUs, or the
                // integrated ones when there are none.
                for (auto *d : all) {
                    if (ggml_backend_dev_type(d) == GGML_BACKEND_DEVICE_TYPE_GPU) devs.push_back(d);
                }
                if (devs.empty()) {
                    for (auto *d : all) {
                        if (ggml_backend_dev_type(d) == GGML_BACKEND_DEVICE_TYPE_IGPU) devs.push_back(d);
                    }
                }
            }
        }
        std::string names;
        for (auto *d : devs) names += std::string(ggml_backend_dev_name(d)) + "\n";
        devs.push_back(nullptr);
        p.devices = devs.data();
        p.n_gpu_layers = devs.size() > 1 ? n_gpu_layers : 0;
        // The device list already says which GPUs: layers are split over them (one device:
        // all on it). Split mode "none" would fail on an empty list.
        p.split_mode = LLAMA_SPLIT_MODE_LAYER;
        p.use_mmap = use_mmap;
        p.vocab_only = vocab_only;
        if (progress_handle != 0) {
            p.progress_callback = progress_cb;
            p.progress_callback_user_data = (void *)progress_handle;
        }
        llama_model *m = llama_model_load_from_file(path, p);
        if (!m) {
            set_err(err, "llama_model_load_from_file failed (see the log for the cause)");
        } else if (dev_names && !names.empty()) {
            *dev_names = strdup(names.c_str());
        }
        return m;
    })
}

int32_t nash_backend_load(const char *path, char **err) {
    NASH_GUARD(err, -1, {
        ggml_backend_reg_t reg = ggml_backend_load(path);
        if (!reg) {
            set_err(err, "ggml_backend_load failed (see the log for the cause)");
            return -1;
        }
        return (int32_t)ggml_backend_reg_dev_count(reg);
    })
}

int32_t nash_gpu_device_count(void) {
    try {
        return (int32_t)gpu_devices().size();
    } catch (...) {
        return 0;
    }
}

static void copy_str(char *dst, size_t cap, const char *src) {
    if (!src) src = "";
    strncpy(dst, src, cap - 1);
    dst[cap - 1] = 0;
}

int nash_gpu_device_get(int32_t i, nash_device *out, char **err) {
    NASH_GUARD(err, -1, {
        std::vector<ggml_backend_dev_t> all = gpu_devices();
        if (i < 0 || (size_t)i >= all.size()) {
            set_err(err, "no such device");
            return -1;
        }
        ggml_backend_dev_t d = all[i];
        memset(out, 0, sizeof(*out));
        copy_str(out->name, sizeof(out->name), ggml_backend_dev_name(d));
        copy_str(out->description, sizeof(out->description), ggml_backend_dev_description(d));
        ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(d);
        copy_str(out->backend, sizeof(out->backend), reg ? ggml_backend_reg_name(reg) : "");
        out->type = (int32_t)ggml_backend_dev_type(d);
        size_t free = 0, total = 0;
        ggml_backend_dev_memory(d, &free, &total);
        out->free_bytes = free;
        out->total_bytes = total;
        return 0;
    })
}

static int64_t monotonic_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// abort_cb runs on ggml's first compute thread after every graph node.
static bool abort_cb(void *data) {
    nash_abort *a = (nash_abort *)data;
    if (__atomic_load_n(&a->flag, __ATOMIC_RELAXED) != 0) {
        return true;
    }
    int64_t dl = __atomic_load_n(&a->deadline_ns, __ATOMIC_RELAXED);
    if (dl > 0 && monotonic_ns() > dl) {
        __atomic_store_n(&a->fired, 1, __ATOMIC_RELAXED);
        return true;
    }
    return false;
}

struct llama_context *nash_context_init(struct llama_model *model, uint32_t n_ctx, uint32_t n_batch,
                                        uint32_t n_seq_max, int32_t n_threads,
                                        int32_t n_threads_batch, bool op_offload, nash_abort *abort,
                                        char **err) {
    NASH_GUARD(err, nullptr, {
        llama_context_params p = llama_context_default_params();
        p.op_offload = op_offload;
        p.n_ctx = n_ctx;
        p.n_batch = n_batch;
        p.n_ubatch = n_batch;
        p.n_seq_max = n_seq_max;
        p.n_threads = n_threads;
        p.n_threads_batch = n_threads_batch;
        p.no_perf = true;
        if (abort) {
            p.abort_callback = abort_cb;
            p.abort_callback_data = (void *)abort;
        }
        llama_context *c = llama_init_from_model(model, p);
        if (!c) {
            set_err(err, "llama_init_from_model failed (see the log for the cause)");
        }
        return c;
    })
}

struct ggml_threadpool *nash_threadpool_new(int32_t n_threads, uint32_t poll, char **err) {
    NASH_GUARD(err, nullptr, {
        if (n_threads < 1 || n_threads > GGML_MAX_N_THREADS) {
            set_err(err, "thread count outside [1, GGML_MAX_N_THREADS]");
            return (struct ggml_threadpool *)nullptr;
        }
        struct ggml_threadpool_params tpp = ggml_threadpool_params_default(n_threads);
        tpp.poll = poll > 100 ? 100 : poll;
        tpp.paused = true;
        struct ggml_threadpool *tp = ggml_threadpool_new(&tpp);
        if (!tp) {
            set_err(err, "ggml_threadpool_new failed");
        }
        return tp;
    })
}

void nash_threadpool_free(struct ggml_threadpool *tp) { ggml_threadpool_free(tp); }

int nash_attach_threadpools(struct llama_context *ctx, struct ggml_threadpool *gen, int32_t n_gen,
                            struct ggml_threadpool *batch, int32_t n_batch, char **err) {
    NASH_GUARD(err, 1, {
        llama_attach_threadpool(ctx, gen, batch);
        llama_set_n_threads(ctx, n_gen, n_batch);
        return 0;
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

int32_t nash_decode(struct llama_context *ctx, struct llama_batch batch, nash_abort *abort,
                    int64_t limit_ns, bool sync, char **err) {
    if (abort) {
        __atomic_store_n(&abort->fired, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&abort->deadline_ns, limit_ns > 0 ? monotonic_ns() + limit_ns : 0, __ATOMIC_RELAXED);
    }
    int32_t r;
    try {
        r = llama_decode(ctx, batch);
        if (sync) {
            // Also after a failed or aborted decode: ubatches before the failing one may still
            // run on the device, and the caller edits the KV cache (or frees the context)
            // next.
            llama_synchronize(ctx);
        }
    } catch (const std::exception &e) {
        set_err(err, e.what());
        r = INT32_MIN;
    } catch (...) {
        set_err(err, "unknown C++ exception");
        r = INT32_MIN;
    }
    if (abort) {
        __atomic_store_n(&abort->deadline_ns, 0, __ATOMIC_RELAXED);
    }
    return r;
}



struct nash_vocab_index {
    std::vector<llama_token> by_first[256]; // non-EOG tokens with a non-empty piece, by first byte
    std::vector<llama_token> eog;           // end-of-generation tokens
    llama_token single[128];                // a token whose piece is exactly this ASCII byte, or -1
    std::vector<std::string> piece;         // every token's piece (special = true), for the grammar
};

nash_vocab_index *nash_vocab_index_new(const struct llama_model *model, char **err) {
    NASH_GUARD(err, nullptr, {
        const llama_vocab *vocab = llama_model_get_vocab(model);
        const int32_t n = llama_vocab_n_tokens(vocab);
        auto *ix = new nash_vocab_index();
        for (auto &t : ix->single) t = -1;
        std::vector<char> buf(256);
        ix->piece.resize(n);
        for (llama_token t = 0; t < n; t++) {
            // special = true: the pieces llama.cpp's grammar matches against.
            int32_t k = llama_token_to_piece(vocab, t, buf.data(), (int32_t)buf.size(), 0, true);
            if (k < 0) {
                buf.resize(-k);
                k = llama_token_to_piece(vocab, t, buf.data(), (int32_t)buf.size(), 0, true);
            }
            if (k > 0) ix->piece[t].assign(buf.data(), (size_t)k);
            if (llama_vocab_is_eog(vocab, t)) {
                ix->eog.push_back(t);
                continue;
            }
            if (k <= 0 || buf[0] == 0) continue; // the grammar rejects empty pieces
            uint8_t b = (uint8_t)buf[0];
            ix->by_first[b].push_back(t);
            if (k == 1 && b < 128 && ix->single[b] < 0) ix->single[b] = t;
        }
        return ix;
    })
}

void nash_vocab_index_free(nash_vocab_index *ix) { delete ix; }

struct nash_sampler {
    const llama_vocab *vocab = nullptr;
    const nash_vocab_index *index = nullptr;
    llama_sampler *pre = nullptr;   // penalties (applied before anything else)
    llama_sampler *post = nullptr;  // top-k, top-p, min-p, temperature, dist / greedy
    llama_sampler *grammar = nullptr; // naive: llama.cpp's own grammar sampler
    nash_grammar *g = nullptr;        // otherwise: the bounded matcher (grammar.cpp)
    int32_t n_vocab = 0;
    bool naive = false; // filter the whole vocabulary with the grammar every token
    int32_t keep = 0; // tokens the post chain can possibly pick from: 1 (greedy), top_k, or 0 (all)
    int utf8_need = 0; // continuation bytes the accepted text still lacks
    std::vector<llama_token_data> cur;
    std::vector<llama_token_data> cand;
    std::vector<llama_token_data> raw;
    std::vector<llama_token_data> valid;
    std::vector<char> piece;

    ~nash_sampler() {
        if (pre) llama_sampler_free(pre);
        if (post) llama_sampler_free(post);
        if (grammar) llama_sampler_free(grammar);
        if (g) nash_grammar_free(g);
    }

    void fill(const float *logits) {
        cur.resize(n_vocab);
        for (int32_t i = 0; i < n_vocab; i++) {
            cur[i] = llama_token_data{i, logits[i], 0.0f};
        }
    }

    // track follows the UTF-8 state of the accepted text, so the first-byte prefilter is
    // used only where a token's first byte starts a character.
    void track(llama_token tok) {
        if (piece.size() < 256) piece.resize(256);
        int32_t k = llama_token_to_piece(vocab, tok, piece.data(), (int32_t)piece.size(), 0, true);
        for (int32_t i = 0; i < k; i++) {
            uint8_t c = (uint8_t)piece[i];
            if (utf8_need > 0 && (c & 0xC0) == 0x80) {
                utf8_need--;
            } else if (c >= 0xF0 && c < 0xF8) {
                utf8_need = 3;
            } else if (c >= 0xE0 && c < 0xF0) {
                utf8_need = 2;
            } else if (c >= 0xC0 && c < 0xE0) {
                utf8_need = 1;
            } else {
                utf8_need = 0;
            }
        }
    }
};

nash_sampler *nash_sampler_new(const struct llama_model *model, const nash_vocab_index *index,
                               nash_sampler_params p, const nash_grammar_spec *grammar,
                               int *bad_grammar, char **err) {
    NASH_GUARD(err, nullptr, {
        auto *s = new nash_sampler();
        s->vocab = llama_model_get_vocab(model);
        s->index = index;
        s->naive = p.naive_grammar;
        s->n_vocab = llama_vocab_n_tokens(s->vocab);
        llama_sampler_chain_params cp = llama_sampler_chain_default_params();
        cp.no_perf = true;
        s->pre = llama_sampler_chain_init(cp);
        s->post = llama_sampler_chain_init(cp);
        if (p.repeat_penalty > 0 && p.repeat_penalty != 1.0f) {
            llama_sampler_chain_add(s->pre, llama_sampler_init_penalties(
                p.repeat_last_n > 0 ? p.repeat_last_n : 64, p.repeat_penalty, 0.0f, 0.0f));
        }
        if (p.temperature <= 0) {
            llama_sampler_chain_add(s->post, llama_sampler_init_greedy());
            s->keep = 1;
        } else {
            if (p.top_k > 0) {
                llama_sampler_chain_add(s->post, llama_sampler_init_top_k(p.top_k));
                s->keep = p.top_k;
            }
            if (p.top_p > 0 && p.top_p < 1) {
                llama_sampler_chain_add(s->post, llama_sampler_init_top_p(p.top_p, 1));
            }
            if (p.min_p > 0) {
                llama_sampler_chain_add(s->post, llama_sampler_init_min_p(p.min_p, 1));
            }
            llama_sampler_chain_add(s->post, llama_sampler_init_temp(p.temperature));
            llama_sampler_chain_add(s->post, llama_sampler_init_dist(p.seed));
        }
        if (grammar && s->naive) {
            s->grammar = llama_sampler_init_grammar(s->vocab, grammar->text, "root");
            if (!s->grammar) {
                delete s;
                if (bad_grammar) *bad_grammar = 1;
                set_err(err, "grammar did not parse");
                return nullptr;
            }
        } else if (grammar) {
            try {
                s->g = nash_grammar_new(grammar->elems, grammar->n_elems, grammar->n_rules, grammar->root,
                                        grammar->max_stacks, grammar->budget);
            } catch (const std::exception &e) {
                delete s;
                if (bad_grammar) *bad_grammar = 1;
                set_err(err, e.what());
                return nullptr;
            }
        }
        return s;
    })
}

void nash_sampler_free(nash_sampler *s) { delete s; }

// grammar_apply sets the logits of the tokens the grammar rejects next to -inf.
static void grammar_apply(nash_sampler *s, llama_token_data_array *arr) {
    if (s->g) {
        nash_grammar_apply(s->g, s->vocab, s->index ? s->index->piece.data() : nullptr, arr);
    } else {
        llama_sampler_apply(s->grammar, arr);
    }
}

// grammar_allows applies the grammar to a one-token array: the token is allowed iff its
// logit stays finite.
static bool grammar_allows(nash_sampler *s, llama_token tok) {
    llama_token_data one = {tok, 1.0f, 0.0f};
    llama_token_data_array arr = {&one, 1, -1, false};
    grammar_apply(s, &arr);
    return std::isfinite(one.logit);
}

// allowed_first_bytes finds which first bytes the grammar can accept next: single-byte ASCII
// tokens probe the grammar; non-ASCII bytes and bytes without a probe token count as allowed.
// A token whose first character the grammar rejects is rejected as a whole, so filtering by
// first byte loses nothing the grammar allows. Returns false (not applicable) while the
// accepted text ends inside a UTF-8 character, or without an index.
static bool allowed_first_bytes(nash_sampler *s, bool allowed[256]) {
    const nash_vocab_index *ix = s->index;
    if (!ix || s->utf8_need > 0) return false;
    llama_token_data probe[128];
    uint8_t probe_byte[128];
    int np = 0;
    for (int b = 0; b < 128; b++) {
        if (ix->single[b] >= 0) {
            probe_byte[np] = (uint8_t)b;
            probe[np++] = llama_token_data{ix->single[b], 0.0f, 0.0f};
        }
    }
    llama_token_data_array arr = {probe, (size_t)np, -1, false};
    grammar_apply(s, &arr);
    for (int b = 0; b < 256; b++) allowed[b] = b >= 128 || ix->single[b] < 0;
    for (int i = 0; i < np; i++) {
        if (std::isfinite(probe[i].logit)) allowed[probe_byte[i]] = true;
    }
    return true;
}

// prefilter sets s->cur to the tokens with an allowed first byte plus the end-of-generation
// tokens (the grammar decides on those), taking each token's logit from logits[t] or, if
// logits is NULL, from raw[t] (id-ordered). Returns false, leaving s->cur alone, where
// allowed_first_bytes is not applicable.
static bool prefilter(nash_sampler *s, const float *logits, const llama_token_data *raw) {
    auto logit = [&](llama_token t) { return logits ? logits[t] : raw[t].logit; };
    bool allowed[256];
    if (!allowed_first_bytes(s, allowed)) return false;
    const nash_vocab_index *ix = s->index;
    s->cand.clear();
    for (int b = 0; b < 256; b++) {
        if (!allowed[b]) continue;
        for (llama_token t : ix->by_first[b]) s->cand.push_back(llama_token_data{t, logit(t), 0.0f});
    }
    for (llama_token t : ix->eog) s->cand.push_back(llama_token_data{t, logit(t), 0.0f});
    s->cur.swap(s->cand);
    return true;
}

// grammar_filter leaves in s->valid the grammar-allowed tokens of s->cur that the post chain
// could pick. When the post chain keeps only the top `keep` tokens (greedy, top-k), it visits
// s->cur in descending-logit chunks and stops as soon as `keep` allowed tokens are found: every
// later token has a lower logit than all of them, so the result equals filtering all of s->cur.
static void grammar_filter(nash_sampler *s) {
    auto &cur = s->cur;
    s->valid.clear();
    const size_t n = cur.size();
    const size_t keep = s->keep > 0 ? (size_t)s->keep : n;
    auto by_logit = [](const llama_token_data &a, const llama_token_data &b) { return a.logit > b.logit; };
    size_t a = 0, chunk = 256;
    while (a < n && s->valid.size() < keep) {
        size_t b = (keep >= n) ? n : std::min(n, a + chunk);
        if (b < n) {
            std::nth_element(cur.begin() + a, cur.begin() + b, cur.end(), by_logit);
        }
        llama_token_data_array arr = {cur.data() + a, b - a, -1, false};
        grammar_apply(s, &arr);
        for (size_t i = a; i < b; i++) {
            if (std::isfinite(cur[i].logit)) s->valid.push_back(cur[i]);
        }
        a = b;
        chunk *= 4;
    }
}

llama_token nash_sampler_sample(nash_sampler *s, struct llama_context *ctx, int32_t idx,
                                int *full_pass, int *grammar_limit, char **err) {
    NASH_GUARD(err, -1, try {
        const float *logits = llama_get_logits_ith(ctx, idx);
        if (!logits) {
            set_err(err, "no logits for this batch position");
            return -1;
        }
        s->fill(logits);
        llama_token_data_array arr = {s->cur.data(), s->cur.size(), -1, false};
        llama_sampler_apply(s->pre, &arr);
        if (s->grammar && s->naive) {
            if (full_pass) *full_pass = 1;
            llama_sampler_apply(s->grammar, &arr);
        }
        llama_sampler_apply(s->post, &arr);
        if (arr.selected < 0 || arr.selected >= (int64_t)arr.size) {
            set_err(err, "sampler selected no token");
            return -1;
        }
        llama_token id = arr.data[arr.selected].id;
        if (s->naive && s->grammar && !std::isfinite(arr.data[arr.selected].logit)) {
            set_err(err, "the grammar allows no token here");
            return -1;
        }
        if (s->g && !grammar_allows(s, id)) {
            if (full_pass) *full_pass = 1;
            // The post chain reordered and truncated cur: start again from the logits, with
            // the penalties (if any) applied.
            if (llama_sampler_chain_n(s->pre) == 0) {
                if (!prefilter(s, logits, nullptr)) s->fill(logits);
            } else {
                s->fill(logits);
                llama_token_data_array again = {s->cur.data(), s->cur.size(), -1, false};
                llama_sampler_apply(s->pre, &again);
                s->raw = s->cur; // id-ordered penalised logits
                prefilter(s, nullptr, s->raw.data());
            }
            grammar_filter(s);
            if (s->valid.empty()) {
                set_err(err, "the grammar allows no token here");
                return -1;
            }
            llama_token_data_array va = {s->valid.data(), s->valid.size(), -1, false};
            llama_sampler_apply(s->post, &va);
            if (va.selected < 0 || va.selected >= (int64_t)va.size || !std::isfinite(va.data[va.selected].logit)) {
                set_err(err, "sampler selected no grammar-allowed token");
                return -1;
            }
            id = va.data[va.selected].id;
        }
        if (s->g) {
            nash_grammar_accept(s->g, s->vocab, id);
            s->track(id);
        } else if (s->grammar) {
            llama_sampler_accept(s->grammar, id);
            s->track(id);
        }
        llama_sampler_accept(s->pre, id);
        llama_sampler_accept(s->post, id);
        return id;
    } catch (const nash_grammar_limit &e) {
        if (grammar_limit) *grammar_limit = 1;
        set_err(err, e.what());
        return -1;
    })
}

int nash_sampler_accept_history(nash_sampler *s, const llama_token *toks, int32_t n, char **err) {
    NASH_GUARD(err, 1, {
        for (int32_t i = 0; i < n; i++) llama_sampler_accept(s->pre, toks[i]);
        return 0;
    })
}

int nash_sampler_grammar_allows(nash_sampler *s, llama_token tok, char **err) {
    NASH_GUARD(err, -1, {
        if (!s->grammar && !s->g) return 1;
        return grammar_allows(s, tok) ? 1 : 0;
    })
}

int nash_sampler_grammar_mask(nash_sampler *s, uint8_t *mask, char **err) {
    NASH_GUARD(err, -1, try {
        std::vector<llama_token_data> all(s->n_vocab);
        for (int32_t i = 0; i < s->n_vocab; i++) all[i] = llama_token_data{i, 1.0f, 0.0f};
        if (s->g || s->grammar) {
            llama_token_data_array arr = {all.data(), all.size(), -1, false};
            grammar_apply(s, &arr);
        }
        for (int32_t i = 0; i < s->n_vocab; i++) mask[all[i].id] = std::isfinite(all[i].logit) ? 1 : 0;
        return 0;
    } catch (const nash_grammar_limit &e) {
        set_err(err, e.what());
        return -2;
    })
}

int nash_sampler_grammar_accept(nash_sampler *s, llama_token tok, char **err) {
    NASH_GUARD(err, -1, try {
        if (s->g) {
            nash_grammar_accept(s->g, s->vocab, tok);
        } else if (s->grammar) {
            llama_sampler_accept(s->grammar, tok);
        }
        s->track(tok);
        return 0;
    } catch (const nash_grammar_limit &e) {
        set_err(err, e.what());
        return -2;
    })
}

int nash_llama_grammar_parses(const struct llama_model *model, const char *text, char **err) {
    NASH_GUARD(err, -1, {
        llama_sampler *g = llama_sampler_init_grammar(llama_model_get_vocab(model), text, "root");
        if (!g) return 0;
        llama_sampler_free(g);
        return 1;
    })
}

static void log_cb(enum ggml_log_level level, const char *text, void * /*ud*/) {
    nashGoLog((int)level, (char *)text);
}

void nash_log_install(void) { llama_log_set(log_cb, nullptr); }

} // extern "C"

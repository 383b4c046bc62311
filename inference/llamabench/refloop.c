// refloop.c: the reference loop nashd's engine is benchmarked against (scripts/bench-inference.sh).
// It is deliberately the plainest use of llama.h, the call sequence of llama.cpp's
// examples/simple: decode the prompt, then sample and decode one token at a time. It calls
// llama.h directly, without the binding's exception-catching shim: a benchmark tool, never
// linked into nashd.

#include "refloop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The most prompt tokens a reference loop decodes (one batch of n_batch 512).
#define REF_MAX_PROMPT 512

// ref_state is what both loops share: the model, the prompt tokens, a context for n_seq
// sequences and a greedy sampler. ref_free releases whatever ref_setup made, on success or not.
typedef struct ref_state {
    struct llama_model *model;
    const struct llama_vocab *vocab;
    struct llama_context *ctx;
    struct llama_sampler *smpl;
    llama_token *toks;
    int n;
} ref_state;

static void ref_free(ref_state *st) {
    if (st->smpl) llama_sampler_free(st->smpl);
    if (st->ctx) llama_free(st->ctx);
    if (st->model) llama_model_free(st->model);
    free(st->toks);
}

// ref_setup loads the model and makes the context and sampler. The prompt is either the
// n_toks tokens toks (copied) or, when toks is NULL, prompt tokenized with BOS. On failure it
// writes out->err and returns 1.
static int ref_setup(ref_state *st, const char *model_path, const llama_token *toks, int n_toks,
                     const char *prompt, int n_seq, int threads, int n_ctx, nash_ref_result *out) {
    memset(st, 0, sizeof(*st));
    memset(out, 0, sizeof(*out));
    struct llama_model_params mp = llama_model_default_params();
    st->model = llama_model_load_from_file(model_path, mp);
    if (!st->model) {
        snprintf(out->err, sizeof(out->err), "load %s failed", model_path);
        return 1;
    }
    st->vocab = llama_model_get_vocab(st->model);
    if (toks) {
        st->n = n_toks;
        if (n_toks > 0 && n_toks <= REF_MAX_PROMPT) {
            st->toks = malloc(sizeof(llama_token) * n_toks);
            memcpy(st->toks, toks, sizeof(llama_token) * n_toks);
        }
    } else {
        int len = (int)strlen(prompt);
        st->toks = malloc(sizeof(llama_token) * (len + 8));
        st->n = llama_tokenize(st->vocab, prompt, len, st->toks, len + 8, true, true);
    }
    if (st->n <= 0 || st->n > REF_MAX_PROMPT) {
        snprintf(out->err, sizeof(out->err), "prompt of %d tokens (1..%d needed)", st->n, REF_MAX_PROMPT);
        return 1;
    }
    int n_vocab = llama_vocab_n_tokens(st->vocab);
    for (int i = 0; i < st->n; i++) {
        if (st->toks[i] < 0 || st->toks[i] >= n_vocab) {
            snprintf(out->err, sizeof(out->err), "prompt token %d outside the vocabulary [0, %d)", st->toks[i], n_vocab);
            return 1;
        }
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = REF_MAX_PROMPT;
    cp.n_ubatch = REF_MAX_PROMPT;
    cp.n_seq_max = n_seq;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.no_perf = true;
    st->ctx = llama_init_from_model(st->model, cp);
    if (!st->ctx) {
        snprintf(out->err, sizeof(out->err), "context init failed");
        return 1;
    }
    struct llama_sampler_chain_params sp = llama_sampler_chain_default_params();
    sp.no_perf = true;
    st->smpl = llama_sampler_chain_init(sp);
    llama_sampler_chain_add(st->smpl, llama_sampler_init_greedy());
    return 0;
}

int nash_ref_run(const char *model_path, const llama_token *toks, int n_toks, int n_gen, int threads,
                 int n_ctx, llama_token *gen, nash_ref_result *out) {
    ref_state st;
    int rc = 1;
    if (ref_setup(&st, model_path, toks, n_toks, NULL, 1, threads, n_ctx, out) != 0) {
        goto done;
    }
    double t0 = now_ms();
    if (llama_decode(st.ctx, llama_batch_get_one(st.toks, st.n)) != 0) {
        snprintf(out->err, sizeof(out->err), "prompt decode failed");
        goto done;
    }
    double t1 = now_ms();
    out->prompt_n = st.n;
    out->prompt_ms = t1 - t0;
    double t2 = t1;
    for (int i = 0; i < n_gen; i++) {
        llama_token tok = llama_sampler_sample(st.smpl, st.ctx, -1); // also accepts tok
        gen[out->gen_n++] = tok;
        t2 = now_ms();
        if (llama_vocab_is_eog(st.vocab, tok) || i == n_gen - 1) {
            break;
        }
        if (llama_decode(st.ctx, llama_batch_get_one(&tok, 1)) != 0) {
            snprintf(out->err, sizeof(out->err), "decode failed at token %d", i);
            goto done;
        }
    }
    out->gen_ms = t2 - t1;
    rc = 0;
done:
    ref_free(&st);
    return rc;
}

int nash_ref_batched(const char *model_path, const char *prompt, int n_seq, int n_gen, int threads,
                     int n_ctx, nash_ref_result *out) {
    ref_state st;
    int rc = 1;
    struct llama_batch batch = llama_batch_init(REF_MAX_PROMPT > n_seq ? REF_MAX_PROMPT : n_seq, 0, n_seq);
    llama_token *next = malloc(sizeof(llama_token) * n_seq);
    if (ref_setup(&st, model_path, NULL, 0, prompt, n_seq, threads, n_ctx, out) != 0) {
        goto done;
    }
    int n = st.n;
    double t0 = now_ms();
    // Each sequence reads the same prompt in its own decode, as separate requests would.
    for (int s = 0; s < n_seq; s++) {
        batch.n_tokens = 0;
        for (int i = 0; i < n; i++) {
            int k = batch.n_tokens++;
            batch.token[k] = st.toks[i];
            batch.pos[k] = i;
            batch.n_seq_id[k] = 1;
            batch.seq_id[k][0] = s;
            batch.logits[k] = i == n - 1;
        }
        if (llama_decode(st.ctx, batch) != 0) {
            snprintf(out->err, sizeof(out->err), "prompt decode failed");
            goto done;
        }
        next[s] = llama_sampler_sample(st.smpl, st.ctx, -1);
    }
    double t1 = now_ms();
    out->prompt_n = n * n_seq;
    out->prompt_ms = t1 - t0;
    out->gen_n = n_seq;
    for (int i = 1; i < n_gen; i++) {
        batch.n_tokens = 0;
        for (int s = 0; s < n_seq; s++) {
            int k = batch.n_tokens++;
            batch.token[k] = next[s];
            batch.pos[k] = n + i - 1;
            batch.n_seq_id[k] = 1;
            batch.seq_id[k][0] = s;
            batch.logits[k] = 1;
        }
        if (llama_decode(st.ctx, batch) != 0) {
            snprintf(out->err, sizeof(out->err), "decode failed at step %d", i);
            goto done;
        }
        for (int s = 0; s < n_seq; s++) {
            next[s] = llama_sampler_sample(st.smpl, st.ctx, s);
        }
        out->gen_n += n_seq;
    }
    out->gen_ms = now_ms() - t1;
    rc = 0;
done:
    ref_free(&st);
    llama_batch_free(batch);
    free(next);
    return rc;
}

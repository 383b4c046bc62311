// check.c: loads a ggml GPU backend library the way nashd does (ggml compiled into the
// executable, exported with -rdynamic; the library binds to it) and multiplies two matrices on
// each of its devices, comparing with a plain C loop. Built and run by scripts/gpu/check.sh.
//
// usage: check LIBRARY
// exit status: 0 when the library loaded, listed at least one device and every device's product
// matched; 1 otherwise.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml.h"

// Messages of the backend itself ("ggml_vulkan: ...", "ggml_cuda_init: ...") that reached this
// executable's ggml log callback: with a private copy of ggml the library would log past it.
static int backend_logged;

static void on_log(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (strstr(text, "ggml_vulkan") || strstr(text, "ggml_cuda")) backend_logged++;
    fprintf(stderr, "[exe log %d] %s", (int)level, text);
}

// mul_mat_check computes A·Bᵀ (ggml_mul_mat) on dev and returns the largest difference from the
// C loop, relative to the sum of the products' magnitudes (backends may round the inputs to
// f16: about 1e-3), or -1 on failure.
static double mul_mat_check(ggml_backend_dev_t dev) {
    enum { K = 96, M = 40, N = 24 };
    static float a[M * K], b[N * K], c[N * M];
    for (int i = 0; i < M * K; i++) a[i] = (float)((i * 37 % 101) - 50) / 50.0f;
    for (int i = 0; i < N * K; i++) b[i] = (float)((i * 53 % 89) - 44) / 44.0f;

    struct ggml_init_params ip = {
        .mem_size = ggml_tensor_overhead() * 8 + ggml_graph_overhead(),
        .mem_buffer = NULL,
        .no_alloc = true,
    };
    struct ggml_context *ctx = ggml_init(ip);
    struct ggml_tensor *ta = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, M);
    struct ggml_tensor *tb = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, N);
    struct ggml_tensor *tc = ggml_mul_mat(ctx, ta, tb); // ne = [M, N]
    struct ggml_cgraph *gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, tc);

    ggml_backend_t be = ggml_backend_dev_init(dev, NULL);
    if (!be) {
        fprintf(stderr, "check: ggml_backend_dev_init failed\n");
        ggml_free(ctx);
        return -1;
    }
    ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors(ctx, be);
    if (!buf) {
        fprintf(stderr, "check: allocating the tensors on the device failed\n");
        ggml_backend_free(be);
        ggml_free(ctx);
        return -1;
    }
    ggml_backend_tensor_set(ta, a, 0, ggml_nbytes(ta));
    ggml_backend_tensor_set(tb, b, 0, ggml_nbytes(tb));
    double err = -1;
    if (ggml_backend_graph_compute(be, gf) == GGML_STATUS_SUCCESS) {
        ggml_backend_tensor_get(tc, c, 0, ggml_nbytes(tc));
        err = 0;
        for (int n = 0; n < N; n++) {
            for (int m = 0; m < M; m++) {
                double want = 0, scale = 0;
                for (int k = 0; k < K; k++) {
                    want += (double)a[m * K + k] * b[n * K + k];
                    scale += fabs((double)a[m * K + k] * b[n * K + k]);
                }
                double d = fabs(want - c[n * M + m]) / (scale > 0 ? scale : 1);
                if (!(d <= err)) err = d; // NaN propagates
            }
        }
    } else {
        fprintf(stderr, "check: graph compute failed\n");
    }
    ggml_backend_buffer_free(buf);
    ggml_backend_free(be);
    ggml_free(ctx);
    return err;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
        return 2;
    }
    ggml_log_set(on_log, NULL);
    ggml_backend_reg_t reg = ggml_backend_load(argv[1]);
    if (!reg) {
        fprintf(stderr, "check: ggml_backend_load(%s) failed\n", argv[1]);
        return 1;
    }
    size_t n = ggml_backend_reg_dev_count(reg);
    printf("backend %s: %zu device(s)\n", ggml_backend_reg_name(reg), n);
    int bad = n == 0;
    for (size_t i = 0; i < n; i++) {
        ggml_backend_dev_t dev = ggml_backend_reg_dev_get(reg, i);
        size_t free_b = 0, total_b = 0;
        ggml_backend_dev_memory(dev, &free_b, &total_b);
        double err = mul_mat_check(dev);
        int ok = err >= 0 && err < 4e-3;
        printf("  %s: %s, memory %zu / %zu MiB free; mul_mat max relative diff %.3g %s\n",
               ggml_backend_dev_name(dev), ggml_backend_dev_description(dev),
               free_b >> 20, total_b >> 20, err, ok ? "ok" : "WRONG");
        bad |= !ok;
    }
    printf("backend log messages through the executable's callback: %d\n", backend_logged);
    if (n > 0 && backend_logged == 0) {
        printf("check: no backend log message reached the executable: the library bound another ggml\n");
        bad = 1;
    }
    if (n == 0)
        printf("check: no device (Vulkan skips CPU-type devices such as llvmpipe unless GGML_VK_VISIBLE_DEVICES=0)\n");
    return bad;
}

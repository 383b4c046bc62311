// bandwidth.c: the read loop of ReadBandwidth, compiled like ggml (the Makefile's
// -O3 -march=native), so it reads memory with the same vector loads.

#include "bandwidth.h"

uint64_t nash_sum_u64(const uint64_t *p, size_t n) {
    // Four independent accumulators; -O3 -march=native vectorizes this into wide loads.
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a += p[i];
        b += p[i + 1];
        c += p[i + 2];
        d += p[i + 3];
    }
    for (; i < n; i++) a += p[i];
    return a + b + c + d;
}

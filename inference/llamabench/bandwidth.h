// bandwidth.h: a memory read loop for measuring bandwidth (see bandwidth.c).
#ifndef NASH_BANDWIDTH_H
#define NASH_BANDWIDTH_H

#include <stddef.h>
#include <stdint.h>

// nash_sum_u64 sums n words (modulo 2^64).
uint64_t nash_sum_u64(const uint64_t *p, size_t n);

#endif

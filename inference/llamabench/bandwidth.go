package llamabench

/*
#include <stdlib.h>
#include "bandwidth.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"time"
	"unsafe"
)

// ReadBandwidth measures memory read bandwidth in bytes per second: threads goroutines each
// sum their share of a buffer of size bytes (make it far larger than the caches) with a C loop
// compiled like ggml (-O3 -march=native, so with vector loads); the best of passes runs
// counts. Every pass's sum is checked, so the loop must have read every word. Model bytes per
// token divided by the result bounds generation speed.
func ReadBandwidth(size, threads, passes int) (float64, error) {
	threads, passes = max(threads, 1), max(passes, 1)
	n := size / 8
	chunk := n / threads
	if chunk < 1 {
		return 0, fmt.Errorf("%w: read bandwidth: %d bytes for %d threads", ErrArgs, size, threads)
	}
	buf := (*C.uint64_t)(C.malloc(C.size_t(n * 8)))
	if buf == nil {
		return 0, fmt.Errorf("llamabench: read bandwidth: cannot allocate %d bytes", size)
	}
	defer C.free(unsafe.Pointer(buf))
	words := unsafe.Slice((*uint64)(unsafe.Pointer(buf)), n)
	for i := range words {
		words[i] = uint64(i)
	}
	k := uint64(chunk * threads) // words read per pass: 0, 1, …, k-1
	want := k / 2 * (k - 1)      // their sum, modulo 2^64 like the C loop's
	if k%2 == 1 {
		want = (k - 1) / 2 * k
	}
	best := 0.0
	for range passes {
		var (
			mu  sync.Mutex
			sum uint64
			wg  sync.WaitGroup
		)
		start := time.Now()
		for w := range threads {
			wg.Go(func() {
				p := (*C.uint64_t)(unsafe.Add(unsafe.Pointer(buf), w*chunk*8))
				s := uint64(C.nash_sum_u64(p, C.size_t(chunk)))
				mu.Lock()
				sum += s
				mu.Unlock()
			})
		}
		wg.Wait()
		elapsed := time.Since(start).Seconds()
		if sum != want {
			return 0, fmt.Errorf("llamabench: read bandwidth: the read loop summed %d, want %d", sum, want)
		}
		best = max(best, float64(k*8)/elapsed)
	}
	return best, nil
}

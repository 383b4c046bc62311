package llamabench

import (
	"errors"
	"testing"
)

func TestReadBandwidth(t *testing.T) {
	// Plausible bounds for any machine this runs on: a read loop slower than 100 MB/s or
	// faster than 10 TB/s means the timing or the byte count is wrong.
	const lo, hi = 100e6, 10e12
	for _, tc := range []struct{ size, threads int }{
		{8 << 20, 1},
		{8 << 20, 2},
		{8<<20 + 40, 3}, // a size that does not split evenly: the remainder is not read
	} {
		bw, err := ReadBandwidth(tc.size, tc.threads, 2)
		if err != nil {
			t.Fatalf("ReadBandwidth(%d, %d): %v", tc.size, tc.threads, err)
		}
		if bw < lo || bw > hi {
			t.Errorf("ReadBandwidth(%d, %d) = %.3g B/s, want %.0g..%.0g", tc.size, tc.threads, bw, lo, hi)
		}
		t.Logf("%d threads over %d bytes (partly cached): %.1f GB/s", tc.threads, tc.size, bw/1e9)
	}
	for _, tc := range []struct{ size, threads int }{{0, 1}, {7, 1}, {16, 3}} {
		if _, err := ReadBandwidth(tc.size, tc.threads, 1); !errors.Is(err, ErrArgs) {
			t.Errorf("ReadBandwidth(%d, %d) err = %v, want ErrArgs", tc.size, tc.threads, err)
		}
	}
}

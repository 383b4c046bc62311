package llama

import "testing"

func TestReadBandwidth(t *testing.T) {
	if bw := ReadBandwidth(8<<20, 2, 1); bw <= 0 {
		t.Errorf("ReadBandwidth = %v", bw)
	} else {
		t.Logf("read bandwidth over 8 MiB (partly cached): %.1f GB/s", bw/1e9)
	}
}

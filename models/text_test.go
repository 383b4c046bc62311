package models

import "testing"

func TestHumanUnits(t *testing.T) {
	for _, tt := range []struct {
		n            uint64
		bytes, count string
	}{
		{0, "0 B", "0"},
		{999, "999 B", "999"},
		{1536, "1.5 KiB", "1.5K"},
		{494_032_768, "471.1 MiB", "494.0M"},
		{1_342_177_280, "1.25 GiB", "1.34B"},
	} {
		if got := HumanBytes(tt.n); got != tt.bytes {
			t.Errorf("HumanBytes(%d) = %q, want %q", tt.n, got, tt.bytes)
		}
		if got := HumanCount(tt.n); got != tt.count {
			t.Errorf("HumanCount(%d) = %q, want %q", tt.n, got, tt.count)
		}
	}
}

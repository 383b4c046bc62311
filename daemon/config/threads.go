package config

import (
	"fmt"
	"strconv"
)

// Threads is a thread count in nashd.toml or models.toml, written as an integer or "auto":
// N ≥ 1 fixes the count, "auto" ([ThreadsAuto]) lets the engine adapt it to the load, and 0
// (or no key) is the default: adaptive in nashd.toml; nashd.toml's value in models.toml (so a
// model can say "auto" where nashd.toml fixes a count, and the reverse). For batch_threads,
// 0 in nashd.toml means "as threads".
type Threads int

// ThreadsAuto is "auto".
const ThreadsAuto Threads = -1

// MaxThreads is the most threads a count may name (ggml's GGML_MAX_N_THREADS).
const MaxThreads = 512

// MaxPoll is the highest polling level (llama.cpp's --poll range is 0-100).
const MaxPoll = 100

// UnmarshalTOML accepts a non-negative integer or the string "auto".
func (t *Threads) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 || x > MaxThreads {
			return fmt.Errorf("%d outside [0, %d] (or \"auto\")", x, MaxThreads)
		}
		*t = Threads(x)
		return nil
	case string:
		if x == "auto" {
			*t = ThreadsAuto
			return nil
		}
		return fmt.Errorf("%q is not a thread count or \"auto\"", x)
	default:
		return fmt.Errorf("%v (%T) is not a thread count or \"auto\"", v, v)
	}
}

// MarshalText writes "auto" or the integer.
func (t Threads) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// String returns "auto" or the integer.
func (t Threads) String() string {
	if t == ThreadsAuto {
		return "auto"
	}
	return strconv.Itoa(int(t))
}

// Validate reports a count outside the values UnmarshalTOML accepts (a Threads set in Go).
func (t Threads) Validate() error {
	if t < ThreadsAuto || t > MaxThreads {
		return fmt.Errorf("%d outside [0, %d] (or \"auto\")", int(t), MaxThreads)
	}
	return nil
}

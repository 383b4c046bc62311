package config

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// GPULayers is gpu_layers in nashd.toml or models.toml: how many layers to offload to a GPU
// device, as llama.cpp's n_gpu_layers counts them (the last N transformer blocks; more
// than the model's blocks offloads everything, output layer included, so 99 means "all"
// for most models), or "auto" ([GPULayersAuto]): as many as fit in the device's free
// memory (bounded by gpu_memory_limit), estimated from the GGUF metadata, the rest on the
// CPU. 0 is CPU only.
type GPULayers int

// GPULayersAuto is gpu_layers = "auto".
const GPULayersAuto GPULayers = -1

// MaxGPULayers bounds a gpu_layers count (no model has this many layers; 99 or 999 are the
// usual ways to say "all").
const MaxGPULayers = 100000

// UnmarshalTOML accepts a non-negative integer or the string "auto".
func (g *GPULayers) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 || x > MaxGPULayers {
			return fmt.Errorf("%d outside [0, %d] (or \"auto\")", x, MaxGPULayers)
		}
		*g = GPULayers(x)
		return nil
	case string:
		if x == "auto" {
			*g = GPULayersAuto
			return nil
		}
		return fmt.Errorf("%q is not a layer count or \"auto\"", x)
	default:
		return fmt.Errorf("%v (%T) is not a layer count or \"auto\"", v, v)
	}
}

// ParseGPULayers parses a command-line value: a non-negative integer or "auto".
func ParseGPULayers(s string) (GPULayers, error) {
	if s == "auto" {
		return GPULayersAuto, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxGPULayers {
		return 0, fmt.Errorf("%q is not a layer count in [0, %d] or \"auto\"", s, MaxGPULayers)
	}
	return GPULayers(n), nil
}

// MarshalText writes "auto" or the integer.
func (g GPULayers) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// String returns "auto" or the integer.
func (g GPULayers) String() string {
	if g == GPULayersAuto {
		return "auto"
	}
	return strconv.Itoa(int(g))
}

// Validate reports a value outside those UnmarshalTOML accepts (a GPULayers set in Go).
func (g GPULayers) Validate() error {
	if g < GPULayersAuto || g > MaxGPULayers {
		return fmt.Errorf("%d outside [0, %d] (or \"auto\")", int(g), MaxGPULayers)
	}
	return nil
}

// MaxMainGPU bounds main_gpu (ggml's GGML_SCHED_MAX_BACKENDS is 16).
const MaxMainGPU = 15

// ByteSize is a memory size written in TOML as a string with a unit ("2GiB", "512MiB",
// "1.5GB", "4096B") or as an integer number of bytes. Binary units (KiB, MiB, GiB, TiB)
// are powers of 1024, decimal ones (KB, MB, GB, TB) powers of 1000; units are
// case-insensitive.
type ByteSize uint64

var byteUnits = []struct {
	suffix string
	mult   float64
}{ // longest suffixes first: "KiB" before "B"
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// ParseByteSize parses "2GiB", "512 MiB", "1.5GB" or a plain byte count.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 0.0
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if mult == 0 {
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a size like \"2GiB\", \"512MiB\" or a byte count", s)
		}
		return ByteSize(n), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(t, "eExXpP_") {
		return 0, fmt.Errorf("%q is not a size like \"2GiB\", \"512MiB\" or a byte count", s)
	}
	if v := f * mult; v < 1<<63 {
		return ByteSize(v), nil
	}
	return 0, fmt.Errorf("%q is too large", s)
}

// UnmarshalTOML accepts a size string or a non-negative integer of bytes.
func (b *ByteSize) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return fmt.Errorf("%d is negative", x)
		}
		*b = ByteSize(x)
		return nil
	case string:
		n, err := ParseByteSize(x)
		if err != nil {
			return err
		}
		*b = n
		return nil
	default:
		return fmt.Errorf("%v (%T) is not a size like \"2GiB\"", v, v)
	}
}

// MarshalText writes the size in the largest binary unit that divides it ("2GiB").
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// String writes the size in the largest binary unit that divides it ("2GiB", "1536MiB",
// "100B").
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		size uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && uint64(b)%u.size == 0 {
			return strconv.FormatUint(uint64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatUint(uint64(b), 10) + "B"
}

// GPUBackendsDir returns nashd.toml's inference.gpu_backends made absolute (relative to
// Dir), or "" when it is not set.
func (s *Snapshot) GPUBackendsDir() string {
	d := s.Daemon.Inference.GPUBackends
	if d == "" {
		return ""
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(s.Dir, d)
	}
	return filepath.Clean(d)
}

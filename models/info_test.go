package models

import (
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"
)

// benchInfo is what ReadInfo reports for `nash model gen --shape bench` (Q4_K_M).
var benchInfo = Info{Architecture: "llama", WeightBytes: 391749120, ContextLength: 32768, EmbeddingLength: 896,
	Blocks: 24, Heads: 14, HeadsKV: 2, KeyLength: 64, ValueLength: 64, VocabSize: 151936}

// TestEstimateMemoryMeasured compares EstimateMemory with the buffers llama.cpp (ollama
// v0.17.4's tree, CPU, flash attention auto) reported when loading the Q4_K_M bench model:
// "CPU_Mapped model buffer", "KV buffer", "output buffer" and "compute buffer" sizes in MiB.
// The estimate must not be below the measurement, nor more than 10% above it.
func TestEstimateMemoryMeasured(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		nCtx, slots                  int
		weights, kv, output, compute float64 // MiB, as logged by llama.cpp
	}{
		{4096, 1, 373.60, 48, 0.58, 311.76},
		{2048, 4, 373.60, 96, 2.32, 300.25},
		{512, 1, 373.60, 6, 0.58, 298.50},
	}
	for _, tt := range tests {
		measured := (tt.weights + tt.kv + tt.output + tt.compute) * mib
		got := float64(EstimateMemory(&benchInfo, tt.nCtx, tt.slots))
		t.Logf("%d×%d: estimate %.1f MiB, llama.cpp %.1f MiB", tt.nCtx, tt.slots, got/mib, measured/mib)
		if got < measured || got > 1.10*measured {
			t.Errorf("EstimateMemory(bench, %d, %d) = %.1f MiB, llama.cpp used %.1f MiB", tt.nCtx, tt.slots, got/mib, measured/mib)
		}
		if kv := float64(kvCacheBytes(&benchInfo, uint64(tt.nCtx*tt.slots))) / mib; kv != tt.kv {
			t.Errorf("KV cache at %d×%d = %g MiB, llama.cpp: %g MiB", tt.nCtx, tt.slots, kv, tt.kv)
		}
	}
}

func TestEstimateMemoryMonotone(t *testing.T) {
	base := EstimateMemory(&benchInfo, 1024, 1)
	if EstimateMemory(&benchInfo, 2048, 1) <= base || EstimateMemory(&benchInfo, 1024, 2) <= base {
		t.Error("more context or slots did not need more memory")
	}
	if EstimateMemory(&benchInfo, 0, 0) != EstimateMemory(&benchInfo, 1, 1) || EstimateMemory(nil, 1, 1) != 0 {
		t.Error("non-positive arguments or nil info")
	}
}

// TestKVCacheAgainstParser checks the KV-cache term against gguf-parser-go's llama.cpp
// estimator on a generated file.
func TestKVCacheAgainstParser(t *testing.T) {
	s := Spec{Embd: 64, Blocks: 3, Heads: 8, HeadsKV: 2, FFN: 96, ContextLength: 8192, VocabSize: 300}
	path := genFile(t, s)
	info, err := ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := gguf.ParseGGUFFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{256, 4096} {
		e := gf.EstimateLLaMACppRun(gguf.WithLLaMACppContextSize(int32(n)))
		var want uint64
		for _, d := range e.Devices {
			want += uint64(d.KVCache.Key + d.KVCache.Value)
		}
		if got := kvCacheBytes(info, uint64(n)); got != want {
			t.Errorf("KV cache at %d tokens = %d bytes, gguf-parser-go estimates %d", n, got, want)
		}
	}
	if info.EstimatedRAM != EstimateMemory(info, min(DefaultEstimateContext, s.ContextLength), 1) {
		t.Errorf("EstimatedRAM %d is not EstimateMemory at %d tokens", info.EstimatedRAM, DefaultEstimateContext)
	}
}

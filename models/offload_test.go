package models

import "testing"

// offloadInfo is a hand-sized model for the offload tables: 4 blocks of 100,000 bytes, an
// output layer of 300,000 bytes, token embeddings of 256,000 bytes; embd 64, 2 KV heads of
// 16+16, vocabulary 1000. At 256 tokens × 2 slots (512 cells):
//   - KV per block: 2 bytes × 512 cells × 2 heads × 32 = 65,536;
//   - device compute: 512 × 4 × (2·256 + 8·64) = 2,097,152 and the logits 512 × 4 × 1000 =
//     2,048,000, plus the output layer's 300,000 while it stays on the CPU (op offload's
//     copy): 4,145,152 with the output layer on the device, 4,445,152 without;
//   - EstimateMemory: 956,000 weights + 262,144 KV + 512 × 4 × (1000 + 512 + 512) =
//     4,145,152 compute + 2 × 1000 × 4 = 8,000 output = 5,371,296.
var offloadInfo = Info{Architecture: "llama", WeightBytes: 956000, EmbeddingLength: 64, Blocks: 4, Heads: 4,
	HeadsKV: 2, KeyLength: 16, ValueLength: 16, VocabSize: 1000,
	LayerWeightBytes: []uint64{100000, 100000, 100000, 100000}, OutputWeightBytes: 300000}

func TestEstimateOffload(t *testing.T) {
	tied := offloadInfo
	tied.TiedEmbeddings = true
	tests := []struct {
		name         string
		info         *Info
		layers       int
		want         Offload
		deviceFormat string // how the expectation was computed
	}{
		{"none", &offloadInfo, 0, Offload{GPULayers: 0, HostBytes: 5371296}, "nothing on the device"},
		{"negative", &offloadInfo, -3, Offload{GPULayers: 0, HostBytes: 5371296}, "as 0"},
		{"one block", &offloadInfo, 1, Offload{GPULayers: 1, Blocks: 1, DeviceBytes: 4610688, HostBytes: 5205760},
			"100,000 + 65,536 + 4,445,152; host less 165,536"},
		{"two blocks", &offloadInfo, 2, Offload{GPULayers: 2, Blocks: 2, DeviceBytes: 4776224, HostBytes: 5040224},
			"200,000 + 131,072 + 4,445,152; host less 331,072"},
		{"all blocks", &offloadInfo, 4, Offload{GPULayers: 4, Blocks: 4, DeviceBytes: 5107296, HostBytes: 4709152},
			"400,000 + 262,144 + 4,445,152 (as everything: the output's copy in place of the layer); host less 662,144"},
		{"everything", &offloadInfo, 5, Offload{GPULayers: 5, Blocks: 4, Output: true, DeviceBytes: 5107296, HostBytes: 4409152},
			"400,000 + 300,000 + 262,144 + 4,145,152; host less 962,144"},
		{"99 is everything", &offloadInfo, 99, Offload{GPULayers: 5, Blocks: 4, Output: true, DeviceBytes: 5107296, HostBytes: 4409152},
			"clamped to Blocks+1"},
		{"tied: output copied, not moved", &tied, 5, Offload{GPULayers: 5, Blocks: 4, Output: true, DeviceBytes: 5107296, HostBytes: 4709152},
			"as everything; host less only the blocks' 662,144"},
	}
	for _, tt := range tests {
		got := EstimateOffload(tt.info, 256, 2, tt.layers)
		if got != tt.want {
			t.Errorf("%s: EstimateOffload(%d layers) = %+v, want %+v (%s)", tt.name, tt.layers, got, tt.want, tt.deviceFormat)
		}
	}
	if got := EstimateOffload(nil, 256, 2, 5); got != (Offload{}) {
		t.Errorf("nil info: %+v", got)
	}
	if EstimateOffload(&offloadInfo, 256, 2, 0).HostBytes != EstimateMemory(&offloadInfo, 256, 2) {
		t.Error("0 layers: host bytes differ from EstimateMemory")
	}
}

func TestFitGPULayers(t *testing.T) {
	tests := []struct {
		budget uint64
		want   int
	}{
		{0, 0},
		{4610687, 0}, // one byte short of one block
		{4610688, 1},
		{4800000, 2}, // 3 blocks need 300,000 + 196,608 + 4,445,152 = 4,941,760
		{4941760, 3},
		{5107295, 3}, // one byte short of 4 blocks, which need as much as everything
		{5107296, 5}, // the most layers for the same bytes
		{1 << 40, 5},
	}
	for _, tt := range tests {
		got := FitGPULayers(&offloadInfo, 256, 2, tt.budget)
		if got.GPULayers != tt.want {
			t.Errorf("FitGPULayers(budget %d) = %d layers (%d device bytes), want %d", tt.budget, got.GPULayers, got.DeviceBytes, tt.want)
		}
		if got.DeviceBytes > tt.budget {
			t.Errorf("FitGPULayers(budget %d) needs %d device bytes: over the budget", tt.budget, got.DeviceBytes)
		}
		if want := EstimateOffload(&offloadInfo, 256, 2, tt.want); got != want {
			t.Errorf("FitGPULayers(budget %d) = %+v, want EstimateOffload's %+v", tt.budget, got, want)
		}
	}
	if got := FitGPULayers(nil, 256, 2, 1<<40); got != (Offload{}) {
		t.Errorf("nil info: %+v", got)
	}
}

// TestLayerWeightBytes: ReadInfo's per-block and output sizes add up to the weights, for
// separate and tied output projections.
func TestLayerWeightBytes(t *testing.T) {
	for _, tie := range []bool{false, true} {
		s := Spec{Embd: 64, Blocks: 3, Heads: 4, HeadsKV: 2, FFN: 96, ContextLength: 512, VocabSize: 300, TieEmbeddings: tie}
		info, err := ReadInfo(genFile(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if len(info.LayerWeightBytes) != 3 || info.TiedEmbeddings != tie {
			t.Fatalf("tie %v: %d blocks sized, tied %v", tie, len(info.LayerWeightBytes), info.TiedEmbeddings)
		}
		var sum uint64
		for i, b := range info.LayerWeightBytes {
			if b != info.LayerWeightBytes[0] || b == 0 {
				t.Errorf("tie %v: block %d has %d bytes, block 0 %d: want equal, non-zero", tie, i, b, info.LayerWeightBytes[0])
			}
			sum += b
		}
		// token_embd is 64 × 300 F32 (76,800 bytes, a multiple of the alignment); with tied
		// embeddings it is counted in the output layer.
		embd := uint64(64 * 300 * 4)
		if tie {
			embd = 0
		}
		if got := sum + info.OutputWeightBytes + embd; got != uint64(info.WeightBytes) {
			t.Errorf("tie %v: blocks %d + output %d + embeddings %d = %d, weights %d", tie, sum, info.OutputWeightBytes, embd, got, info.WeightBytes)
		}
		// Output layer: output_norm (64 F32 = 256 bytes) and a 64 × 300 F32 projection.
		if want := uint64(256 + 64*300*4); info.OutputWeightBytes != want {
			t.Errorf("tie %v: output layer %d bytes, want %d", tie, info.OutputWeightBytes, want)
		}
	}
}

// benchOffloadInfo is benchInfo with the tensor sizes ReadInfo reports for the Q4_K_M bench
// model: blocks of 10,879,232 or 9,712,640 bytes (Q4_K_M keeps some blocks' tensors at
// Q6_K), and the tied output layer (token_embd and output_norm).
var benchOffloadInfo = func() Info {
	i := benchInfo
	const a, b = 10879232, 9712640
	i.LayerWeightBytes = []uint64{a, a, a, b, b, a, b, b, a, b, b, a, b, b, a, b, b, a, b, b, a, a, a, a}
	i.OutputWeightBytes, i.TiedEmbeddings = 144646656, true
	return i
}()

// TestEstimateOffloadMeasured compares EstimateOffload's device bytes with the buffers
// llama.cpp (ollama v0.17.4's tree) reported on the Vulkan device (Mesa's lavapipe) for the
// Q4_K_M bench model at 4096 tokens and one slot (`nash generate -v --ctx 4096
// --gpu-layers N`): "Vulkan0 model buffer", "Vulkan0 KV buffer" and "Vulkan0 compute
// buffer", in MiB. The estimate must not be below the measurement, nor more than 10% above
// it. A partial offload's compute buffer holds the output projection (op offload), which
// makes 24 blocks cost as much as everything.
func TestEstimateOffloadMeasured(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		layers               int
		weights, kv, compute float64
	}{
		{99, 373.60, 48, 298.50},
		{24, 235.66, 48, 436.44},
		{12, 117.83, 24, 436.44},
	} {
		measured := (tt.weights + tt.kv + tt.compute) * mib
		got := float64(EstimateOffload(&benchOffloadInfo, 4096, 1, tt.layers).DeviceBytes)
		t.Logf("%d layers: estimate %.1f MiB, llama.cpp %.1f MiB", tt.layers, got/mib, measured/mib)
		if got < measured || got > 1.10*measured {
			t.Errorf("EstimateOffload(bench, %d layers) = %.1f MiB, llama.cpp used %.1f MiB", tt.layers, got/mib, measured/mib)
		}
	}
	var sum uint64
	for _, b := range benchOffloadInfo.LayerWeightBytes {
		sum += b
	}
	if sum+benchOffloadInfo.OutputWeightBytes != uint64(benchOffloadInfo.WeightBytes) {
		t.Errorf("bench blocks %d + output %d != weights %d", sum, benchOffloadInfo.OutputWeightBytes, benchOffloadInfo.WeightBytes)
	}
}

package models

import (
	"strconv"
	"strings"
)

// Offload is how a model is split between the CPU and one GPU device for a given
// n_gpu_layers, as llama.cpp places layers (llama_model::load_tensors): the last
// min(n, Blocks) transformer blocks go to the device, the output layer (output norm and
// projection) too when n > Blocks, and the input layer (the token embeddings) always stays
// on the CPU. Each offloaded block keeps its KV cache on the device.
type Offload struct {
	// GPULayers is the n_gpu_layers value the figures are for, clamped to [0, Blocks+1]
	// (Blocks+1 and more: everything, output layer included).
	GPULayers int `json:"gpu_layers"`
	// Blocks is how many transformer blocks are on the device; Output whether the output
	// layer is.
	Blocks int  `json:"blocks"`
	Output bool `json:"output"`
	// DeviceBytes is the device memory needed: the offloaded weights, their KV cache and
	// the device's compute buffer ([EstimateOffload]).
	DeviceBytes uint64 `json:"device_bytes"`
	// HostBytes is the memory left on the CPU side: [EstimateMemory] less the offloaded
	// weights and KV cache (the CPU's compute buffer is kept whole).
	HostBytes uint64 `json:"host_bytes"`
}

// AllLayers reports whether o offloads the whole model (every block and the output layer).
func (o Offload) AllLayers() bool { return o.Output }

// EstimateOffload estimates where the memory of the model described by info goes when it
// runs with gpuLayers layers on one GPU device (llama.cpp's n_gpu_layers with a single
// device, split mode none) and slots sequences of nCtx tokens. The device holds
//   - the weights of the offloaded blocks ([Info.LayerWeightBytes], the last ones) and,
//     when gpuLayers > Blocks, of the output layer ([Info.OutputWeightBytes]);
//   - the F16 KV cache of the offloaded blocks (as in [EstimateMemory], per block);
//   - when anything is offloaded, a compute buffer for a 512-token micro-batch, the terms
//     of EstimateMemory's: the attention mask and its copy (2 × 512 × nCtx × 4 bytes),
//     activations (512 × 8·EmbeddingLength × 4 bytes) and the logits (512 × VocabSize × 4
//     bytes), plus, while the output layer stays on the CPU, a copy of its weights: once
//     a device is in use, llama.cpp's op offload runs a prompt batch's output projection
//     there anyway, so a partial offload reserves as much for the output as a full one.
//
// Checked against the buffers llama.cpp reported on the Vulkan device (lavapipe) for the
// bench model, all layers and some (see the tests): within a few percent above them. Like
// EstimateMemory it is meant for an admission check, not as an exact figure; it grows with
// gpuLayers. Negative gpuLayers counts as 0, non-positive nCtx or slots as 1.
// A model file read without its tensor sizes (no LayerWeightBytes) offloads only the KV
// cache and compute buffer in this estimate.
func EstimateOffload(info *Info, nCtx, slots, gpuLayers int) Offload {
	if info == nil {
		return Offload{}
	}
	nCtx, slots = max(nCtx, 1), max(slots, 1)
	blocks := max(info.Blocks, 0)
	n := min(max(gpuLayers, 0), blocks+1)
	o := Offload{GPULayers: n, Blocks: min(n, blocks), Output: n > blocks}
	host := EstimateMemory(info, nCtx, slots)
	if n == 0 {
		o.HostBytes = host
		return o
	}
	var weights uint64
	for i := blocks - o.Blocks; i < blocks && i < len(info.LayerWeightBytes); i++ {
		weights += info.LayerWeightBytes[i]
	}
	if o.Output {
		weights += info.OutputWeightBytes
	}
	cells := uint64(nCtx) * uint64(slots)
	var kv uint64
	if blocks > 0 {
		kv = kvCacheBytes(info, cells) / uint64(blocks) * uint64(o.Blocks)
	}
	ub := min(uint64(estimateUBatch), cells)
	embd := uint64(max(info.EmbeddingLength, 0))
	compute := ub * f32Bytes * (2*uint64(nCtx) + 8*embd + uint64(max(info.VocabSize, 0)))
	if !o.Output {
		compute += info.OutputWeightBytes // op offload's copy of the output projection
	}
	o.DeviceBytes = weights + kv + compute
	// With tied embeddings the output layer's weights are a device copy of token_embd,
	// which the CPU keeps for the input layer: they do not leave the host.
	moved := weights + kv
	if o.Output && info.TiedEmbeddings {
		moved -= min(info.OutputWeightBytes, moved)
	}
	o.HostBytes = host - min(moved, host)
	return o
}

// FitGPULayers returns the largest offload of the model (n_gpu_layers from 0 to Blocks+1,
// [EstimateOffload]) whose device memory is at most budget bytes, for slots sequences of
// nCtx tokens: the "auto" of gpu_layers. The layers left over run on the CPU. A budget
// too small for one block gives GPULayers 0 (CPU only).
func FitGPULayers(info *Info, nCtx, slots int, budget uint64) Offload {
	if info == nil {
		return Offload{}
	}
	best := EstimateOffload(info, nCtx, slots, 0)
	for n := 1; n <= max(info.Blocks, 0)+1; n++ {
		o := EstimateOffload(info, nCtx, slots, n)
		if o.DeviceBytes > budget {
			break // DeviceBytes grows with n
		}
		best = o
	}
	return best
}

// layerSizes sums the (aligned) tensor sizes of each block "blk.N." and of the output
// layer: output_norm.weight and output.weight, or token_embd.weight when the model has no
// output.weight (tied embeddings: llama.cpp then copies token_embd to the output layer's
// device).
func (h *ggufHeader) layerSizes(blocks int) (perBlock []uint64, output uint64, tied bool) {
	if blocks <= 0 {
		return nil, 0, false
	}
	perBlock = make([]uint64, blocks)
	var embd uint64
	tied = true
	for _, t := range h.tensors {
		size := uint64(padTo(t.nbytes, h.alignment))
		switch {
		case strings.HasPrefix(t.name, "blk."):
			rest := t.name[len("blk."):]
			dot := strings.IndexByte(rest, '.')
			if dot < 0 {
				continue
			}
			if i, err := strconv.Atoi(rest[:dot]); err == nil && i >= 0 && i < blocks {
				perBlock[i] += size
			}
		case t.name == "output_norm.weight" || t.name == "output_norm.bias":
			output += size
		case t.name == "output.weight" || t.name == "output.bias":
			output += size
			tied = false
		case t.name == "token_embd.weight":
			embd = size
		}
	}
	if tied {
		output += embd
	}
	return perBlock, output, tied
}

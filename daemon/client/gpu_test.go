package client

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference"
)

// TestWriteGPU: `nash status` and `nash version` show the GPU devices with their memory, or
// why there are none, and where the serving model's layers went.
func TestWriteGPU(t *testing.T) {
	dev := api.GPUDevice{Index: 0, Name: "Vulkan0", Description: "llvmpipe (LLVM 15.0.6, 256 bits)", Type: "gpu", Backend: "Vulkan",
		FreeBytes: 3 << 29, TotalBytes: 64 << 30}
	for _, tt := range []struct {
		name string
		st   api.GPUStatus
		want []string
	}{
		{"device", api.GPUStatus{BackendsDir: "/opt/lib/nashd", Devices: []api.GPUDevice{dev}},
			[]string{"gpu:     backends in /opt/lib/nashd\n", "  gpu 0: Vulkan0  llvmpipe (LLVM 15.0.6, 256 bits)  (Vulkan, gpu)  free 1.5 GiB of 64 GiB\n"}},
		{"no directory", api.GPUStatus{Devices: []api.GPUDevice{}}, []string{"gpu:     none (no GPU backend directory; make gpu builds one)\n"}},
		{"load error", api.GPUStatus{BackendsDir: "/x", Error: "llama: GPU backend built from another ggml tree: ..."},
			[]string{"gpu:     none: llama: GPU backend built from another ggml tree: ...\n"}},
		{"no device", api.GPUStatus{BackendsDir: "/x", Devices: []api.GPUDevice{}}, []string{"gpu:     backends in /x found no GPU device (Vulkan lists Mesa's software device only with GGML_VK_VISIBLE_DEVICES=0)\n"}},
	} {
		var b bytes.Buffer
		WriteGPU(&b, &tt.st)
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: WriteGPU lacks %q:\n%s", tt.name, w, b.String())
			}
		}
	}

	st := &api.StatusResponse{Version: "v1", GPU: &api.GPUStatus{BackendsDir: "/opt/lib/nashd", Devices: []api.GPUDevice{dev}},
		Model: api.ModelStatus{State: "ready", Serving: &api.ServingModel{Name: "tiny", Info: inference.ModelInfo{GPULayers: 3},
			GPU: &api.ModelGPU{Configured: "auto", Layers: 3, Device: "Vulkan0 (llvmpipe)", DeviceBytes: 5 << 20, Limit: 2 << 30, Note: "auto: 3 of 3 layers"}}}}
	var b bytes.Buffer
	if err := WriteStatus(&b, st, "/s.sock"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"offload: gpu_layers auto: 3 layers on Vulkan0 (llvmpipe), about 5 MiB (llama.cpp offloaded 3), gpu_memory_limit 2.0 GiB; auto: 3 of 3 layers\n",
		"  gpu 0: Vulkan0  llvmpipe"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("status lacks %q:\n%s", w, b.String())
		}
	}
	st.Model.Serving.GPU = &api.ModelGPU{Configured: "99", Fallback: true, Note: "loading 99 layers on the GPU failed (oom): running on the CPU"}
	b.Reset()
	WriteStatus(&b, st, "/s.sock")
	if w := "offload: gpu_layers 99: CPU only; CPU FALLBACK; loading 99 layers on the GPU failed (oom): running on the CPU\n"; !strings.Contains(b.String(), w) {
		t.Errorf("status lacks %q:\n%s", w, b.String())
	}
	for _, tt := range []struct {
		b    uint64
		want string
	}{{0, "0 B"}, {2048, "2 KiB"}, {5 << 20, "5 MiB"}, {3 << 29, "1.5 GiB"}, {64 << 30, "64 GiB"}} {
		if got := Bytes(tt.b); got != tt.want {
			t.Errorf("Bytes(%d) = %q, want %q", tt.b, got, tt.want)
		}
	}
}

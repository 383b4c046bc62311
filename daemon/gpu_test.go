package daemon_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/inference/gputest"
	"github.com/nashd/nashd/internal/isolated"
	"github.com/nashd/nashd/models"
)

// withGPU gives the daemon modelload's GPU side with the backend directory dir.
func withGPU(dir string) func(*daemon.RunOptions) {
	return func(o *daemon.RunOptions) {
		o.GPU = modelload.NewGPU()
		o.GPUBackends = dir
	}
}

// TestGPUWithoutBackend: the GPU plumbing without a usable backend. A backend directory
// named explicitly that does not exist stops the daemon; one without libraries is an error
// in /v1/status, and a model that asks for GPU layers is served on the CPU, its status
// saying why. Without GPU support the status has no gpu section.
func TestGPUWithoutBackend(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nashd.toml"), testNashd)
	writeFile(t, filepath.Join(dir, "models.toml"), modelsTOML(tinyA))
	missing := filepath.Join(dir, "no-such-dir")
	o := daemon.RunOptions{ConfigDir: dir, Socket: filepath.Join(shortTemp(t), "s.sock"), LogOutput: io.Discard,
		Load: modelload.Load, Estimate: modelload.Estimate}
	withGPU(missing)(&o)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := daemon.Run(ctx, o); err == nil || !strings.Contains(err.Error(), "GPU backend directory "+missing) {
		t.Errorf("daemon.Run with a missing --gpu-backends: %v", err)
	}

	empty := t.TempDir()
	h := startDaemon(t, map[string]string{"models.toml": modelsTOML(tinyA) + "gpu_layers = 99\n"}, withGPU(empty))
	st := h.status()
	if st.GPU == nil || st.GPU.BackendsDir != empty || !strings.Contains(st.GPU.Error, "no GPU backend loaded") || st.GPU.Devices == nil || len(st.GPU.Devices) != 0 {
		t.Errorf("status gpu: %+v", st.GPU)
	}
	g := st.Model.Serving.GPU
	if g == nil || g.Configured != "99" || g.Layers != 0 || !strings.Contains(g.Note, "no GPU device") || st.Model.Serving.Info.GPULayers != 0 {
		t.Errorf("serving model's gpu: %+v (llama.cpp: %d layers)", g, st.Model.Serving.Info.GPULayers)
	}
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Errorf("chat on the CPU fallback: %d %s", code, b)
	}
	if !contains(h.logs.String(), "GPU backends not loaded: models run on the CPU") {
		t.Errorf("no error logged for the directory without libraries:\n%s", h.logs.String())
	}

	plain := startDaemon(t, map[string]string{})
	if st := plain.status(); st.GPU != nil || st.Model.Serving.GPU != nil {
		t.Errorf("status without GPU support: gpu %+v, model gpu %+v", st.GPU, st.Model.Serving.GPU)
	}
}

// gpuSwapModels is a models.toml with the tiny models on the CPU (cpu), fully offloaded (gpu),
// fitted by auto to a limit of one block's offload (auto), and too big for its limit (toobig).
func gpuSwapModels(def string, oneBlock uint64) string {
	return fmt.Sprintf(`default = %q
[models.cpu]
path = %q
[models.gpu]
path = %q
gpu_layers = 99
[models.auto]
path = %q
gpu_layers = "auto"
gpu_memory_limit = %d
[models.toobig]
path = %q
gpu_layers = 99
gpu_memory_limit = "1KiB"
`, def, tinyA, tinyB, tinyA, oneBlock, tinyB)
}

// TestGPUSwapUnderLoad swaps the default model between a CPU model and a fully offloaded one
// (cpu → gpu → cpu → auto) while clients send chat requests: no request may fail, and each
// model is placed as configured (llama.cpp reports the same layer counts). "auto" under a
// gpu_memory_limit of one block's offload takes one block; a model whose layers exceed its
// limit is refused and the serving model stays. It needs the backend of `make gpu` and runs
// in a child process (a loaded backend stays for the process's life).
func TestGPUSwapUnderLoad(t *testing.T) {
	if !isolated.Run(t) {
		return
	}
	devs := gputest.Load(t)
	dir, err := gputest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	info, err := models.ReadInfo(tinyA)
	if err != nil {
		t.Fatal(err)
	}
	// testNashd: context_size 256, slots 2.
	oneBlock := models.EstimateOffload(info, 256, 2, 1).DeviceBytes
	h := startDaemon(t, map[string]string{"models.toml": gpuSwapModels("cpu", oneBlock)}, withGPU(dir))
	st := h.status()
	if st.GPU == nil || st.GPU.Error != "" || len(st.GPU.Devices) != len(devs) {
		t.Fatalf("status gpu: %+v; want %d devices", st.GPU, len(devs))
	}
	for _, d := range st.GPU.Devices {
		if d.Name == "" || d.TotalBytes == 0 || d.FreeBytes > d.TotalBytes {
			t.Errorf("device in the status: %+v", d)
		}
	}

	load := startChatLoad(h, 4, math.MaxInt)
	served := func(what string, from int64) { load.servedSince(t, what, from, 60*time.Second) }
	modelsFile := filepath.Join(h.dir, "models.toml")
	served("cpu model before the swaps", 0)
	for i, sw := range []struct {
		name   string
		layers int // placed and offloaded: the tiny model has 2 blocks, 3 is everything
	}{{"gpu", 3}, {"cpu", 0}, {"auto", 1}} {
		t0 := time.Now()
		writeFile(t, modelsFile, gpuSwapModels(sw.name, oneBlock))
		h.waitFor("swap to "+sw.name, 120*time.Second, func(s api.StatusResponse) bool {
			return s.Model.Serving != nil && s.Model.Serving.Name == sw.name && s.Model.Swaps == uint64(i+1)
		})
		st := h.status()
		sv := st.Model.Serving
		t.Logf("swap to %s in %v: gpu %+v, llama.cpp offloaded %d layers on %v", sw.name, time.Since(t0).Round(time.Millisecond), sv.GPU, sv.Info.GPULayers, sv.Info.GPUDevices)
		if sv.Info.GPULayers != sw.layers {
			t.Errorf("%s: llama.cpp offloaded %d layers, want %d", sw.name, sv.Info.GPULayers, sw.layers)
		}
		if sw.name != "cpu" {
			if sv.GPU == nil || sv.GPU.Layers != sw.layers || sv.GPU.Fallback || sv.GPU.Device == "" {
				t.Errorf("%s: placement %+v, want %d layers on a device", sw.name, sv.GPU, sw.layers)
			}
			if sw.name == "auto" && (sv.GPU == nil || sv.GPU.DeviceBytes > oneBlock || sv.GPU.Limit != oneBlock) {
				t.Errorf("auto: placement %+v over its gpu_memory_limit %d", sv.GPU, oneBlock)
			}
		} else if sv.GPU != nil {
			t.Errorf("cpu: placement %+v, want none", sv.GPU)
		}
		served("after the swap to "+sw.name, load.ok.Load())
	}
	// Too big for its limit: refused, auto keeps serving.
	writeFile(t, modelsFile, gpuSwapModels("toobig", oneBlock))
	h.waitFor("toobig refused", 60*time.Second, func(s api.StatusResponse) bool { return s.Model.ErrorModel == "toobig" })
	st = h.status()
	if sv := st.Model.Serving; sv == nil || sv.Name != "auto" || !strings.Contains(st.Model.Error, "needs about") || !strings.Contains(st.Model.Error, "gpu_memory_limit 1KiB") {
		t.Errorf("after the refused model: serving %+v, error %q", sv, st.Model.Error)
	}
	served("after the refused model", load.ok.Load())
	byModel := load.finish(t)
	for _, m := range []string{"cpu", "gpu", "auto"} {
		if byModel[m] == 0 {
			t.Errorf("requests by answering model %v: none by %s", byModel, m)
		}
	}
	t.Logf("%d requests (by model %v), 0 failed; GGML_VK_VISIBLE_DEVICES=%q", load.ok.Load(), byModel, os.Getenv("GGML_VK_VISIBLE_DEVICES"))
}

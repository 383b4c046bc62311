package modelload

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference/gputest"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/internal/isolated"
	"github.com/nashd/nashd/models"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestPlaceLayers places the tiny model (2 blocks: n_gpu_layers 3 is everything) on fake
// devices; the byte figures come from models.EstimateOffload, whose own tests check them by
// hand.
func TestPlaceLayers(t *testing.T) {
	info, err := models.ReadInfo(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	const nCtx, slots = 256, 2
	need := func(n int) uint64 { return models.EstimateOffload(info, nCtx, slots, n).DeviceBytes }
	const big = 64 << 30 // free memory: headroom 256 MiB
	budgetBig := uint64(big - 256<<20)
	dev := func(i int, free uint64) llama.Device {
		return llama.Device{Index: i, Name: "Vulkan" + string(rune('0'+i)), Description: "test", Type: "gpu", Backend: "Vulkan", FreeBytes: free, TotalBytes: free}
	}
	one := []llama.Device{dev(0, big)}
	tests := []struct {
		name   string
		layers config.GPULayers
		main   int
		limit  config.ByteSize
		devs   []llama.Device
		want   int    // placed layers
		bytes  uint64 // placed device bytes
		note   string // in the note ("" = no note)
		err    string // in the error ("" = none)
	}{
		{"CPU model", 0, 0, 0, one, 0, 0, "", ""},
		{"no device: CPU", 99, 0, 0, nil, 0, 0, "no GPU device", ""},
		{"auto, no device: CPU", config.GPULayersAuto, 0, 0, nil, 0, 0, "no GPU device", ""},
		{"all layers", 99, 0, 0, one, 3, need(3), "", ""},
		{"some layers", 1, 0, 0, one, 1, need(1), "", ""},
		{"auto: all fit", config.GPULayersAuto, 0, 0, one, 3, need(3), "auto: 3 of 3 layers", ""},
		{"auto: limit fits one block", config.GPULayersAuto, 0, config.ByteSize(need(1)), one, 1, need(1), "auto: 1 of 3 layers", ""},
		// Both blocks cost as much as everything (a partial offload reserves the output
		// projection's copy): one byte less than everything fits one block.
		{"auto: limit just short of everything", config.GPULayersAuto, 0, config.ByteSize(need(3) - 1), one, 1, need(1), "auto: 1 of 3 layers", ""},
		{"auto: limit fits none", config.GPULayersAuto, 0, config.ByteSize(need(1) - 1), one, 0, 0, "auto: not one layer fits", ""},
		{"auto: free memory fits one block", config.GPULayersAuto, 0, 0, []llama.Device{dev(0, need(1)+need(1)/9)}, 1, need(1), "auto: 1 of 3", ""},
		{"count over the limit", 99, 0, config.ByteSize(need(3) - 1), one, 0, 0, "", "gpu_layers = 99 (3 layers) needs about"},
		{"count over free memory", 2, 0, 0, []llama.Device{dev(0, need(2))}, 0, 0, "", "on Vulkan0 (test), but only"},
		{"main_gpu picks the device", 99, 1, 0, []llama.Device{dev(0, 1<<20), dev(1, big)}, 3, need(3), "", ""},
		{"main_gpu names no device", 99, 2, 0, []llama.Device{dev(0, big), dev(1, big)}, 0, 0, "", "main_gpu = 2: no such GPU device (devices: [0: Vulkan0 1: Vulkan1])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := config.Spec{Name: "tiny", ContextSize: nCtx, Slots: slots, GPULayers: tt.layers, MainGPU: tt.main, GPUMemoryLimit: tt.limit}
			p, err := PlaceLayers(spec, info, tt.devs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("PlaceLayers = %+v, %v; want an error containing %q", p, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.GPULayers != tt.want || p.DeviceBytes != tt.bytes || (tt.note == "") != (p.Note == "") || !strings.Contains(p.Note, tt.note) {
				t.Errorf("PlaceLayers = %+v; want %d layers, %d bytes, note with %q", p, tt.want, tt.bytes, tt.note)
			}
			if p.GPULayers > 0 {
				budget := budgetBig
				for _, d := range tt.devs {
					if d.Index == tt.main {
						budget = d.FreeBytes - DeviceHeadroom(d.FreeBytes)
					}
				}
				if tt.limit > 0 {
					budget = min(budget, uint64(tt.limit))
				}
				if p.DeviceBytes > budget || p.Device == "" || p.Limit != uint64(tt.limit) {
					t.Errorf("placement %+v: over the budget %d, or no device", p, budget)
				}
			}
		})
	}
	// The refusal is typed, with the figures.
	_, err = PlaceLayers(config.Spec{ContextSize: nCtx, Slots: slots, GPULayers: 99, GPUMemoryLimit: 1 << 10}, info, one)
	var dme *DeviceMemoryError
	if !errors.As(err, &dme) || dme.Need != need(3) || dme.Limit != 1<<10 || dme.Budget != 1<<10 || dme.Free != big {
		t.Errorf("refusal: %#v", err)
	}
}

// TestGPULoadWithoutBackend: the plumbing with no usable backend. A missing explicit
// directory is an error; a missing default one is no GPU; a directory without libraries or
// with a stamp for another tree is an error in the status, and the process runs on the CPU.
func TestGPULoadWithoutBackend(t *testing.T) {
	dir := t.TempDir()
	g := NewGPU()
	if err := g.Load(filepath.Join(dir, "missing"), quietLog); !errors.Is(err, ErrBackendsDir) {
		t.Errorf("missing explicit dir: %v", err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	if err := g.Load(file, quietLog); !errors.Is(err, ErrBackendsDir) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a file as the dir: %v", err)
	}
	// The test binary's default directory (<tmp>/../lib/nashd) does not exist: no GPU.
	if _, err := os.Stat(DefaultBackendsDir()); err == nil {
		t.Skipf("%s exists: cannot test its absence", DefaultBackendsDir())
	}
	if err := g.Load("", quietLog); err != nil {
		t.Errorf("absent default dir: %v", err)
	}
	if st := g.Status(); st.BackendsDir != "" || st.Error != "" || st.Devices == nil || len(st.Devices) != 0 {
		t.Errorf("status without a backend: %+v", st)
	}
	if llama.BackendsDir() != "" {
		t.Skip("a backend is loaded in this process: the failing loads below cannot be tested")
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if err := g.Load(empty, quietLog); err != nil {
		t.Errorf("dir without libraries: %v (want a logged error, the CPU)", err)
	}
	if st := g.Status(); st.BackendsDir != empty || !strings.Contains(st.Error, "no GPU backend loaded") || len(st.Devices) != 0 {
		t.Errorf("status after a dir without libraries: %+v", st)
	}
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, llama.StampFile), []byte(`{"tree": "github.com/ollama/ollama@v0.0.1"}`), 0o644)
	os.WriteFile(filepath.Join(other, "libggml-vulkan.so"), []byte("not a library"), 0o644)
	g2 := NewGPU()
	if err := g2.Load(other, quietLog); err != nil {
		t.Errorf("dir for another tree: %v", err)
	}
	if st := g2.Status(); !strings.Contains(st.Error, "another ggml tree") || !strings.Contains(st.Error, "v0.0.1") || len(st.Devices) != 0 {
		t.Errorf("status after a dir for another tree: %+v", st)
	}
	if p, err := g2.Place(config.Spec{Path: tinyModel(t), GPULayers: 99}); err != nil || p.GPULayers != 0 || !strings.Contains(p.Note, "no GPU device") {
		t.Errorf("placement without a backend: %+v, %v", p, err)
	}
}

// TestGPUBackend loads the backend of `make gpu` (in a child process: it stays loaded): the
// status lists its devices, and the tiny model loads with the layers placement chose, for a
// fixed count and for "auto" under a gpu_memory_limit of one block's offload, with or
// without a placer in front of Load.
func TestGPUBackend(t *testing.T) {
	if !isolated.Run(t) {
		return
	}
	devs := gputest.Load(t)
	dir, err := gputest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	slog.SetDefault(quietLog) // the engine's and llama.cpp's logs, in this child process only
	g := NewGPU()
	if err := g.Load(dir, quietLog); err != nil {
		t.Fatal(err)
	}
	st := g.Status()
	if st.Error != "" || st.BackendsDir == "" || len(st.Devices) != len(devs) || st.Devices[0].Name != devs[0].Name || st.Devices[0].TotalBytes == 0 {
		t.Fatalf("status %+v; devices %+v", st, devs)
	}
	t.Logf("devices: %+v", st.Devices)
	path := tinyModel(t)
	info, err := models.ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	oneBlock := models.EstimateOffload(info, 256, 2, 1).DeviceBytes
	for _, tt := range []struct {
		name   string
		layers config.GPULayers
		limit  config.ByteSize
		want   int
	}{
		{"all", 99, 0, 3},
		{"one block", 1, 0, 1},
		{"auto under a limit", config.GPULayersAuto, config.ByteSize(oneBlock), 1},
		{"CPU", 0, 0, 0},
	} {
		spec := config.Spec{Name: "tiny", Path: path, ContextSize: 256, Slots: 2, Threads: 1, GPULayers: tt.layers, GPUMemoryLimit: tt.limit}
		p, err := g.Place(spec)
		if err != nil || p.GPULayers != tt.want {
			t.Errorf("%s: Place = %+v, %v; want %d layers", tt.name, p, err, tt.want)
			continue
		}
		placed := spec
		placed.GPULayers = config.GPULayers(p.GPULayers)
		for _, s := range []config.Spec{placed, spec} { // placed, and as configured (Load places "auto")
			gen, err := Load(s, nil)
			if err != nil {
				t.Errorf("%s: Load(gpu_layers %v): %v", tt.name, s.GPULayers, err)
				continue
			}
			if got := gen.Info().GPULayers; got != tt.want {
				t.Errorf("%s: Load(gpu_layers %v) offloaded %d layers, want %d", tt.name, s.GPULayers, got, tt.want)
			}
			gen.Close()
		}
		host, err := Estimate(placed)
		if cpu, _ := Estimate(config.Spec{Path: path, ContextSize: 256, Slots: 2}); err != nil || (tt.want > 0) != (host < cpu) {
			t.Errorf("%s: host estimate %d with %d layers, %d on the CPU (%v)", tt.name, host, tt.want, cpu, err)
		}
	}
}

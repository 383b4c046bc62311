package modelload

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

// DefaultBackendsDir returns where `make gpu` puts the GPU backend libraries relative to the
// running executable: <its directory>/../lib/nashd (bin/nashd → lib/nashd), symlinks
// resolved; "" when the executable's path is unknown.
func DefaultBackendsDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Join(filepath.Dir(exe), "..", "lib", "nashd")
}

// ErrBackendsDir is returned (wrapped) by [GPU.Load] for a backend directory that was named
// explicitly (--gpu-backends, gpu_backends) and does not exist or is not a directory.
var ErrBackendsDir = errors.New("GPU backend directory")

// GPU is the GPU side of a process: the backend libraries it loaded ([GPU.Load], once), the
// devices they found, and the placement of models' layers on them ([GPU.Place]). Its
// methods are safe for concurrent use. The zero value has no backend: every model runs on
// the CPU.
type GPU struct {
	mu      sync.Mutex
	dir     string // the directory loaded or tried; "" when none
	err     error  // why no backend is loaded (nil when one is, or none was tried)
	devices func() []llama.Device
}

// NewGPU returns a GPU with no backend loaded yet.
func NewGPU() *GPU { return &GPU{} }

// Load loads the GPU backend libraries in dir ([llama.LoadBackends]) and logs the devices
// found. An empty dir means [DefaultBackendsDir], used only if it exists (no GPU otherwise,
// and no error). A dir given explicitly that does not exist is an error wrapping
// [ErrBackendsDir]: the caller stops. Every other failure (a library for another ggml tree,
// one that does not load, no library in the directory) is logged as an error and recorded
// for [GPU.Status], and the process goes on without a GPU: models run on the CPU.
func (g *GPU) Load(dir string, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	explicit := dir != ""
	if !explicit {
		dir = DefaultBackendsDir()
	}
	st, err := os.Stat(dir)
	switch {
	case dir == "":
		log.Debug("no GPU backend directory (the executable's path is unknown); CPU only")
		return nil
	case !explicit && errors.Is(err, fs.ErrNotExist):
		log.Debug("no GPU backend directory (make gpu builds one); CPU only", "dir", dir)
		return nil
	case err != nil:
		return fmt.Errorf("%w %s: %w", ErrBackendsDir, dir, err)
	case !st.IsDir():
		return fmt.Errorf("%w %s: not a directory", ErrBackendsDir, dir)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = filepath.Clean(abs)
	}
	devs, err := llama.LoadBackends(dir)
	g.mu.Lock()
	g.dir, g.err = dir, err
	if err == nil {
		g.devices = llama.Devices
	}
	g.mu.Unlock()
	if err != nil {
		log.Error("GPU backends not loaded: models run on the CPU", "dir", dir, "err", err)
		return nil
	}
	if len(devs) == 0 {
		log.Warn("GPU backends loaded but found no GPU device: models run on the CPU", "dir", dir)
	}
	for _, d := range devs {
		log.Info("GPU device", "index", d.Index, "name", d.Name, "description", d.Description, "type", d.Type,
			"backend", d.Backend, "free_mib", d.FreeBytes>>20, "total_mib", d.TotalBytes>>20, "dir", dir)
	}
	return nil
}

// Devices lists the GPU devices with their current memory (none without a backend).
func (g *GPU) Devices() []llama.Device {
	g.mu.Lock()
	list := g.devices
	g.mu.Unlock()
	if list == nil {
		return nil
	}
	return list()
}

// Status is the GPU part of GET /v1/status: the backend directory, why no backend loaded,
// and the devices with their current memory.
func (g *GPU) Status() api.GPUStatus {
	g.mu.Lock()
	st := api.GPUStatus{BackendsDir: g.dir}
	if g.err != nil {
		st.Error = g.err.Error()
	}
	g.mu.Unlock()
	st.Devices = APIDevices(g.Devices())
	return st
}

// APIDevices converts devices to their wire form (never nil).
func APIDevices(devs []llama.Device) []api.GPUDevice {
	out := make([]api.GPUDevice, 0, len(devs))
	for _, d := range devs {
		out = append(out, api.GPUDevice{Index: d.Index, Name: d.Name, Description: d.Description, Type: d.Type,
			Backend: d.Backend, FreeBytes: d.FreeBytes, TotalBytes: d.TotalBytes})
	}
	return out
}

// Place is a [modelmgr.Placer]: it reads the model file's metadata and places spec's layers
// on its main_gpu device ([PlaceLayers]).
func (g *GPU) Place(spec config.Spec) (modelmgr.Placement, error) {
	info, err := models.ReadInfo(spec.Path)
	if err != nil {
		return modelmgr.Placement{}, err
	}
	return PlaceLayers(spec, info, g.Devices())
}

// DeviceHeadroom is the device memory that placement leaves free beyond its estimate (the
// driver's own buffers, estimation error): at most 256 MiB, and a tenth of a smaller free
// memory.
func DeviceHeadroom(free uint64) uint64 { return min(256<<20, free/10) }

// DeviceMemoryError refuses a model whose offloaded layers need more device memory than the
// device has free (less [DeviceHeadroom]) or than gpu_memory_limit allows.
type DeviceMemoryError struct {
	Layers      config.GPULayers // as configured
	Device      string
	Need, Free  uint64 // estimated need; the device's free memory
	Limit       uint64 // gpu_memory_limit (0: none)
	Budget      uint64 // what the model may use: free less headroom, at most Limit
	LayersOnGPU int    // the count that was estimated (clamped to the model's layers + 1)
}

func (e *DeviceMemoryError) Error() string {
	limit := ""
	if e.Limit > 0 {
		limit = fmt.Sprintf(", gpu_memory_limit %s", config.ByteSize(e.Limit))
	}
	return fmt.Sprintf("gpu_layers = %s (%d layers) needs about %s on %s, but only %s may be used (%s free%s): lower gpu_layers or set it to \"auto\"",
		e.Layers, e.LayersOnGPU, mibs(e.Need), e.Device, mibs(e.Budget), mibs(e.Free), limit)
}

// mibs formats b in MiB with one decimal ("2.4 MiB").
func mibs(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// PlaceLayers places spec's GPU layers on the main_gpu device among devs, for the model
// described by info with spec's context and slots. The budget is the device's free memory
// less [DeviceHeadroom], at most spec.GPUMemoryLimit:
//   - "auto" offloads as many layers as fit the budget ([models.FitGPULayers]), none when
//     not one fits;
//   - a count whose estimate ([models.EstimateOffload]) exceeds the budget is refused with a
//     [*DeviceMemoryError];
//   - with no GPU device, the model runs on the CPU (a note says so);
//   - a main_gpu that names no device is an error.
func PlaceLayers(spec config.Spec, info *models.Info, devs []llama.Device) (modelmgr.Placement, error) {
	limit := uint64(spec.GPUMemoryLimit)
	if spec.GPULayers == 0 {
		return modelmgr.Placement{Limit: limit}, nil
	}
	if len(devs) == 0 {
		return modelmgr.Placement{Limit: limit, Note: "no GPU device (no GPU backend loaded, or it found none): running on the CPU"}, nil
	}
	var dev *llama.Device
	for i := range devs {
		if devs[i].Index == spec.MainGPU {
			dev = &devs[i]
		}
	}
	if dev == nil {
		names := make([]string, len(devs))
		for i, d := range devs {
			names[i] = fmt.Sprintf("%d: %s", d.Index, d.Name)
		}
		return modelmgr.Placement{}, fmt.Errorf("main_gpu = %d: no such GPU device (devices: %v)", spec.MainGPU, names)
	}
	nCtx, slots := contextOf(spec, info), max(spec.Slots, 1)
	budget := dev.FreeBytes - DeviceHeadroom(dev.FreeBytes)
	if limit > 0 {
		budget = min(budget, limit)
	}
	name := dev.Name
	if dev.Description != "" {
		name += " (" + dev.Description + ")"
	}
	p := modelmgr.Placement{Device: name, DeviceFree: dev.FreeBytes, Limit: limit}
	if spec.GPULayers == config.GPULayersAuto {
		o := models.FitGPULayers(info, nCtx, slots, budget)
		if o.GPULayers == 0 {
			p.Device = ""
			p.Note = fmt.Sprintf("auto: not one layer fits in %s on %s: running on the CPU", mibs(budget), name)
			return p, nil
		}
		p.GPULayers, p.DeviceBytes = o.GPULayers, o.DeviceBytes
		p.Note = fmt.Sprintf("auto: %d of %d layers on the GPU (%s of %s)", o.GPULayers, info.Blocks+1, mibs(o.DeviceBytes), mibs(budget))
		return p, nil
	}
	o := models.EstimateOffload(info, nCtx, slots, int(spec.GPULayers))
	if o.DeviceBytes > budget {
		return modelmgr.Placement{}, &DeviceMemoryError{Layers: spec.GPULayers, Device: name, Need: o.DeviceBytes,
			Free: dev.FreeBytes, Limit: limit, Budget: budget, LayersOnGPU: o.GPULayers}
	}
	p.GPULayers, p.DeviceBytes = o.GPULayers, o.DeviceBytes
	return p, nil
}

// contextOf is the per-slot context the engine gives spec's model: spec.ContextSize, or
// min(trained context, 4096) for 0 (as engine.Options documents).
func contextOf(spec config.Spec, info *models.Info) int {
	if spec.ContextSize > 0 {
		return spec.ContextSize
	}
	if info.ContextLength > 0 {
		return min(info.ContextLength, models.DefaultEstimateContext)
	}
	return models.DefaultEstimateContext
}

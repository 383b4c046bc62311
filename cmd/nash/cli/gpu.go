package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/models"
)

// gpuBackendsFlag adds --gpu-backends to fs; empty means modelload.DefaultBackendsDir when it
// exists.
func gpuBackendsFlag(fs *flag.FlagSet) *string {
	return fs.String("gpu-backends", "", "GPU backend library `DIR` (default: <nash's dir>/../lib/nashd if it exists: where make gpu puts them)")
}

// gpuLayersFlag is --gpu-layers: a layer count or "auto".
type gpuLayersFlag struct{ v config.GPULayers }

func (g *gpuLayersFlag) String() string { return g.v.String() }

func (g *gpuLayersFlag) Set(s string) error {
	v, err := config.ParseGPULayers(s)
	if err != nil {
		return err
	}
	g.v = v
	return nil
}

// gpuFlagNames are the names of the flags [addGPUFlags] registers.
var gpuFlagNames = []string{"gpu-layers", "main-gpu", "gpu-backends"}

// gpuFlags are the GPU offload flags of a command that loads a model file in this process
// (--gpu-layers, --main-gpu, --gpu-backends), and the process's GPU backends, loaded at the
// first model that asks for GPU layers.
type gpuFlags struct {
	fs       *flag.FlagSet
	layers   gpuLayersFlag
	mainGPU  *int
	backends *string

	gpu *modelload.GPU // nil until a model asks for GPU layers
}

// addGPUFlags registers the GPU offload flags on fs.
func addGPUFlags(fs *flag.FlagSet) *gpuFlags {
	g := &gpuFlags{fs: fs}
	fs.Var(&g.layers, "gpu-layers", "layers to offload to a GPU, `N|auto`: a count (99: all), \"auto\" (as many as fit the device's free memory) or 0 (CPU only)")
	g.mainGPU = fs.Int("main-gpu", 0, "the GPU device `N` that holds the offloaded layers (an index nash version lists)")
	g.backends = gpuBackendsFlag(fs)
	return g
}

// check validates the flags before anything loads.
func (g *gpuFlags) check() error {
	if *g.mainGPU < 0 {
		return fmt.Errorf("%w: --main-gpu %d is negative", ErrUsage, *g.mainGPU)
	}
	return nil
}

// given lists the GPU flags set on the command line ("--gpu-layers", ...), for a command
// that rejects them where no model loads in this process.
func (g *gpuFlags) given() []string {
	var out []string
	g.fs.Visit(func(f *flag.Flag) {
		for _, n := range gpuFlagNames {
			if f.Name == n {
				out = append(out, "--"+n)
			}
		}
	})
	return out
}

// place sets spec's gpu_layers and main_gpu from the flags and places its layers
// ([gpuFlags.placeSpec]).
func (g *gpuFlags) place(spec config.Spec, log *slog.Logger) (config.Spec, error) {
	spec.GPULayers, spec.MainGPU = g.layers.v, *g.mainGPU
	return g.placeSpec(spec, log)
}

// placeSpec places the layers of the model at spec.Path as spec's own GPU settings ask, as
// nashd would ([modelload.PlaceLayers]): the spec returned has a layer count ("auto" fits the
// device's free memory, with none when no GPU device is found); a count that does not fit the
// device is an error. The first model that asks for GPU layers loads the backends (from
// --gpu-backends, or the default directory); one that asks for none loads no backend. The
// placement's note, if any, is logged as a warning.
func (g *gpuFlags) placeSpec(spec config.Spec, log *slog.Logger) (config.Spec, error) {
	if spec.GPULayers == 0 {
		return spec, nil
	}
	if g.gpu == nil {
		gpu := modelload.NewGPU()
		if err := gpu.Load(*g.backends, log); err != nil {
			return spec, err
		}
		g.gpu = gpu
	}
	info, err := models.ReadInfo(spec.Path)
	if err != nil {
		return spec, err
	}
	p, err := modelload.PlaceLayers(spec, info, g.gpu.Devices())
	if err != nil {
		return spec, fmt.Errorf("%s: %w", spec.Path, err)
	}
	if p.Note != "" {
		log.Warn("GPU placement", "model", spec.Path, "gpu_layers", spec.GPULayers.String(), "placed", p.GPULayers, "note", p.Note)
	}
	spec.GPULayers = config.GPULayers(p.GPULayers)
	return spec, nil
}

// gpuLogger logs the GPU backends' and placement's warnings and errors on w, for a command
// whose engine log is quieter.
func gpuLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// printGPU writes where a loaded model's layers went ("gpu: 3 layers on [Vulkan0]"), when
// any went to a GPU device; name, if not empty, says which model.
func printGPU(w io.Writer, name string, info inference.ModelInfo) {
	if info.GPULayers == 0 {
		return
	}
	if name != "" {
		name += " "
	}
	fmt.Fprintf(w, "%sgpu: %d layers on %v\n", name, info.GPULayers, info.GPUDevices)
}

package cli

import (
	"flag"
	"fmt"
	"log/slog"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelload"
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

// placeLocal loads the GPU backends (from dir, or the default directory) and places the
// layers of the model at path as nashd would ([modelload.PlaceLayers]): "auto" becomes a
// count, a count that does not fit the device is an error. A model that asks for no GPU
// layers loads no backend. The placement's note, if any, is logged as a warning.
func placeLocal(spec config.Spec, dir string, log *slog.Logger) (int, error) {
	if spec.GPULayers == 0 {
		return 0, nil
	}
	g := modelload.NewGPU()
	if err := g.Load(dir, log); err != nil {
		return 0, err
	}
	info, err := models.ReadInfo(spec.Path)
	if err != nil {
		return 0, err
	}
	p, err := modelload.PlaceLayers(spec, info, g.Devices())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", spec.Path, err)
	}
	if p.Note != "" {
		log.Warn("GPU placement", "gpu_layers", spec.GPULayers.String(), "placed", p.GPULayers, "note", p.Note)
	}
	return p.GPULayers, nil
}

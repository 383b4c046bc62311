// Package modelload turns a model spec from nashd's configuration ([config.Spec]) into a
// loaded [inference.Generator] backed by the llama.cpp engine. It is the one place that maps
// a spec to engine options, estimates a model's memory from its GGUF metadata, describes a
// model file that is not loaded, and provides the built-in test model: cmd/nashd, the
// daemon's tests and the daemon benchmarks all load models through it.
//
// The functions have the shapes [github.com/nashd/nashd/daemon.RunOptions] expects:
//
//	daemon.RunOptions{Load: modelload.Load, Estimate: modelload.Estimate,
//		Fallback: modelload.FallbackModel, Inspect: modelload.Inspect}
package modelload

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

// EngineOptions maps spec's engine settings to [engine.Options]: every field of the spec but
// Name, Path and Fallback, which are the model manager's, and GPUMemoryLimit, which is
// placement's ([PlaceLayers]). Zero values keep the engine's defaults; gpu_layers "auto"
// becomes 0 here ([Load] places it first).
func EngineOptions(spec config.Spec) engine.Options {
	return engine.Options{
		MainGPU:      spec.MainGPU,
		ContextSize:  spec.ContextSize,
		BatchSize:    spec.BatchSize,
		Threads:      spec.Threads,
		BatchThreads: spec.BatchThreads,
		Poll:         spec.Poll,
		GPULayers:    max(int(spec.GPULayers), 0),
		Slots:        spec.Slots,
		ChatTemplate: spec.ChatTemplate,
	}
}

// Load opens the model file spec.Path with the llama.cpp engine and spec's settings
// ([EngineOptions]); progress, if not nil, receives the load progress in [0, 1]. It is a
// [github.com/nashd/nashd/daemon/modelmgr.Loader]. A gpu_layers of "auto" (a spec no
// placer has resolved) is placed on the process's GPU devices ([PlaceLayers] with
// [llama.Devices]).
func Load(spec config.Spec, progress func(float32)) (inference.Generator, error) {
	if spec.IsRemote() {
		return LoadRemote(spec, progress)
	}
	if spec.GPULayers == config.GPULayersAuto {
		info, err := models.ReadInfo(spec.Path)
		if err != nil {
			return nil, err
		}
		p, err := PlaceLayers(spec, info, llama.Devices())
		if err != nil {
			return nil, err
		}
		spec.GPULayers = config.GPULayers(p.GPULayers)
	}
	opts := EngineOptions(spec)
	opts.Progress = progress
	e, err := engine.Open(spec.Path, opts)
	if err != nil {
		return nil, err // engine.Open's error names the file
	}
	return e, nil
}

// Estimate returns the host memory in bytes that loading spec will take, estimated from the
// model file's GGUF metadata for spec's context size (0: the engine's default, the trained
// context up to 4096) and slots ([models.EstimateMemory]), less what spec's GPU layers move
// to the device ([models.EstimateOffload]; "auto" counts as none). It is a
// [github.com/nashd/nashd/daemon/modelmgr.Estimator].
func Estimate(spec config.Spec) (uint64, error) {
	if spec.IsRemote() {
		return 0, nil // the server holds the model
	}
	info, err := models.ReadInfo(spec.Path)
	if err != nil {
		return 0, err
	}
	return models.EstimateOffload(info, contextOf(spec, info), spec.Slots, int(spec.GPULayers)).HostBytes, nil
}

// Inspect describes the model file at path without loading it: its GGUF metadata, a
// *[models.Info] (GET /v1/models shows it for configured models that are not loaded).
func Inspect(path string) (any, error) { return models.ReadInfo(path) }

// FallbackFile is the built-in test model's file name under the user cache directory's
// nashd folder.
const FallbackFile = "nashd-random-tiny.gguf"

// fallbackMu serializes generation of the test model within the process; between processes
// the atomic rename of [models.Generate] keeps the file whole.
var fallbackMu sync.Mutex

// FallbackModel returns the path of the built-in test model, a tiny model with random
// weights ([models.ShapeSpec] "tiny"), served in place of a missing model file whose config
// sets fallback_test_model. It is generated once, at nashd/[FallbackFile] under the user
// cache directory ($XDG_CACHE_HOME or ~/.cache; the temporary directory if neither is
// known), and generated again if that file is not a valid model. The file appears
// atomically, so a concurrent reader never sees a partial model.
func FallbackModel() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	p := filepath.Join(dir, "nashd", FallbackFile)
	fallbackMu.Lock()
	defer fallbackMu.Unlock()
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		return "", fmt.Errorf("built-in test model: %w", err)
	}
	// A file left by an older nashd whose tiny shape differed (a shorter context) is
	// regenerated too.
	if models.Validate(p) == nil {
		if info, err := models.ReadInfo(p); err == nil && info.ContextLength == spec.ContextLength {
			return p, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("built-in test model: %w", err)
	}
	if err := models.Generate(p, spec); err != nil {
		return "", fmt.Errorf("built-in test model: %w", err)
	}
	return p, nil
}

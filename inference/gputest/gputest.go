// Package gputest finds and loads the GPU backend that `make gpu` builds, for the tests and
// benchmarks that run models on a GPU device. The tests of this package compare the Vulkan (or
// CUDA) device with the CPU: logits step by step, greedy tokens on a large-margin model, partial
// offload, multi-slot batches, and a CPU model's unchanged behaviour with a backend loaded.
//
// Tests that need the backend skip, saying so loudly, only when no backend library was built
// (no libggml-*.so in the directory); a library that is there but does not load, or finds no
// device, fails them.
//
// On a machine without a GPU the device is Mesa's software Vulkan driver (lavapipe,
// "llvmpipe"): apt-get install mesa-vulkan-drivers. ggml-vulkan ignores CPU-type Vulkan
// devices unless GGML_VK_VISIBLE_DEVICES lists them, so [Load] sets GGML_VK_VISIBLE_DEVICES=0
// where it is unset.
package gputest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/llama"
)

// EnvDir names the environment variable that overrides the backend directory.
const EnvDir = "NASHD_GPU_BACKENDS"

// Dir returns the backend directory: $NASHD_GPU_BACKENDS, or lib/nashd under the repository
// root (the directory holding go.mod, found by walking up from the working directory), where
// `make gpu` installs the libraries.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "lib", "nashd"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("gputest: no go.mod above %s (set %s)", wd, EnvDir)
		}
	}
}

// Libraries returns the GPU backend libraries in dir (libggml-*.so other than ggml-base and
// ggml-cpu).
func Libraries(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var libs []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "libggml-") && strings.HasSuffix(n, ".so") &&
			!strings.HasPrefix(n, "libggml-base") && !strings.HasPrefix(n, "libggml-cpu") {
			libs = append(libs, n)
		}
	}
	return libs
}

// ErrNotBuilt: the backend directory holds no GPU backend library.
var ErrNotBuilt = errors.New("GPU backend not built")

// LoadBackend loads the backend in [Dir] once per process (see [llama.LoadBackends]) and
// returns its devices. It fails with [ErrNotBuilt] when there is no library to load, and
// with an error when the library does not load or finds no device.
func LoadBackend() ([]llama.Device, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	if len(Libraries(dir)) == 0 {
		return nil, fmt.Errorf("%w: no libggml-*.so in %s; run make gpu (Vulkan: apt-get install cmake glslc libvulkan-dev mesa-vulkan-drivers) or set %s", ErrNotBuilt, dir, EnvDir)
	}
	if os.Getenv("GGML_VK_VISIBLE_DEVICES") == "" {
		// The software device is CPU-type: ggml-vulkan lists it only when asked to.
		os.Setenv("GGML_VK_VISIBLE_DEVICES", "0")
	}
	devs, err := llama.LoadBackends(dir)
	if err != nil {
		return nil, err
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("gputest: the backend in %s found no device (Vulkan: is mesa-vulkan-drivers installed? GGML_VK_VISIBLE_DEVICES=%q)", dir, os.Getenv("GGML_VK_VISIBLE_DEVICES"))
	}
	return devs, nil
}

// Load is [LoadBackend] for tests: it skips tb loudly when the backend was not built and fails
// it when the backend does not load.
func Load(tb testing.TB) []llama.Device {
	tb.Helper()
	devs, err := LoadBackend()
	if errors.Is(err, ErrNotBuilt) {
		tb.Skipf("SKIPPED (GPU test): %v", err)
	}
	if err != nil {
		tb.Fatalf("GPU backend: %v", err)
	}
	return devs
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference/gputest"
	"github.com/nashd/nashd/internal/isolated"
)

// TestGPUFlagsWithoutBackend: nash version says why there is no GPU device; a missing
// --gpu-backends is an error; generate runs a model that asks for GPU layers on the CPU
// when no backend loads, and rejects a bad --gpu-layers.
func TestGPUFlagsWithoutBackend(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	model := tinyModelFile(t, dir)
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version, no default dir", []string{"version"}, 0, "gpu:     none (no GPU backend directory; make gpu builds one)\n         (looked in ", ""},
		{"version, missing dir", []string{"version", "--gpu-backends", missing}, 1, "", "GPU backend directory " + missing},
		{"version, dir without libraries", []string{"version", "--gpu-backends", empty}, 0, "gpu:     none: llama: no GPU backend loaded", ""},
		{"generate, bad --gpu-layers", []string{"generate", "-m", model, "-p", "x", "--gpu-layers", "most"}, 2, "", `"most" is not a layer count`},
		{"generate, missing dir", []string{"generate", "-m", model, "-p", "x", "--gpu-layers", "99", "--gpu-backends", missing}, 1, "", "GPU backend directory " + missing},
		{"generate, no backend: CPU", []string{"generate", "-m", model, "-p", "x", "-n", "4", "--threads", "1", "--ctx", "256", "--gpu-layers", "auto", "--gpu-backends", empty},
			0, "", "no GPU device (no GPU backend loaded, or it found none): running on the CPU"},
		{"generate, negative --main-gpu", []string{"generate", "-m", model, "-p", "x", "--main-gpu", "-1"}, 2, "", "--main-gpu -1 is negative"},
	} {
		code, out, errs := runNash(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
			t.Errorf("%s: exit %d, want %d\nstdout (want %q):\n%s\nstderr (want %q):\n%s", tt.name, code, tt.code, tt.stdout, out, tt.stderr, errs)
		}
	}
}

// TestGPUCommands runs nash version and nash generate with the backend of `make gpu` (in a
// child process: it stays loaded): the devices are listed with their memory, and generate
// offloads the layers --gpu-layers asks for.
func TestGPUCommands(t *testing.T) {
	if !isolated.Run(t) {
		return
	}
	devs := gputest.Load(t)
	backends, err := gputest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runNash(t, "version", "--gpu-backends", backends)
	if code != 0 || !strings.Contains(out, "gpu:     backends in ") || !strings.Contains(out, "  gpu 0: "+devs[0].Name+"  "+devs[0].Description) || !strings.Contains(out, " free ") {
		t.Errorf("nash version: exit %d\n%s%s", code, out, errs)
	}
	model := tinyModelFile(t, t.TempDir())
	for _, tt := range []struct {
		layers, stderr string
		code           int
	}{
		{"99", "gpu: 3 layers on [" + devs[0].Name + "]", 0},
		{"auto", "gpu: 3 layers on [" + devs[0].Name + "]", 0},
		{"1", "gpu: 1 layers on [" + devs[0].Name + "]", 0},
	} {
		code, out, errs := runNash(t, "generate", "-m", model, "-p", "Cooperate?", "-n", "8", "--threads", "1", "--ctx", "256", "--gpu-layers", tt.layers, "--gpu-backends", backends)
		if code != tt.code || !strings.Contains(errs, tt.stderr) || !strings.Contains(errs, "generation: ") {
			t.Errorf("generate --gpu-layers %s: exit %d, want %d and %q on stderr\n%s%s", tt.layers, code, tt.code, tt.stderr, out, errs)
		}
	}
	code, _, errs = runNash(t, "generate", "-m", model, "-p", "x", "--gpu-layers", "99", "--main-gpu", "9", "--gpu-backends", backends)
	if code != 1 || !strings.Contains(errs, "main_gpu = 9: no such GPU device") {
		t.Errorf("generate --main-gpu 9: exit %d\n%s", code, errs)
	}
}

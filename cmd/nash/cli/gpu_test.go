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
// --gpu-backends is an error; generate, play and experiment run a model that asks for GPU
// layers on the CPU when no backend loads, load no backend for --gpu-layers 0, reject a bad
// --gpu-layers or --main-gpu, and play and experiment reject the GPU flags without --model;
// an experiment's judge is placed as its models.toml entry asks.
func TestGPUFlagsWithoutBackend(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	model := tinyModelFile(t, dir)
	games := "../../../configs/games"
	play := []string{"play", "stag_hunt", "--model", model, "--games", games, "--threads", "1", "--ctx", "4096", "--message-chars", "8", "--reason-chars", "8"}
	exp := func() []string {
		return []string{"experiment", "games", "--games", "stag_hunt", "--modes", "verified", "--runs", "1", "--rounds", "0",
			"--games-dir", games, "--out", t.TempDir(), "--message-chars", "8", "--reason-chars", "8"}
	}
	expModel := func() []string { return append(exp(), "--model", model, "--threads", "1", "--ctx", "4096") }
	with := func(a []string, b ...string) []string { return append(append([]string{}, a...), b...) }
	// The judge's models.toml entry asks for GPU layers: its placement loads --gpu-backends.
	judgeFile := filepath.Join(dir, "judge.gguf")
	tinyModelFile(t, empty) // a second file, so the judge is not the model under test
	if err := os.Rename(filepath.Join(empty, "tiny.gguf"), judgeFile); err != nil {
		t.Fatal(err)
	}
	modelsFile := filepath.Join(dir, "models.toml")
	if err := os.WriteFile(modelsFile, []byte("default = \"judge\"\n[models.judge]\npath = \"judge.gguf\"\ngpu_layers = 99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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
		{"generate, --gpu-layers 0 loads no backend", []string{"generate", "-m", model, "-p", "x", "-n", "2", "--threads", "1", "--ctx", "256", "--gpu-layers", "0", "--gpu-backends", missing},
			0, "", "generation: "},

		{"play, bad --gpu-layers", with(play, "--gpu-layers", "most"), 2, "", `invalid value "most" for flag -gpu-layers: "most" is not a layer count`},
		{"play, GPU flags without --model", []string{"play", "stag_hunt", "--gpu-layers", "99", "--main-gpu", "0", "--gpu-backends", empty}, 2, "",
			"--gpu-backends, --gpu-layers, --main-gpu: only with --model FILE"},
		{"play, negative --main-gpu", with(play, "--gpu-layers", "1", "--main-gpu", "-2"), 2, "", "--main-gpu -2 is negative"},
		{"play, missing dir", with(play, "--gpu-layers", "99", "--gpu-backends", missing), 1, "", "GPU backend directory " + missing},
		{"play, no backend: CPU", with(play, "--gpu-layers", "auto", "--gpu-backends", empty), 0, "verdict: ",
			"no GPU device (no GPU backend loaded, or it found none): running on the CPU"},
		{"play, --gpu-layers 0 loads no backend", with(play, "--gpu-layers", "0", "--gpu-backends", missing), 0, "verdict: ", ""},

		{"experiment, bad --gpu-layers", with(expModel(), "--gpu-layers", "-3"), 2, "", `invalid value "-3" for flag -gpu-layers: `},
		{"experiment, GPU flags without --model", with(exp(), "--gpu-backends", empty), 2, "", "--gpu-backends: only with --model FILE"},
		{"experiment, negative --main-gpu", with(expModel(), "--main-gpu", "-1"), 2, "", "--main-gpu -1 is negative"},
		{"experiment, missing dir", with(expModel(), "--gpu-layers", "auto", "--gpu-backends", missing), 1, "", "GPU backend directory " + missing},
		{"experiment, no backend: CPU", with(expModel(), "--gpu-layers", "99", "--gpu-backends", empty), 0, "| stag_hunt | simultaneous |",
			"no GPU device (no GPU backend loaded, or it found none): running on the CPU"},
		{"experiment, --gpu-layers 0 loads no backend", with(expModel(), "--gpu-layers", "0", "--gpu-backends", missing), 0, "| stag_hunt | simultaneous |", ""},
		{"experiment, judge's gpu_layers", []string{"experiment", "gtalign", "--prompts", "../../../reasoning/experiment/testdata/prompts_small.jsonl",
			"--out", t.TempDir(), "--model", model, "--threads", "1", "--ctx", "4096", "--judge", "judge", "--models", modelsFile, "--gpu-backends", missing},
			1, "", "judge judge: GPU backend directory " + missing},
	} {
		code, out, errs := runNash(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
			t.Errorf("%s: exit %d, want %d\nstdout (want %q):\n%s\nstderr (want %q):\n%s", tt.name, code, tt.code, tt.stdout, out, tt.stderr, errs)
		}
	}
}

// TestGPUCommands runs nash version, generate, play and experiment with the backend of
// `make gpu` (in a child process: it stays loaded): the devices are listed with their memory,
// and the commands offload the layers --gpu-layers asks for.
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

	// play places each of its models in turn, an experiment its model for its slots. The
	// context is too small for the games' prompts: the commands stop at the first turn, after
	// loading (generate above runs the model on the device; lavapipe is slow).
	bob := filepath.Join(t.TempDir(), "bob.gguf")
	if b, err := os.ReadFile(model); err != nil || os.WriteFile(bob, b, 0o644) != nil {
		t.Fatal("copy the model for Bob")
	}
	on := " layers on [" + devs[0].Name + "]"
	code, out, errs = runNash(t, "play", "stag_hunt", "--model", model, "--bob-model", bob, "--games", "../../../configs/games", "--threads", "1", "--ctx", "256",
		"--gpu-layers", "auto", "--gpu-backends", backends)
	if code != 1 || !strings.Contains(errs, "alice: gpu: 3"+on) || !strings.Contains(errs, "bob: gpu: 3"+on) || !strings.Contains(errs, "prompt longer than the context") {
		t.Errorf("play --gpu-layers auto: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runNash(t, "experiment", "games", "--games", "stag_hunt", "--modes", "raw", "--runs", "1", "--rounds", "0",
		"--games-dir", "../../../configs/games", "--out", t.TempDir(), "--model", model, "--threads", "1", "--ctx", "256", "--gpu-layers", "2", "--gpu-backends", backends)
	if code != 1 || !strings.Contains(errs, "nash experiment: gpu: 2"+on) || !strings.Contains(errs, "prompt longer than the context") {
		t.Errorf("experiment --gpu-layers 2: exit %d\n%s%s", code, out, errs)
	}
}

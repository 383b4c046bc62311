package llama

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTreeVersionMatchesGoMod: the tree a backend's stamp must name is the ollama module
// version go.mod pins (the tree cgo compiles into the binary).
func TestTreeVersionMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/ollama/ollama (v\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod does not require github.com/ollama/ollama")
	}
	if want := "github.com/ollama/ollama@" + string(m[1]); TreeVersion != want {
		t.Errorf("TreeVersion = %q, go.mod pins %q", TreeVersion, want)
	}
}

// backendDir writes a directory holding a stamp (if non-empty) and a file named like the
// Vulkan backend with the given content.
func backendDir(t *testing.T, stampJSON, lib string) string {
	t.Helper()
	d := t.TempDir()
	if stampJSON != "" {
		if err := os.WriteFile(filepath.Join(d, StampFile), []byte(stampJSON), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if lib != "" {
		if err := os.WriteFile(filepath.Join(d, "libggml-vulkan.so"), []byte(lib), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestLoadBackendsRefuses: directories LoadBackends must refuse before loading anything, and
// libraries that do not load. None of them changes the process's state.
func TestLoadBackendsRefuses(t *testing.T) {
	before := BackendsDir()
	good := `{"tree": "` + TreeVersion + `", "backend": "vulkan"}`
	for _, tc := range []struct {
		name     string
		dir      string
		want     error
		wantText string
	}{
		{"other tree", backendDir(t, `{"tree": "github.com/ollama/ollama@v0.0.1"}`, "x"), ErrBackendVersion, "v0.0.1"},
		{"stamp without tree", backendDir(t, `{"backend": "vulkan"}`, "x"), ErrBackendVersion, "no tree"},
		{"bad stamp", backendDir(t, `{"tree": `, "x"), nil, StampFile},
		{"missing dir", filepath.Join(t.TempDir(), "none"), nil, "no such file"},
		{"no library", backendDir(t, good, ""), ErrNoBackend, "make gpu"},
		// Loading a file that is not a library fails in dlopen: ggml's reason is in the error.
		{"not a library", backendDir(t, good, "not an ELF file"), ErrNoBackend, "libggml-vulkan.so"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			devs, err := LoadBackends(tc.dir)
			if before != "" && errors.Is(err, ErrBackendsLoaded) && (tc.want == ErrNoBackend) {
				t.Skipf("a backend is loaded already (%s): %v", before, err)
			}
			if err == nil {
				t.Fatalf("LoadBackends(%s) = %v, nil; want an error", tc.dir, devs)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v does not wrap %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q does not mention %q", err, tc.wantText)
			}
			if got := BackendsDir(); got != before {
				t.Errorf("BackendsDir() = %q after a refused load, was %q", got, before)
			}
		})
	}
	if _, err := LoadBackends(""); err == nil {
		t.Error(`LoadBackends("") succeeded`)
	}
}

func TestDeviceType(t *testing.T) {
	for _, tc := range []struct {
		t    int
		want string
	}{{0, "cpu"}, {1, "gpu"}, {2, "igpu"}, {3, "accel"}, {9, "type 9"}} {
		if got := deviceType(tc.t); got != tc.want {
			t.Errorf("deviceType(%d) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// TestGPULayersWithoutDevice: with no GPU device registered, offloading is ignored (the model
// runs on the CPU) and the model says so; a negative count is refused.
func TestGPULayersWithoutDevice(t *testing.T) {
	if len(Devices()) > 0 {
		t.Skip("a GPU device is registered in this process")
	}
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	writeTinyModel(t, path, defaultTinySpec())
	for _, mp := range []ModelParams{{GPULayers: 99}, {GPULayers: 99, MainGPU: 3}, {GPULayers: 1, MainGPU: -1}} {
		m, err := LoadModel(path, mp)
		if err != nil {
			t.Fatalf("LoadModel(%+v): %v", mp, err)
		}
		if m.GPULayers() != 0 || len(m.GPUDevices()) != 0 {
			t.Errorf("%+v: GPULayers %d devices %v without a GPU device", mp, m.GPULayers(), m.GPUDevices())
		}
		m.Close()
	}
	if _, err := LoadModel(path, ModelParams{GPULayers: -1}); err == nil {
		t.Error("GPULayers -1 accepted")
	}
}

// TestSetVulkanEnv: LP_NUM_THREADS=0 only where the software device can be selected
// (GGML_VK_VISIBLE_DEVICES set); nothing the user set is overridden.
func TestSetVulkanEnv(t *testing.T) {
	for _, tc := range []struct {
		name              string
		env               map[string]string // "" = unset
		wantLP, wantCache string            // "*" = any non-empty value
	}{
		{"no visible devices", map[string]string{"GGML_VK_VISIBLE_DEVICES": ""}, "", "*"},
		{"software device", map[string]string{"GGML_VK_VISIBLE_DEVICES": "0"}, "0", "*"},
		{"user's choice kept", map[string]string{"GGML_VK_VISIBLE_DEVICES": "0", "LP_NUM_THREADS": "4", "MESA_SHADER_CACHE_DIR": "/x"}, "4", "/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			for _, k := range []string{"GGML_VK_VISIBLE_DEVICES", "LP_NUM_THREADS", "MESA_SHADER_CACHE_DIR"} {
				t.Setenv(k, tc.env[k]) // restored after the test
				if tc.env[k] == "" {
					os.Unsetenv(k)
				}
			}
			SetVulkanEnv()
			if got := os.Getenv("LP_NUM_THREADS"); got != tc.wantLP {
				t.Errorf("LP_NUM_THREADS = %q, want %q", got, tc.wantLP)
			}
			got := os.Getenv("MESA_SHADER_CACHE_DIR")
			if tc.wantCache == "*" {
				if !strings.HasPrefix(got, os.Getenv("XDG_CACHE_HOME")) {
					t.Errorf("MESA_SHADER_CACHE_DIR = %q, want under XDG_CACHE_HOME", got)
				}
			} else if got != tc.wantCache {
				t.Errorf("MESA_SHADER_CACHE_DIR = %q, want %q", got, tc.wantCache)
			}
		})
	}
}

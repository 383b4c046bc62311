package llama

/*
// The GPU backend libraries leave ggml's symbols undefined and bind, when loaded, to the ggml
// compiled into the executable, which must therefore export them: one ggml (one device
// registry, one log callback) per process.
#cgo linux LDFLAGS: -Wl,--export-dynamic
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"
)

// Errors of [LoadBackends] callers branch on.
var (
	// ErrNoBackend: the directory holds no GPU backend library, or none of them loaded.
	ErrNoBackend = errors.New("llama: no GPU backend loaded")
	// ErrBackendVersion: the directory's stamp names another ggml tree than this binary's
	// ([TreeVersion]); nothing was loaded.
	ErrBackendVersion = errors.New("llama: GPU backend built from another ggml tree")
	// ErrBackendsLoaded: backends were already loaded from another directory (once per
	// process: ggml cannot unload them).
	ErrBackendsLoaded = errors.New("llama: GPU backends already loaded from another directory")
)

// StampFile is the file `make gpu` writes beside the libraries it builds: JSON whose "tree"
// field names the ggml tree they were built from.
const StampFile = "nashd-gpu.json"

// gpuBackendNames are the ggml GPU backends LoadBackends looks for, as libggml-NAME.so. The
// CPU backend is compiled into nashd: a libggml-cpu*.so (or blas, rpc) in the directory is
// never loaded, since a second copy of ggml's CPU code would bind to the executable's.
var gpuBackendNames = []string{"cuda", "hip", "vulkan", "sycl", "opencl", "musa", "cann"}

// Device is a GPU device of a loaded backend.
type Device struct {
	// Index is the device's position among the GPU devices ([Devices]): the value
	// [ModelParams].MainGPU takes to choose it.
	Index       int
	Name        string // ggml's name, e.g. "Vulkan0"
	Description string // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
	Type        string // "gpu", "igpu" or "accel" (CPU devices are not listed)
	Backend     string // the backend's registry name: "Vulkan", "CUDA"
	// FreeBytes and TotalBytes are the device's memory, as its driver reports it when
	// [Devices] is called.
	FreeBytes, TotalBytes uint64
}

// registry guards ggml's device registry: LoadBackends writes it while nothing else may
// enumerate devices; model loads and Devices read it.
var registry sync.RWMutex

// backends is the process's one backend directory; guarded by registry.
var backends struct {
	dir  string   // absolute directory the libraries were loaded from ("" before)
	libs []string // the library files loaded
}

// LoadBackends loads the ggml GPU backend libraries in dir (libggml-vulkan.so,
// libggml-cuda.so, ...) and returns the GPU devices found, which stay registered for the life
// of the process. Call it before loading the models that should use them; nothing loads a
// backend implicitly. Models load on the CPU unless [ModelParams].GPULayers asks for
// offloading, so a CPU model behaves the same with a backend loaded.
//
// It fails with an error wrapping [ErrBackendVersion] if dir holds a [StampFile] naming another
// ggml tree than [TreeVersion] (nothing is loaded then), and with [ErrNoBackend] if dir holds
// no GPU backend library or none loaded (ggml's reason, such as a missing libvulkan.so.1, is
// in the error); a later call may try again. A library that loads but finds no device is no
// error: the list is empty. Once a library has loaded, a second call with the same directory
// returns [Devices] and one with another directory fails with [ErrBackendsLoaded].
//
// Before loading, it sets environment variables the Vulkan drivers read, where unset: see
// [SetVulkanEnv].
func LoadBackends(dir string) ([]Device, error) {
	if dir == "" {
		return nil, fmt.Errorf("llama: load GPU backends: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("llama: load GPU backends from %s: %w", dir, err)
	}
	Init()
	registry.Lock()
	defer registry.Unlock()
	if backends.dir == abs {
		return devicesLocked(), nil
	}
	if err := checkStamp(abs); err != nil {
		return nil, err
	}
	if backends.dir != "" {
		return nil, fmt.Errorf("%w: %s (asked for %s)", ErrBackendsLoaded, backends.dir, abs)
	}
	libs, err := loadBackendsLocked(abs)
	if err != nil {
		return nil, err
	}
	backends.dir, backends.libs = abs, libs
	return devicesLocked(), nil
}

// loadBackendsLocked loads dir's GPU backend libraries; registry is held for writing.
func loadBackendsLocked(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("llama: load GPU backends: %w", err)
	}
	var libs []string
	for _, name := range gpuBackendNames {
		file := "libggml-" + name + ".so"
		for _, e := range entries {
			if e.Name() == file && !e.IsDir() {
				libs = append(libs, filepath.Join(dir, file))
			}
		}
	}
	if len(libs) == 0 {
		return nil, fmt.Errorf("%w: no libggml-{%s}.so in %s (build one with make gpu)", ErrNoBackend, strings.Join(gpuBackendNames, ","), dir)
	}
	SetVulkanEnv()
	var loaded []string
	var errs []error
	for _, lib := range libs {
		clib := C.CString(lib)
		var cerr *C.char
		mark := logMark()
		n := C.nash_backend_load(clib, &cerr)
		C.free(unsafe.Pointer(clib))
		if n < 0 {
			errs = append(errs, cError("load GPU backend "+lib, cerr, nil, mark))
			continue
		}
		loaded = append(loaded, lib)
		currentLogger().Debug("llama: GPU backend loaded", "library", lib, "devices", int(n))
	}
	if len(loaded) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoBackend, errors.Join(errs...))
	}
	for _, e := range errs {
		currentLogger().Warn("llama: GPU backend not loaded", "err", e)
	}
	return loaded, nil
}

// stamp is the part of [StampFile] LoadBackends reads.
type stamp struct {
	Tree string `json:"tree"`
}

// checkStamp refuses dir when its stamp names another tree than TreeVersion. A directory
// without a stamp (libraries built by hand) is accepted: ggml checks its backend API version
// when it loads a library.
func checkStamp(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, StampFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(dir); serr != nil {
			return fmt.Errorf("llama: load GPU backends: %w", serr)
		}
		return nil
	case err != nil:
		return fmt.Errorf("llama: load GPU backends: %w", err)
	}
	var st stamp
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("llama: load GPU backends: %s: %w", filepath.Join(dir, StampFile), err)
	}
	if st.Tree == "" || st.Tree != TreeVersion {
		tree := st.Tree
		if tree == "" {
			tree = "no tree"
		}
		return fmt.Errorf("%w: %s names %s, this binary is built from %s (rebuild with make gpu)",
			ErrBackendVersion, filepath.Join(dir, StampFile), tree, treeOrUnknown())
	}
	return nil
}

func treeOrUnknown() string {
	if TreeVersion == "" {
		return "a system libllama"
	}
	return TreeVersion
}

// BackendsDir returns the directory [LoadBackends] loaded libraries from ("" if none).
func BackendsDir() string {
	registry.RLock()
	defer registry.RUnlock()
	return backends.dir
}

// Devices lists the registered GPU devices with their current free and total memory (none
// before [LoadBackends]).
func Devices() []Device {
	Init()
	registry.RLock()
	defer registry.RUnlock()
	return devicesLocked()
}

// devicesLocked lists the devices; registry is held.
func devicesLocked() []Device {
	n := int(C.nash_gpu_device_count())
	out := make([]Device, 0, n)
	for i := range n {
		var d C.nash_device
		var cerr *C.char
		if C.nash_gpu_device_get(C.int32_t(i), &d, &cerr) != 0 {
			currentLogger().Warn("llama: GPU device", "index", i, "err", cError("device", cerr, nil, logMark()))
			continue
		}
		out = append(out, Device{
			Index:       i,
			Name:        C.GoString(&d.name[0]),
			Description: C.GoString(&d.description[0]),
			Type:        deviceType(int(d._type)),
			Backend:     C.GoString(&d.backend[0]),
			FreeBytes:   uint64(d.free_bytes),
			TotalBytes:  uint64(d.total_bytes),
		})
	}
	return out
}

// deviceType names a ggml_backend_dev_type.
func deviceType(t int) string {
	switch t {
	case C.GGML_BACKEND_DEVICE_TYPE_GPU:
		return "gpu"
	case C.GGML_BACKEND_DEVICE_TYPE_IGPU:
		return "igpu"
	case C.GGML_BACKEND_DEVICE_TYPE_ACCEL:
		return "accel"
	case C.GGML_BACKEND_DEVICE_TYPE_CPU:
		return "cpu"
	}
	return fmt.Sprintf("type %d", t)
}

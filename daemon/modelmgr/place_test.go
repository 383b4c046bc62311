package modelmgr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
)

// gpuLoader loads fakes and records the GPU layer count of every load; a load with more
// than failAbove layers fails as a device would (failAbove < 0: never).
type gpuLoader struct {
	mu        sync.Mutex
	layers    []config.GPULayers
	failAbove config.GPULayers
	failCPU   bool
}

func (l *gpuLoader) load(spec config.Spec, progress func(float32)) (inference.Generator, error) {
	l.mu.Lock()
	l.layers = append(l.layers, spec.GPULayers)
	l.mu.Unlock()
	if l.failAbove >= 0 && spec.GPULayers > l.failAbove {
		return nil, errors.New("ggml_vulkan: device memory allocation failed")
	}
	if l.failCPU && spec.GPULayers == 0 {
		return nil, errors.New("bad tensor data")
	}
	return &fake{path: spec.Path, release: make(chan struct{})}, nil
}

func (l *gpuLoader) seen() []config.GPULayers {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]config.GPULayers(nil), l.layers...)
}

func gpuSpec(t *testing.T, name string, layers config.GPULayers) *config.Spec {
	return &config.Spec{Name: name, Path: existing(t, name+".gguf"), Slots: 1, GPULayers: layers}
}

// TestPlacement: the placer resolves "auto" before the memory check and the load, its
// figures reach the status, and a spec without GPU layers is never placed.
func TestPlacement(t *testing.T) {
	l := &gpuLoader{failAbove: -1}
	var placed []config.Spec
	var estimated []config.GPULayers
	var mu sync.Mutex
	m := New(Options{Load: l.load, Logger: quiet,
		Place: func(s config.Spec) (Placement, error) {
			mu.Lock()
			placed = append(placed, s)
			mu.Unlock()
			return Placement{GPULayers: 7, Device: "Vulkan0 (test)", DeviceBytes: 300 << 20, DeviceFree: 1 << 30, Limit: 512 << 20, Note: "auto: 7 of 25 layers fit"}, nil
		},
		// Offloaded layers leave the host: 8 GiB on the CPU, 512 MiB with layers on the GPU.
		Estimate: func(s config.Spec) (uint64, error) {
			mu.Lock()
			estimated = append(estimated, s.GPULayers)
			mu.Unlock()
			if s.GPULayers > 0 {
				return 512 << 20, nil
			}
			return 8 << 30, nil
		},
		MemAvailable: func() (uint64, error) { return 1 << 30, nil }})
	defer m.Close(context.Background())
	sp := gpuSpec(t, "auto", config.GPULayersAuto)
	m.Set(sp)
	st := waitState(t, m, func(s Status) bool { return s.State != "loading" })
	if st.State != "ready" {
		t.Fatalf("auto model: %+v", st)
	}
	p := st.Serving.Placement
	if p == nil || p.GPULayers != 7 || p.Device != "Vulkan0 (test)" || p.DeviceBytes != 300<<20 || p.Note == "" || p.Fallback {
		t.Errorf("placement in the status: %+v", p)
	}
	if got := l.seen(); len(got) != 1 || got[0] != 7 {
		t.Errorf("loads with layers %v, want [7]", got)
	}
	mu.Lock()
	if len(placed) != 1 || placed[0].GPULayers != config.GPULayersAuto || len(estimated) != 1 || estimated[0] != 7 {
		t.Errorf("placed %+v, estimated with %v: want the configured spec placed and the placed count estimated", placed, estimated)
	}
	mu.Unlock()
	if st.Serving.Spec.GPULayers != config.GPULayersAuto {
		t.Errorf("the status's spec is the configured one: gpu_layers %v", st.Serving.Spec.GPULayers)
	}

	// A CPU model is not placed and has no placement; its 8 GiB do not fit in 1 GiB.
	m.Set(gpuSpec(t, "cpu", 0))
	st = waitState(t, m, func(s Status) bool { return s.Error != "" })
	if !strings.Contains(st.Error, "needs about 8192 MiB") || st.Serving == nil || st.Serving.Name != "auto" {
		t.Errorf("CPU model bigger than memory: %+v", st)
	}
	mu.Lock()
	if len(placed) != 1 {
		t.Errorf("a spec without GPU layers was placed: %+v", placed)
	}
	mu.Unlock()
}

// TestPlacementRefused: a placer's error (the layers do not fit the device) refuses the load
// and the serving model stays.
func TestPlacementRefused(t *testing.T) {
	l := &gpuLoader{failAbove: -1}
	m := New(Options{Load: l.load, Logger: quiet, MemAvailable: func() (uint64, error) { return 1 << 40, nil },
		Place: func(s config.Spec) (Placement, error) {
			return Placement{}, fmt.Errorf("%d GPU layers need about 900 MiB on Vulkan0, 100 MiB free", s.GPULayers)
		}})
	defer m.Close(context.Background())
	m.Set(gpuSpec(t, "cpu", 0))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	m.Set(gpuSpec(t, "big", 99))
	st := waitState(t, m, func(s Status) bool { return s.Error != "" })
	if st.Serving == nil || st.Serving.Name != "cpu" || st.ErrorModel != "big" || !strings.Contains(st.Error, "model big: 99 GPU layers need about 900 MiB") {
		t.Errorf("refused placement: %+v", st)
	}
	if got := l.seen(); len(got) != 1 {
		t.Errorf("loads %v: the refused model was loaded", got)
	}
}

// TestGPULoadFallsBackToCPU: a load with GPU layers that fails is retried on the CPU, and the
// status says so; when the CPU load fails too, the error carries both causes.
func TestGPULoadFallsBackToCPU(t *testing.T) {
	l := &gpuLoader{failAbove: 0}
	m := New(Options{Load: l.load, Logger: quiet, MemAvailable: func() (uint64, error) { return 1 << 40, nil },
		Place: func(s config.Spec) (Placement, error) {
			return Placement{GPULayers: int(s.GPULayers), Device: "Vulkan0", Limit: 1 << 30}, nil
		}})
	defer m.Close(context.Background())
	m.Set(gpuSpec(t, "g", 99))
	st := waitState(t, m, func(s Status) bool { return s.State != "loading" })
	if st.State != "ready" || st.Error != "" {
		t.Fatalf("after a failed GPU load: %+v", st)
	}
	p := st.Serving.Placement
	if p == nil || !p.Fallback || p.GPULayers != 0 || p.Device != "" || p.Limit != 1<<30 ||
		!strings.Contains(p.Note, "loading 99 layers on the GPU failed (ggml_vulkan: device memory allocation failed): running on the CPU") {
		t.Errorf("fallback placement: %+v", p)
	}
	if got := l.seen(); len(got) != 2 || got[0] != 99 || got[1] != 0 {
		t.Errorf("loads with layers %v, want [99 0]", got)
	}

	l2 := &gpuLoader{failAbove: 0, failCPU: true}
	m2 := New(Options{Load: l2.load, Logger: quiet, MemAvailable: func() (uint64, error) { return 1 << 40, nil }})
	defer m2.Close(context.Background())
	m2.Set(gpuSpec(t, "g", 5)) // no placer: loaded as configured, retried all the same
	st = waitState(t, m2, func(s Status) bool { return s.State == "failed" })
	if !strings.Contains(st.Error, "GPU load failed (ggml_vulkan: device memory allocation failed); CPU fallback failed too: bad tensor data") {
		t.Errorf("both loads failed: %q", st.Error)
	}
}

// devFake is a generator that reports its GPU layers and fails every request with a device
// error while it has some; the prompts "grammar" and "callback" fail as the request's and
// the client's fault instead.
type devFake struct{ layers int }

func (f *devFake) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	switch {
	case req.Prompt == "grammar":
		return inference.Result{}, fmt.Errorf("engine: %w: unbalanced (", inference.ErrInvalidGrammar)
	case req.Prompt == "callback":
		if err := onToken(inference.Token{Text: "x"}); err != nil {
			return inference.Result{}, err
		}
	case f.layers > 0:
		return inference.Result{}, errors.New("engine: decode: ggml_vulkan: vk::Queue::submit: ErrorDeviceLost")
	}
	return inference.Result{Text: "ok", StopReason: inference.StopEOG}, nil
}
func (f *devFake) ChatPrompt(m []inference.Message) (string, error) { return m[0].Content, nil }
func (f *devFake) Tokenize(string, bool) ([]int32, error)           { return nil, nil }
func (f *devFake) Info() inference.ModelInfo                        { return inference.ModelInfo{GPULayers: f.layers} }
func (f *devFake) Close() error                                     { return nil }

// TestDeviceFailureReloadsOnCPU: a request that fails on the model's GPU device is answered
// with its error, and the model is reloaded on the CPU, the status saying why; requests
// that fail by their own or the client's fault change nothing.
func TestDeviceFailureReloadsOnCPU(t *testing.T) {
	var mu sync.Mutex
	var loads []config.GPULayers
	load := func(s config.Spec, _ func(float32)) (inference.Generator, error) {
		mu.Lock()
		loads = append(loads, s.GPULayers)
		mu.Unlock()
		return &devFake{layers: int(s.GPULayers)}, nil
	}
	seen := func() []config.GPULayers {
		mu.Lock()
		defer mu.Unlock()
		return append([]config.GPULayers(nil), loads...)
	}
	m := New(Options{Load: load, Logger: quiet, MemAvailable: func() (uint64, error) { return 1 << 40, nil },
		Place: func(s config.Spec) (Placement, error) { return Placement{GPULayers: 3, Device: "Vulkan0"}, nil }})
	defer m.Close(context.Background())
	m.Set(gpuSpec(t, "g", 99))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	gen := func(prompt string, cb func(inference.Token) error) error {
		lease, err := m.Acquire("")
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Release()
		_, err = lease.Generate(context.Background(), inference.Request{Prompt: prompt}, cb)
		return err
	}
	if err := gen("grammar", nil); !errors.Is(err, inference.ErrInvalidGrammar) {
		t.Errorf("grammar request: %v", err)
	}
	if err := gen("callback", func(inference.Token) error { return errors.New("client went away") }); err == nil {
		t.Error("callback request: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if lease, err := m.Acquire(""); err == nil {
		lease.Generate(ctx, inference.Request{Prompt: "cancelled"}, nil)
		lease.Release()
	}
	if got := seen(); len(got) != 1 {
		t.Fatalf("loads %v after request and client errors: want the first load only", got)
	}
	if err := gen("hello", nil); err == nil || !strings.Contains(err.Error(), "ErrorDeviceLost") {
		t.Fatalf("request on the failing device: %v", err)
	}
	st := waitState(t, m, func(s Status) bool {
		return s.Serving != nil && s.Serving.Placement != nil && s.Serving.Placement.Fallback
	})
	if p := st.Serving.Placement; p.GPULayers != 0 || !strings.Contains(p.Note, "the GPU device failed during a request (engine: decode: ggml_vulkan") {
		t.Errorf("placement after the device failure: %+v", p)
	}
	if got := seen(); len(got) != 2 || got[0] != 3 || got[1] != 0 {
		t.Errorf("loads %v, want [3 0]", got)
	}
	if err := gen("hello", nil); err != nil {
		t.Errorf("request after the CPU reload: %v", err)
	}
	if st := m.Status(); st.Error != "" || st.Serving.Spec.GPULayers != 99 {
		t.Errorf("status after the reload: %+v", st)
	}
}

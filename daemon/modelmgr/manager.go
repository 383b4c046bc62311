package modelmgr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine/threadctl"
	"github.com/nashd/nashd/inference/remote"
)

// Loader opens the model described by spec (spec.Path is the file to load), reporting load
// progress in [0, 1]. The manager calls the generator's Close once, after the last lease is
// released.
type Loader func(spec config.Spec, progress func(float32)) (inference.Generator, error)

// Estimator returns the memory (bytes) that loading spec will take, from the GGUF metadata.
// spec.GPULayers is a count (a [Placer] has resolved "auto"): the layers it offloads do
// not count.
type Estimator func(spec config.Spec) (uint64, error)

// Placer decides where a local model's layers go before it loads, for a spec that asks for
// GPU layers: it resolves gpu_layers "auto" to a count, and fails (the load is refused)
// when a fixed count does not fit the GPU device's free memory or gpu_memory_limit, or
// main_gpu names no device.
type Placer func(spec config.Spec) (Placement, error)

// Placement is where a model's layers go: a [Placer]'s decision, or the CPU fallback after
// a load with GPU layers failed.
type Placement struct {
	// GPULayers is the layer count the model is loaded with (never "auto"); 0: CPU only.
	GPULayers int
	// Device names the GPU device that holds them ("Vulkan0 (NVIDIA ...)"); "" for the CPU.
	Device string
	// DeviceBytes is the estimated device memory of the offloaded layers; DeviceFree the
	// device's free memory when the model was placed; Limit gpu_memory_limit (0: none).
	DeviceBytes, DeviceFree, Limit uint64
	// Note says why the model runs differently from its config: the count "auto" chose,
	// no GPU device, a failed GPU load that fell back to the CPU. It is logged and shown in
	// the status.
	Note string
	// Fallback is set when a load with GPU layers failed and the model runs on the CPU.
	Fallback bool
}

// Options configure a Manager. Load is required.
type Options struct {
	Load Loader
	// Estimate, when set, is checked against MemAvailable before every load.
	Estimate Estimator
	// Place, when set, places the layers of every local model whose spec asks for GPU
	// layers (gpu_layers ≠ 0) before its memory check; without it the spec is loaded as
	// it is. A load with GPU layers that fails is retried on the CPU either way.
	Place Placer
	// MemAvailable returns the memory available for a new model; nil reads /proc/meminfo.
	MemAvailable func() (uint64, error)
	// Fallback returns the path of the built-in test model (generating it if needed); it is
	// used for a model whose file is missing and whose config sets fallback_test_model.
	Fallback func() (string, error)
	// QueueSize is the number of requests that may wait beyond the slots (SetQueueSize changes it).
	QueueSize int
	Logger    *slog.Logger
	// OnSwap is called after a model starts serving (from is "" for the first load).
	OnSwap func(from, to string)
}

// Errors Acquire returns; the daemon maps them to HTTP statuses.
var (
	ErrNoModel     = errors.New("modelmgr: no model is configured")
	ErrQueueFull   = errors.New("modelmgr: request queue is full")
	ErrUnknown     = errors.New("modelmgr: unknown model")
	ErrNotLoaded   = errors.New("modelmgr: model is configured but not loaded")
	ErrClosed      = errors.New("modelmgr: model manager closed")
	ErrModelFailed = errors.New("modelmgr: model failed to load")
)

// LoadingError says the model is still loading (HTTP 503 with Retry-After).
type LoadingError struct {
	Name     string
	Progress float32
}

func (e *LoadingError) Error() string {
	return fmt.Sprintf("model %s is loading (%.0f%%)", e.Name, 100*e.Progress)
}

// Manager owns the serving model. Its methods are safe for concurrent use.
type Manager struct {
	opts Options
	log  *slog.Logger
	kick chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	mu         sync.Mutex
	want       *config.Spec
	cur        *instance
	retiring   []*instance
	loading    *loadState
	failErr    error
	failSpec   *config.Spec
	retry      bool
	inflight   int
	queueSize  int
	closed     bool
	swaps      uint64
	loadFailed uint64
}

type loadState struct {
	spec     config.Spec
	started  time.Time
	progress atomic.Uint32 // float32 bits
	// cpuOnly, when set, loads the model on the CPU whatever its gpu_layers: the reason
	// (its GPU device failed mid-request).
	cpuOnly string
}

type instance struct {
	spec     config.Spec
	gen      inference.Generator
	info     inference.ModelInfo
	loaded   time.Time
	loadTime time.Duration
	fallback bool
	place    *Placement // nil: the spec asked for no GPU layers
	// deviceErr is the error of a request that failed on the instance's GPU device: the
	// manager then reloads the model on the CPU. Guarded by Manager.mu.
	deviceErr error
	slots     *fifoSem
	refs      int // leases held; guarded by Manager.mu
	retired   bool
	closed    chan struct{}
}

// New starts a Manager with no model; call Set to load one.
func New(opts Options) *Manager {
	m := &Manager{opts: opts, log: opts.Logger, kick: make(chan struct{}, 1), done: make(chan struct{}), queueSize: opts.QueueSize}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.opts.MemAvailable == nil {
		m.opts.MemAvailable = MemAvailable
	}
	m.wg.Add(1)
	go m.loop()
	return m
}

// Set makes spec the desired model (nil: none). A change loads the new model in the
// background; the current one serves until the new one is ready.
func (m *Manager) Set(spec *config.Spec) {
	m.mu.Lock()
	if spec != nil {
		s := *spec
		spec = &s
	}
	m.want = spec
	m.mu.Unlock()
	m.poke()
}

// Retry retries a model that failed to load with the same settings (SIGHUP does this).
func (m *Manager) Retry() {
	m.mu.Lock()
	m.retry = true
	m.mu.Unlock()
	m.poke()
}

// SetQueueSize changes the queue bound for new requests.
func (m *Manager) SetQueueSize(n int) {
	m.mu.Lock()
	m.queueSize = n
	m.mu.Unlock()
}

func (m *Manager) poke() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *Manager) loop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.kick:
		case <-m.done:
			return
		}
		m.converge()
	}
}

// converge loads until the serving model matches the desired one, or a load fails.
func (m *Manager) converge() {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		want := m.want
		if want == nil {
			if m.cur != nil {
				m.log.Info("model unloaded (none configured)", "model", m.cur.spec.Name)
				m.retireLocked(m.cur)
				m.cur = nil
			}
			m.failErr, m.failSpec = nil, nil
			m.mu.Unlock()
			return
		}
		devFailed := m.cur != nil && m.cur.spec == *want && m.cur.deviceErr != nil
		if m.cur != nil && m.cur.spec == *want && !devFailed {
			m.failErr, m.failSpec = nil, nil
			m.mu.Unlock()
			return
		}
		if m.failSpec != nil && *m.failSpec == *want && !m.retry {
			m.mu.Unlock()
			return
		}
		m.retry = false
		ls := &loadState{spec: *want, started: time.Now()}
		if devFailed {
			ls.cpuOnly = fmt.Sprintf("the GPU device failed during a request (%v): reloaded on the CPU", m.cur.deviceErr)
		}
		m.loading = ls
		m.mu.Unlock()

		inst, err := m.load(ls)

		m.mu.Lock()
		m.loading = nil
		if err != nil {
			m.failErr, m.failSpec = err, want
			m.loadFailed++
			if m.cur != nil {
				m.log.Error("model load failed; the previous model keeps serving", "model", want.Name, "path", want.Path, "serving", m.cur.spec.Name, "err", err)
			} else {
				m.log.Error("model load failed", "model", want.Name, "path", want.Path, "err", err)
			}
			m.mu.Unlock()
			continue
		}
		if m.closed || m.want == nil || *m.want != *want {
			m.mu.Unlock()
			m.log.Info("discarding a model whose config changed while it loaded", "model", want.Name)
			inst.gen.Close()
			continue
		}
		old := m.cur
		m.cur = inst
		m.failErr, m.failSpec = nil, nil
		from := ""
		if old != nil {
			from = old.spec.Name
			m.retireLocked(old)
			m.swaps++
		}
		m.mu.Unlock()
		m.log.Info("model serving", "model", want.Name, "path", inst.info.Path, "load_time", inst.loadTime.Round(time.Millisecond), "slots", want.Slots, "context", want.ContextSize, "gpu_layers", inst.gpuLayers(), "replaced", from)
		if m.opts.OnSwap != nil {
			m.opts.OnSwap(from, want.Name)
		}
	}
}

// load checks memory and opens the model.
func (m *Manager) load(ls *loadState) (*instance, error) {
	spec := ls.spec
	fallback := false
	if spec.IsRemote() {
		// A remote model has no file: the loader checks that its server is reachable.
	} else if _, err := os.Stat(spec.Path); errors.Is(err, fs.ErrNotExist) && spec.Fallback {
		if m.opts.Fallback == nil {
			return nil, fmt.Errorf("%s: file not found and no built-in test model is available", spec.Path)
		}
		p, err := m.opts.Fallback()
		if err != nil {
			return nil, fmt.Errorf("%s not found; built-in test model: %w", spec.Path, err)
		}
		m.log.Warn("MODEL FILE NOT FOUND: serving the built-in TEST model instead (fallback_test_model = true). "+
			"It has RANDOM WEIGHTS: its output is gibberish. Set a real GGUF path in models.toml.",
			"model", spec.Name, "missing", spec.Path, "test_model", p)
		spec.Path = p
		fallback = true
	} else if err != nil {
		return nil, fmt.Errorf("model %s: %w", spec.Name, err)
	}
	var place *Placement
	if ls.cpuOnly != "" {
		place = &Placement{Fallback: true, Note: ls.cpuOnly}
		spec.GPULayers = 0
		m.log.Warn("reloading the model on the CPU", "model", spec.Name, "reason", ls.cpuOnly)
	} else if !spec.IsRemote() && spec.GPULayers != 0 && m.opts.Place != nil {
		p, err := safePlace(m.opts.Place, spec)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", spec.Name, err)
		}
		place = &p
		spec.GPULayers = config.GPULayers(p.GPULayers)
		level := slog.LevelInfo
		if p.GPULayers == 0 {
			level = slog.LevelWarn // the config asked for GPU layers and gets none
		}
		m.log.Log(context.Background(), level, "model placed", "model", spec.Name, "gpu_layers_config", ls.spec.GPULayers.String(),
			"gpu_layers", p.GPULayers, "device", p.Device, "device_mib", p.DeviceBytes>>20, "device_free_mib", p.DeviceFree>>20,
			"gpu_memory_limit_mib", p.Limit>>20, "note", p.Note)
	}
	if err := m.checkMemory(spec); err != nil {
		return nil, err
	}
	t0 := time.Now()
	progress := func(p float32) { ls.progress.Store(floatBits(p)) }
	gen, err := safeLoad(m.opts.Load, spec, progress)
	if err != nil && !spec.IsRemote() && spec.GPULayers > 0 {
		// A GPU load can fail where a CPU one works (device memory exhausted, a driver
		// error): run on the CPU rather than not at all, and say so.
		gpuErr := err
		m.log.Warn("model failed to load with GPU layers; retrying on the CPU", "model", spec.Name, "gpu_layers", spec.GPULayers, "err", gpuErr)
		cpu := spec
		cpu.GPULayers = 0
		if err := m.checkMemory(cpu); err != nil {
			return nil, fmt.Errorf("model %s: GPU load failed (%v); CPU fallback: %w", spec.Name, gpuErr, err)
		}
		ls.progress.Store(0)
		t0 = time.Now()
		if gen, err = safeLoad(m.opts.Load, cpu, progress); err != nil {
			return nil, fmt.Errorf("model %s: GPU load failed (%v); CPU fallback failed too: %w", spec.Name, gpuErr, err)
		}
		p := Placement{Fallback: true, Note: fmt.Sprintf("loading %d layers on the GPU failed (%v): running on the CPU", spec.GPULayers, gpuErr)}
		if place != nil {
			p.Limit = place.Limit
		}
		place = &p
	} else if err != nil {
		return nil, fmt.Errorf("model %s: %w", spec.Name, err)
	}
	info := gen.Info()
	slots := spec.Slots
	if info.Slots > 0 {
		slots = info.Slots
	}
	if slots < 1 {
		slots = 1
	}
	want := ls.spec // keep the configured spec (not the fallback path) for comparisons
	return &instance{spec: want, gen: gen, info: info, loaded: time.Now(), loadTime: time.Since(t0), fallback: fallback, place: place, slots: newFIFOSem(slots), closed: make(chan struct{})}, nil
}

// checkMemory refuses a load whose estimated host memory exceeds what is available.
func (m *Manager) checkMemory(spec config.Spec) error {
	if m.opts.Estimate == nil {
		return nil
	}
	need, err := m.opts.Estimate(spec)
	if err != nil {
		return fmt.Errorf("model %s: reading metadata: %w", spec.Name, err)
	}
	avail, err := m.opts.MemAvailable()
	if err != nil {
		m.log.Warn("cannot read available memory; loading without the check", "err", err)
	} else if need > avail {
		return fmt.Errorf("model %s needs about %d MiB but only %d MiB is available", spec.Name, need>>20, avail>>20)
	}
	return nil
}

// onGPU reports whether the instance has layers on a GPU device (as the generator reports
// it, or as placed).
func (inst *instance) onGPU() bool {
	return inst.info.GPULayers > 0 || (inst.place != nil && inst.place.GPULayers > 0)
}

// deviceFailed records that a request failed on inst's GPU device, so that the model is
// reloaded on the CPU (once per instance); the instance serves until the reload is ready.
func (m *Manager) deviceFailed(inst *instance, err error) {
	m.mu.Lock()
	first := inst.deviceErr == nil && !inst.retired && m.cur == inst
	if first {
		inst.deviceErr = err
	}
	m.mu.Unlock()
	if first {
		m.log.Error("request failed on the model's GPU device: reloading the model on the CPU", "model", inst.spec.Name, "err", err)
		m.poke()
	}
}

// requestError reports whether err is the request's own fault, the client's, or a
// cancellation, rather than the model's: such errors never mean a device failed.
func requestError(err error) bool {
	for _, e := range []error{context.Canceled, context.DeadlineExceeded, inference.ErrPromptTooLong,
		inference.ErrInvalidGrammar, inference.ErrInvalidRequest, inference.ErrClosed, ErrClosed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// gpuLayers is the layer count the instance was loaded with (0: CPU only).
func (inst *instance) gpuLayers() int {
	if inst.place != nil {
		return inst.place.GPULayers
	}
	return max(int(inst.spec.GPULayers), 0)
}

func safePlace(p Placer, spec config.Spec) (pl Placement, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("placer panic: %v", r)
		}
	}()
	return p(spec)
}

func safeLoad(l Loader, spec config.Spec, progress func(float32)) (g inference.Generator, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("loader panic: %v", r)
		}
	}()
	return l(spec, progress)
}

// retireLocked marks inst for closing once its leases are released. m.mu is held.
func (m *Manager) retireLocked(inst *instance) {
	inst.retired = true
	if inst.refs == 0 {
		m.closeInstance(inst)
		return
	}
	m.retiring = append(m.retiring, inst)
}

func (m *Manager) closeInstance(inst *instance) {
	for i, r := range m.retiring {
		if r == inst {
			m.retiring = append(m.retiring[:i], m.retiring[i+1:]...)
			break
		}
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := inst.gen.Close(); err != nil {
			m.log.Warn("closing model", "model", inst.spec.Name, "err", err)
		} else {
			m.log.Info("model freed", "model", inst.spec.Name)
		}
		close(inst.closed)
	}()
}

// Lease is a reference to a loaded model, valid until Release. The model is not closed
// while a lease is held.
type Lease struct {
	m        *Manager
	inst     *instance
	released atomic.Bool
}

// Acquire admits one request for the named model ("" or "default": the serving model) and
// returns a lease. It does not wait: it fails with ErrQueueFull when slots and queue are
// full, a *LoadingError while the first model loads, ErrUnknown/ErrNotLoaded for a
// model that is not serving.
func (m *Manager) Acquire(name string) (*Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	inst := m.cur
	if inst == nil {
		switch {
		case m.loading != nil:
			return nil, &LoadingError{Name: m.loading.spec.Name, Progress: floatFrom(m.loading.progress.Load())}
		case m.want != nil && m.failErr != nil:
			return nil, fmt.Errorf("%w: %v", ErrModelFailed, m.failErr)
		case m.want != nil:
			return nil, &LoadingError{Name: m.want.Name}
		default:
			return nil, ErrNoModel
		}
	}
	if name != "" && name != "default" && name != inst.spec.Name {
		// A request naming the model being swapped in waits for it like any load.
		if m.loading != nil && m.loading.spec.Name == name {
			return nil, &LoadingError{Name: name, Progress: floatFrom(m.loading.progress.Load())}
		}
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	if m.inflight >= inst.slots.cap+m.queueSize {
		return nil, ErrQueueFull
	}
	m.inflight++
	inst.refs++
	return &Lease{m: m, inst: inst}, nil
}

// Release returns the lease; it is safe to call more than once.
func (l *Lease) Release() {
	if l == nil || !l.released.CompareAndSwap(false, true) {
		return
	}
	m := l.m
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inflight--
	l.inst.refs--
	if l.inst.retired && l.inst.refs == 0 {
		m.closeInstance(l.inst)
	}
}

// Name returns the configured name of the leased model.
func (l *Lease) Name() string { return l.inst.spec.Name }

// Info describes the leased model.
func (l *Lease) Info() inference.ModelInfo { return l.inst.info }

// Spec returns the leased model's effective config.
func (l *Lease) Spec() config.Spec { return l.inst.spec }

// Model returns the generator, for calls other than Generate (ChatPrompt, Tokenize).
func (l *Lease) Model() inference.Generator { return l.inst.gen }

// Generate waits (FIFO) for one of the model's slots, then runs req.
func (l *Lease) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	if l.released.Load() {
		return inference.Result{}, ErrClosed
	}
	if err := l.inst.slots.acquire(ctx); err != nil {
		return inference.Result{StopReason: inference.StopCancelled}, err
	}
	defer l.inst.slots.release()
	if !l.inst.onGPU() {
		return l.inst.gen.Generate(ctx, req, onToken)
	}
	// On a GPU device, a failure that is neither the request's nor the client's (a write
	// error in onToken) nor a cancellation is the device's: the model is reloaded on the CPU.
	cb := onToken
	var cbFailed atomic.Bool
	if onToken != nil {
		cb = func(t inference.Token) error {
			err := onToken(t)
			if err != nil {
				cbFailed.Store(true)
			}
			return err
		}
	}
	res, err := l.inst.gen.Generate(ctx, req, cb)
	if err != nil && !cbFailed.Load() && ctx.Err() == nil && !requestError(err) {
		l.m.deviceFailed(l.inst, err)
	}
	return res, err
}

// Close stops loading, waits up to ctx for leases to be released, and frees every model.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	if m.cur != nil {
		m.retireLocked(m.cur)
		m.cur = nil
	}
	pending := append([]*instance(nil), m.retiring...)
	m.mu.Unlock()
	for _, inst := range pending {
		select {
		case <-inst.closed:
		case <-ctx.Done():
			return fmt.Errorf("model %s still in use: %w", inst.spec.Name, ctx.Err())
		}
	}
	m.wg.Wait()
	return nil
}

// Status is a point-in-time view of the manager.
type Status struct {
	// State is "none" (no model configured), "loading" (no model serving yet), "ready",
	// or "failed" (no model serving; see Error).
	State   string        `json:"state"`
	Serving *ModelStatus  `json:"serving,omitempty"`
	Loading *LoadingState `json:"loading,omitempty"`
	// Error is the last load failure (the previous model, if any, keeps serving).
	Error      string   `json:"error,omitempty"`
	ErrorModel string   `json:"error_model,omitempty"`
	Draining   []string `json:"draining,omitempty"` // replaced models still finishing requests
	Swaps      uint64   `json:"swaps"`
	LoadFailed uint64   `json:"load_failed"`
	InFlight   int      `json:"in_flight"` // admitted requests (running + queued)
	Running    int      `json:"running"`
	Queued     int      `json:"queued"`
	Slots      int      `json:"slots"`
	QueueSize  int      `json:"queue_size"`
}

// ModelStatus describes the serving model.
type ModelStatus struct {
	Name       string              `json:"name"`
	Info       inference.ModelInfo `json:"info"`
	Loaded     time.Time           `json:"loaded"`
	LoadMS     float64             `json:"load_ms"`
	TestModel  bool                `json:"test_model,omitempty"` // the built-in random-weight model
	Warning    string              `json:"warning,omitempty"`
	Spec       config.Spec         `json:"-"`
	ConfigPath string              `json:"config_path"`
	// Threads is the generator's thread counts, when it reports them ([ThreadReporter]).
	Threads *threadctl.Report `json:"-"`
	// Remote is a remote model's server and reachability ([RemoteReporter]).
	Remote *remote.Status `json:"-"`
	// Placement is where the model's layers went, for a model whose config asks for GPU
	// layers (nil otherwise).
	Placement *Placement `json:"-"`
}

// RemoteReporter is implemented by generators served by another server
// (*[remote.Generator]); the status includes their reachability.
type RemoteReporter interface {
	Status() remote.Status
}

// ThreadReporter is implemented by generators that choose their own thread counts (the
// llama.cpp engine); the status includes them.
type ThreadReporter interface {
	ThreadStats() threadctl.Report
}

// LoadingState describes a load in progress.
type LoadingState struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	Progress float32   `json:"progress"`
	Since    time.Time `json:"since"`
}

// Status returns the current state.
func (m *Manager) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Swaps: m.swaps, LoadFailed: m.loadFailed, InFlight: m.inflight, QueueSize: m.queueSize}
	if m.cur != nil {
		c := m.cur
		ms := &ModelStatus{Name: c.spec.Name, Info: c.info, Loaded: c.loaded, LoadMS: float64(c.loadTime.Microseconds()) / 1000, TestModel: c.fallback, Spec: c.spec, ConfigPath: c.spec.Path}
		if c.fallback {
			ms.Warning = "built-in test model with random weights: output is gibberish"
		}
		if c.place != nil {
			p := *c.place
			ms.Placement = &p
		}
		if tr, ok := c.gen.(ThreadReporter); ok {
			r := tr.ThreadStats()
			ms.Threads = &r
		}
		if rr, ok := c.gen.(RemoteReporter); ok {
			r := rr.Status()
			ms.Remote = &r
		}
		st.Serving = ms
		st.Slots = c.slots.cap
		st.Running, st.Queued = c.slots.counts()
	}
	for _, r := range m.retiring {
		st.Draining = append(st.Draining, r.spec.Name)
		n, q := r.slots.counts()
		st.Running += n
		st.Queued += q
	}
	if st.InFlight > st.Running+st.Queued {
		// Admitted but not yet at the slot semaphore (tokenizing, templating).
		st.Queued = st.InFlight - st.Running
	}
	if m.loading != nil {
		st.Loading = &LoadingState{Name: m.loading.spec.Name, Path: m.loading.spec.Path, Progress: floatFrom(m.loading.progress.Load()), Since: m.loading.started}
	}
	if m.failErr != nil {
		st.Error = m.failErr.Error()
		st.ErrorModel = m.failSpec.Name
	}
	switch {
	case m.cur != nil:
		st.State = "ready"
	case m.want == nil:
		st.State = "none"
	case m.failErr != nil && m.loading == nil:
		st.State = "failed"
	default:
		st.State = "loading"
	}
	return st
}

// MemAvailable reads MemAvailable from /proc/meminfo.
func MemAvailable() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(fs[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("/proc/meminfo: no MemAvailable line")
}

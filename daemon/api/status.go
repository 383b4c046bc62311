package api

import (
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/pricing"
)

// StatusResponse is the body of GET /v1/status.
type StatusResponse struct {
	Version  string       `json:"version"`
	PID      int          `json:"pid"`
	Uptime   float64      `json:"uptime_s"`
	Model    ModelStatus  `json:"model"`
	Config   ConfigStatus `json:"config"`
	Pricing  string       `json:"pricing_version"`
	Games    []string     `json:"games"`
	Reasoner []string     `json:"reasoning_modes"`
	// Reasoning describes GTAlign reasoning: its defaults, the game and the learned lengths.
	Reasoning *ReasoningStatus `json:"reasoning,omitempty"`
	// GPU lists the GPU devices of the backends nashd loaded at start (none: models run on
	// the CPU); absent when the daemon was built without GPU support.
	GPU *GPUStatus `json:"gpu,omitempty"`
}

// GPUStatus describes the GPU backends nashd loaded and their devices.
type GPUStatus struct {
	// BackendsDir is the directory the backend libraries were loaded (or tried) from; empty
	// when there was none (no lib/nashd beside nashd's bin/, no gpu_backends).
	BackendsDir string `json:"backends_dir,omitempty"`
	// Error says why no backend loaded (a library built from another ggml tree, a missing
	// Vulkan loader): nashd then runs every model on the CPU.
	Error   string      `json:"error,omitempty"`
	Devices []GPUDevice `json:"devices"`
}

// GPUDevice is one GPU device with its memory as its driver reports it now.
type GPUDevice struct {
	// Index is the device's number among the GPU devices: the value main_gpu takes.
	Index       int    `json:"index"`
	Name        string `json:"name"`        // "Vulkan0", "CUDA0"
	Description string `json:"description"` // "NVIDIA GeForce RTX 4090", "llvmpipe (LLVM 15.0.6, 256 bits)"
	Type        string `json:"type"`        // "gpu", "igpu" or "accel"
	Backend     string `json:"backend"`     // "Vulkan", "CUDA"
	FreeBytes   uint64 `json:"free_bytes"`
	TotalBytes  uint64 `json:"total_bytes"`
}

// ModelGPU is where the serving model's layers went, for a model whose config asks for GPU
// layers.
type ModelGPU struct {
	// Configured is gpu_layers as configured ("auto", "99"); Layers the count it was loaded
	// with (0: CPU only). Info.GPULayers is what llama.cpp reports it offloaded.
	Configured string `json:"configured"`
	Layers     int    `json:"layers"`
	// Device is the GPU device that holds the layers; DeviceBytes the estimated device
	// memory they take, DeviceFree the device's free memory before the load, Limit
	// gpu_memory_limit (0: none).
	Device      string `json:"device,omitempty"`
	DeviceBytes uint64 `json:"device_bytes,omitempty"`
	DeviceFree  uint64 `json:"device_free_bytes,omitempty"`
	Limit       uint64 `json:"gpu_memory_limit,omitempty"`
	// Fallback is set when the load with GPU layers failed and the model runs on the CPU;
	// Note says why the model runs differently from its config (auto's choice, no device,
	// the failed load).
	Fallback bool   `json:"cpu_fallback,omitempty"`
	Note     string `json:"note,omitempty"`
}

// ReasoningStatus is GTAlign reasoning's part of GET /v1/status.
type ReasoningStatus struct {
	// Mode is the reasoning mode of a chat completion that names none ("none" or "gtalign").
	Mode      string `json:"mode"`
	Rule      string `json:"rule"`
	Policy    string `json:"policy"`
	AnalyzeBy string `json:"analyze_by"`
	// Game is the game file's version ("gtalign.toml@VERSION"), Strategies its strategies.
	Game       string   `json:"game_version"`
	Strategies []string `json:"strategies"`
	// Pricing is the plan the next request would apply: the expected length and cost of each
	// strategy, learned or configured. Problem says why requests fail until a config file is
	// fixed (pricing.toml lacks a strategy of the game).
	Pricing *pricing.Plan `json:"pricing_plan,omitempty"`
	Problem string        `json:"problem,omitempty"`
	// Learned is the running average response length (tokens) and count per strategy,
	// persisted in LengthsFile across restarts; LengthsError is its last load or save error.
	Learned      map[string]pricing.LengthStat `json:"learned_lengths"`
	LengthsFile  string                        `json:"lengths_file"`
	LengthsError string                        `json:"lengths_error,omitempty"`
}

// ModelStatus is the model manager's state: what serves, what loads, the queue.
type ModelStatus struct {
	// State is "none" (no model configured), "loading" (no model serving yet), "ready",
	// or "failed" (no model serving; see Error).
	State   string        `json:"state"`
	Serving *ServingModel `json:"serving,omitempty"`
	Loading *LoadingModel `json:"loading,omitempty"`
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

// ServingModel describes the model that serves requests.
type ServingModel struct {
	Name       string              `json:"name"`
	Info       inference.ModelInfo `json:"info"`
	Loaded     time.Time           `json:"loaded"`
	LoadMS     float64             `json:"load_ms"`
	TestModel  bool                `json:"test_model,omitempty"` // the built-in random-weight model
	Warning    string              `json:"warning,omitempty"`
	ConfigPath string              `json:"config_path"`
	// Threads is how many threads the model's decode steps use, for models that choose
	// their own (llama.cpp models).
	Threads *ThreadsStatus `json:"threads,omitempty"`
	// Remote describes the server of a remote model.
	Remote *RemoteModel `json:"remote,omitempty"`
	// GPU is where the model's layers went, when its config asks for GPU layers.
	GPU *ModelGPU `json:"gpu,omitempty"`
}

// ThreadsStatus describes the thread counts of the serving model: single-token
// (generation) steps and multi-token (prompt) steps, each fixed or adapted to the load.
type ThreadsStatus struct {
	Generation ThreadCount `json:"generation"`
	Batch      ThreadCount `json:"batch"`
	Poll       int         `json:"poll"` // the thread pools' polling level, 0-100
}

// ThreadCount is one kind of decode step's thread count and what its controller has seen
// since the model was loaded.
type ThreadCount struct {
	Threads  int    `json:"threads"` // in use now
	Min      int    `json:"min"`
	Max      int    `json:"max"`
	Adaptive bool   `json:"adaptive"` // false: a fixed count (threads = N)
	Steps    uint64 `json:"steps"`
	// Stalls are steps much slower than usual for their size and thread count (a thread was
	// preempted); Stopped are stalls cut short and run again with fewer threads.
	Stalls  uint64 `json:"stalls"`
	Stopped uint64 `json:"stopped"`
	// StepsDown and StepsUp count changes of the count; ProbesFailed, tries of one thread
	// more that were slower; HoldMS is the wait before the next try.
	StepsDown    uint64  `json:"steps_down"`
	StepsUp      uint64  `json:"steps_up"`
	ProbesFailed uint64  `json:"probes_failed"`
	HoldMS       float64 `json:"hold_ms"`
	// StepsAt[n] counts the steps run with n threads (index 0 unused).
	StepsAt []uint64 `json:"steps_at"`
}

// LoadingModel describes a load in progress.
type LoadingModel struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	Progress float32   `json:"progress"` // in [0, 1]
	Since    time.Time `json:"since"`
}

// ConfigStatus reports the config in force and the last reload's errors.
type ConfigStatus struct {
	Dir        string                 `json:"dir"`
	Generation uint64                 `json:"generation"`
	Files      map[string]FileVersion `json:"files"`
	// Errors maps a file to the error that made the last reload keep the old config.
	Errors  map[string]string `json:"errors"`
	Reloads ReloadStats       `json:"reloads"`
}

// FileVersion identifies the content of one config file.
type FileVersion struct {
	// Version is the first 12 hex digits of the file's SHA-256, or "builtin" when the file is
	// absent and defaults apply.
	Version string `json:"version"`
	Size    int64  `json:"size"`
	// Loaded is when this content was first loaded.
	Loaded time.Time `json:"loaded"`
}

// ReloadStats counts config reload attempts.
type ReloadStats struct {
	OK        uint64    `json:"ok"`        // reloads that applied a change
	Unchanged uint64    `json:"unchanged"` // reloads that found nothing new
	Failed    uint64    `json:"failed"`    // reloads rejected (old config kept)
	Last      time.Time `json:"last"`      // time of the last attempt
	LastError string    `json:"last_error,omitempty"`
}

// List is OpenAI's list object: {"object": "list", "data": [...]}.
type List[T any] struct {
	Object string `json:"object"`
	Data   []T    `json:"data"`
}

// NewList returns a list of data (an empty list, never null, when data is nil).
func NewList[T any](data []T) List[T] {
	if data == nil {
		data = []T{}
	}
	return List[T]{Object: "list", Data: data}
}

// ModelEntry is one entry of GET /v1/models (OpenAI's model object plus nashd's fields).
type ModelEntry struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Created   int64  `json:"created"`
	OwnedBy   string `json:"owned_by"`
	Default   bool   `json:"default"`
	Loaded    bool   `json:"loaded"`
	State     string `json:"state"` // serving, loading, draining, failed, configured
	Path      string `json:"path"`
	TestModel bool   `json:"test_model,omitempty"`
	Error     string `json:"error,omitempty"`
	// Meta is the model's metadata: the serving model's inference.ModelInfo, or what the
	// daemon read from the GGUF file of one that is not loaded (a JSON object).
	Meta any `json:"meta,omitempty"`
	// Reasoning is set on an alias "NAME@MODE": model Parent with that reasoning mode.
	Reasoning string `json:"reasoning,omitempty"`
	Parent    string `json:"parent,omitempty"`
	// Remote describes the server of a remote model (url in models.toml); Path is then empty.
	Remote *RemoteModel `json:"remote,omitempty"`
}

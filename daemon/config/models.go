package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
)

// Models is models.toml.
type Models struct {
	// Default names the model that serves requests; empty with no models means no model
	// (the daemon still solves games).
	Default string `toml:"default"`
	// Models maps names to model settings.
	Models map[string]Model `toml:"models"`
}

// Model is one [models.NAME] table. Zero numeric fields take nashd.toml's [inference] values,
// and so does an absent poll.
type Model struct {
	Path         string  `toml:"path"` // GGUF file; relative paths are relative to the config dir
	Context      int     `toml:"context"`
	Threads      Threads `toml:"threads"`       // an integer, "auto", or 0 (nashd.toml's)
	BatchThreads Threads `toml:"batch_threads"` // an integer, "auto", or 0 (nashd.toml's)
	Poll         *int    `toml:"poll"`          // 0-100; absent: nashd.toml's
	BatchSize    int     `toml:"batch_size"`
	// GPULayers, MainGPU and GPUMemoryLimit override nashd.toml's [inference] values
	// (absent, or 0 for the limit: nashd.toml's); see [Inference.GPULayers].
	GPULayers      *GPULayers `toml:"gpu_layers"`
	MainGPU        *int       `toml:"main_gpu"`
	GPUMemoryLimit ByteSize   `toml:"gpu_memory_limit"`
	Slots          int        `toml:"slots"`
	ChatTemplate   string     `toml:"chat_template"`
	// FallbackTestModel: when Path does not exist, serve nashd's built-in tiny test model
	// (random weights: gibberish output) instead of failing, with a loud warning.
	FallbackTestModel bool `toml:"fallback_test_model"`
	// Remote fields (remote.go): a model served by an OpenAI-compatible server instead of a file.
	RemoteModel
}

var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// Validate checks names, the default and every model's fields.
func (m *Models) Validate() error {
	names := make([]string, 0, len(m.Models))
	for n := range m.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !modelName.MatchString(n) {
			return fmt.Errorf("models.%s: bad model name (letters, digits, . _ : -; at most 64)", n)
		}
		if n == "default" {
			return fmt.Errorf("models.default: \"default\" is reserved (it names the serving model in requests)")
		}
		md := m.Models[n]
		switch {
		case md.Path == "" && md.URL == "":
			return fmt.Errorf("models.%s.path: missing (or set url for a remote model)", n)
		case md.RemoteModel.validate(n, md.Path) != nil:
			return md.RemoteModel.validate(n, md.Path)
		case md.Context < 0:
			return fmt.Errorf("models.%s.context: %d < 0", n, md.Context)
		case md.Context != 0 && md.Context < 16:
			return fmt.Errorf("models.%s.context: %d is below the minimum 16", n, md.Context)
		case md.Threads.Validate() != nil:
			return fmt.Errorf("models.%s.threads: %w", n, md.Threads.Validate())
		case md.BatchThreads.Validate() != nil:
			return fmt.Errorf("models.%s.batch_threads: %w", n, md.BatchThreads.Validate())
		case md.Poll != nil && (*md.Poll < 0 || *md.Poll > MaxPoll):
			return fmt.Errorf("models.%s.poll: %d outside [0, %d]", n, *md.Poll, MaxPoll)
		case md.BatchSize < 0:
			return fmt.Errorf("models.%s.batch_size: %d < 0", n, md.BatchSize)
		case md.GPULayers != nil && md.GPULayers.Validate() != nil:
			return fmt.Errorf("models.%s.gpu_layers: %w", n, md.GPULayers.Validate())
		case md.MainGPU != nil && (*md.MainGPU < 0 || *md.MainGPU > MaxMainGPU):
			return fmt.Errorf("models.%s.main_gpu: %d outside [0, %d]", n, *md.MainGPU, MaxMainGPU)
		case md.URL != "" && (md.GPULayers != nil || md.MainGPU != nil || md.GPUMemoryLimit != 0):
			return fmt.Errorf("models.%s: gpu_layers, main_gpu and gpu_memory_limit apply to local models (path), not to a remote one (url)", n)
		case md.Slots < 0 || md.Slots > 64:
			return fmt.Errorf("models.%s.slots: %d outside [0, 64]", n, md.Slots)
		}
	}
	if m.Default == "" && len(m.Models) > 0 {
		return fmt.Errorf("default: missing (models defined: %v)", names)
	}
	if m.Default != "" {
		if _, ok := m.Models[m.Default]; !ok {
			return fmt.Errorf("default: %q is not a [models.NAME] table (defined: %v)", m.Default, names)
		}
	}
	return nil
}

// Spec is the effective settings of one model: models.toml merged over nashd.toml's
// [inference] defaults, with the path made absolute. Two equal Specs load the same engine.
type Spec struct {
	Name        string
	Path        string
	ContextSize int
	BatchSize   int
	// Threads and BatchThreads are thread counts as the engine takes them: N > 0 fixed,
	// -1 ([ThreadsAuto]) adaptive, 0 the default (Threads: adaptive; BatchThreads: as
	// Threads).
	Threads      int
	BatchThreads int
	Poll         int // thread pools' polling level, 0-100
	// GPULayers is the layers to offload to a GPU: a count (0: CPU only) or [GPULayersAuto];
	// MainGPU the GPU device's index; GPUMemoryLimit the most device memory the model may
	// use (0: no limit but the device's free memory).
	GPULayers      GPULayers
	MainGPU        int
	GPUMemoryLimit ByteSize
	Slots          int
	ChatTemplate   string
	Fallback       bool
	// Remote is set for a model served by another server (url in models.toml); Path is then
	// empty and the engine settings above are unused.
	Remote RemoteSpec
}

// DefaultSpec returns the effective Spec of the default model, or nil when none is configured.
func (s *Snapshot) DefaultSpec() *Spec {
	if s.Models.Default == "" {
		return nil
	}
	sp := s.Spec(s.Models.Default)
	return sp
}

// Spec returns the effective Spec of the named model, or nil if it is not configured.
func (s *Snapshot) Spec(name string) *Spec {
	md, ok := s.Models.Models[name]
	if !ok {
		return nil
	}
	in := s.Daemon.Inference
	pick := func(v, def int) int {
		if v != 0 {
			return v
		}
		return def
	}
	poll := in.Poll
	if md.Poll != nil {
		poll = *md.Poll
	}
	gpuLayers, mainGPU, gpuLimit := in.GPULayers, in.MainGPU, in.GPUMemoryLimit
	if md.GPULayers != nil {
		gpuLayers = *md.GPULayers
	}
	if md.MainGPU != nil {
		mainGPU = *md.MainGPU
	}
	if md.GPUMemoryLimit != 0 {
		gpuLimit = md.GPUMemoryLimit
	}
	if md.URL != "" {
		return md.RemoteModel.spec(name, md.ChatTemplate)
	}
	p := md.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(s.Dir, p)
	}
	return &Spec{
		Name:           name,
		Path:           filepath.Clean(p),
		ContextSize:    pick(md.Context, in.ContextSize),
		BatchSize:      pick(md.BatchSize, in.BatchSize),
		Threads:        pick(int(md.Threads), int(in.Threads)),
		BatchThreads:   pick(int(md.BatchThreads), int(in.BatchThreads)),
		Poll:           poll,
		GPULayers:      gpuLayers,
		MainGPU:        mainGPU,
		GPUMemoryLimit: gpuLimit,
		Slots:          pick(md.Slots, in.Slots),
		ChatTemplate:   md.ChatTemplate,
		Fallback:       md.FallbackTestModel,
	}
}

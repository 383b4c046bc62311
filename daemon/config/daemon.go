package config

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Daemon is nashd.toml.
type Daemon struct {
	Server    Server    `toml:"server"`
	Inference Inference `toml:"inference"`
	Log       Log       `toml:"log"`
	Reasoning Reasoning `toml:"reasoning"`
}

// Server holds the listener and HTTP limits. Changes to socket, mode, group and tcp need a
// restart; limits apply to the next request.
type Server struct {
	// Socket is the Unix socket path; empty means $XDG_RUNTIME_DIR/nashd.sock, else
	// CONFIGDIR/nashd.sock. A relative path is relative to the config directory.
	Socket string `toml:"socket"`
	// SocketMode is the socket's permission bits as an octal string ("0600", "0660").
	SocketMode string `toml:"socket_mode"`
	// SocketGroup, when set, is the group (name or numeric gid) the socket is chowned to.
	SocketGroup string `toml:"socket_group"`
	// AllowedUIDs, when non-empty, restricts clients to these uids (checked with SO_PEERCRED).
	AllowedUIDs []int `toml:"allowed_uids"`
	// TCP is an optional extra listener, "127.0.0.1:8080" or "[::1]:8080"; loopback only.
	TCP string `toml:"tcp"`
	// MaxBodyBytes limits request bodies (413 beyond).
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// RequestTimeout bounds one request, queueing included.
	RequestTimeout Duration `toml:"request_timeout"`
	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM/SIGINT.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// Inference holds the defaults for every model (models.toml may override per model) and the
// scheduler's limits.
type Inference struct {
	// Threads is the thread count of generation steps: an integer fixes it; "auto" (the
	// default, as is 0) adapts it to the load between 1 and the physical cores.
	Threads Threads `toml:"threads"`
	// BatchThreads is the thread count of prompt steps: an integer, "auto", or 0 (as
	// Threads).
	BatchThreads Threads `toml:"batch_threads"`
	// Poll is the polling level of the thread pools, 0 (idle workers sleep at once, the
	// default) to 100 (they spin longest for the next step).
	Poll        int `toml:"poll"`
	ContextSize int `toml:"context_size"` // tokens per slot; 0 = min(trained context, 4096)
	BatchSize   int `toml:"batch_size"`   // prompt tokens per decode
	Slots       int `toml:"slots"`        // sequences decoded together in one batch
	QueueSize   int `toml:"queue_size"`   // requests waiting beyond the slots; 503 when full
	// GPULayers is every model's default gpu_layers ([GPULayers]: a count, "auto", or 0
	// for CPU only, the default); MainGPU the GPU device that holds the offloaded layers
	// (an index among the GPU devices `nash version` lists, default 0).
	GPULayers GPULayers `toml:"gpu_layers"`
	MainGPU   int       `toml:"main_gpu"`
	// GPUMemoryLimit bounds the device memory one model may use, checked before every load
	// with gpu_layers set: "auto" fits as many layers as the smaller of the device's free
	// memory and this limit allows, a fixed count that needs more is refused. 0: no limit
	// beyond the free memory.
	GPUMemoryLimit ByteSize `toml:"gpu_memory_limit"`
	// GPUBackends is the directory of the GPU backend libraries (`make gpu` builds them
	// into lib/nashd beside bin/); a relative path is relative to the config directory.
	// Empty: <nashd's directory>/../lib/nashd when it exists, else no GPU. A directory
	// named here or with --gpu-backends must exist. Read at start only.
	GPUBackends string `toml:"gpu_backends"`
}

// Log holds the logging settings; the level applies on reload, the format at start.
type Log struct {
	Format string `toml:"format"` // "text" or "json"
	Level  string `toml:"level"`  // "debug", "info", "warn", "error"
}

// Reasoning holds the GTAlign defaults (reasoning.md §1).
type Reasoning struct {
	// SelectionRule picks among Pareto-optimal cells: "welfare" (LLM + user, the paper's prompt)
	// or "nash_product" (U·L, the paper's inference code).
	SelectionRule string `toml:"selection_rule"`
	// MismatchPolicy applies when the model's choice differs from the solver's:
	// "override" (default), "annotate" or "reject".
	MismatchPolicy string `toml:"mismatch_policy"`
	// AnalyzeBy says who writes the `<analyze>` block: "model" (default; the solver verifies
	// it) or "solver" (nashd writes it: one pass fewer).
	AnalyzeBy string `toml:"analyze_by"`
	// Mode is the reasoning mode of a chat completion that names none: "none" (plain chat,
	// the default) or "gtalign".
	Mode string `toml:"mode"`
	// Game is the GTAlign game file ([GTAlignFile] by default); a relative path is relative
	// to the config directory. When the default file is absent, GTAlign's own game applies;
	// any other path must exist.
	Game string `toml:"game"`
	// StateDir is where nashd keeps what it learns (the response lengths per strategy);
	// empty means $XDG_STATE_HOME/nashd, else ~/.local/state/nashd. A relative path is
	// relative to the config directory. See [Snapshot.StateDir].
	StateDir string `toml:"state_dir"`
}

// DefaultDaemon returns the settings used when nashd.toml is absent; a file overrides them
// key by key.
func DefaultDaemon() Daemon {
	return Daemon{
		Server: Server{
			SocketMode:      "0600",
			MaxBodyBytes:    4 << 20,
			RequestTimeout:  Duration(10 * time.Minute),
			ShutdownTimeout: Duration(30 * time.Second),
		},
		Inference: Inference{Threads: ThreadsAuto, ContextSize: 0, BatchSize: 512, Slots: 2, QueueSize: 16},
		Log:       Log{Format: "text", Level: "info"},
		Reasoning: Reasoning{SelectionRule: "welfare", MismatchPolicy: "override", AnalyzeBy: "model", Mode: "none", Game: GTAlignFile},
	}
}

// Validate reports the first invalid setting, naming its key.
func (d *Daemon) Validate() error {
	s := &d.Server
	if _, err := d.Server.Mode(); err != nil {
		return err
	}
	for _, u := range s.AllowedUIDs {
		if u < 0 {
			return fmt.Errorf("server.allowed_uids: negative uid %d", u)
		}
	}
	if s.TCP != "" {
		if len(s.AllowedUIDs) > 0 {
			return fmt.Errorf("server.tcp: cannot be combined with server.allowed_uids (TCP connections carry no peer credentials)")
		}
		if err := CheckLoopback(s.TCP); err != nil {
			return fmt.Errorf("server.tcp: %w", err)
		}
	}
	if s.MaxBodyBytes < 1024 {
		return fmt.Errorf("server.max_body_bytes: %d is below the minimum 1024", s.MaxBodyBytes)
	}
	if s.RequestTimeout <= 0 {
		return fmt.Errorf("server.request_timeout: must be positive")
	}
	if s.ShutdownTimeout < 0 {
		return fmt.Errorf("server.shutdown_timeout: must not be negative")
	}
	in := &d.Inference
	switch {
	case in.Threads.Validate() != nil:
		return fmt.Errorf("inference.threads: %w", in.Threads.Validate())
	case in.BatchThreads.Validate() != nil:
		return fmt.Errorf("inference.batch_threads: %w", in.BatchThreads.Validate())
	case in.Poll < 0 || in.Poll > MaxPoll:
		return fmt.Errorf("inference.poll: %d outside [0, %d]", in.Poll, MaxPoll)
	case in.ContextSize < 0 || (in.ContextSize > 0 && in.ContextSize < 16):
		return fmt.Errorf("inference.context_size: %d: want 0 (the model's trained context, at most 4096) or at least 16", in.ContextSize)
	case in.BatchSize < 1:
		return fmt.Errorf("inference.batch_size: %d < 1", in.BatchSize)
	case in.Slots < 1 || in.Slots > 64:
		return fmt.Errorf("inference.slots: %d outside [1, 64]", in.Slots)
	case in.QueueSize < 0:
		return fmt.Errorf("inference.queue_size: %d < 0", in.QueueSize)
	case in.GPULayers.Validate() != nil:
		return fmt.Errorf("inference.gpu_layers: %w", in.GPULayers.Validate())
	case in.MainGPU < 0 || in.MainGPU > MaxMainGPU:
		return fmt.Errorf("inference.main_gpu: %d outside [0, %d]", in.MainGPU, MaxMainGPU)
	case strings.ContainsRune(in.GPUBackends, 0):
		return fmt.Errorf("inference.gpu_backends: the path contains a NUL byte")
	}
	switch d.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format: %q is not \"text\" or \"json\"", d.Log.Format)
	}
	if _, err := ParseLevel(d.Log.Level); err != nil {
		return fmt.Errorf("log.level: %w", err)
	}
	switch d.Reasoning.SelectionRule {
	case "welfare", "nash_product":
	default:
		return fmt.Errorf("reasoning.selection_rule: %q is not \"welfare\" or \"nash_product\"", d.Reasoning.SelectionRule)
	}
	switch d.Reasoning.MismatchPolicy {
	case "override", "annotate", "reject":
	default:
		return fmt.Errorf("reasoning.mismatch_policy: %q is not \"override\", \"annotate\" or \"reject\"", d.Reasoning.MismatchPolicy)
	}
	switch d.Reasoning.AnalyzeBy {
	case "model", "solver":
	default:
		return fmt.Errorf("reasoning.analyze_by: %q is not \"model\" or \"solver\"", d.Reasoning.AnalyzeBy)
	}
	switch d.Reasoning.Mode {
	case "none", "gtalign":
	default:
		return fmt.Errorf("reasoning.mode: %q is not \"none\" or \"gtalign\"", d.Reasoning.Mode)
	}
	if strings.TrimSpace(d.Reasoning.Game) == "" {
		return fmt.Errorf("reasoning.game: empty (the default is %q)", GTAlignFile)
	}
	if strings.ContainsRune(d.Reasoning.StateDir, 0) || strings.ContainsRune(d.Reasoning.Game, 0) {
		return fmt.Errorf("reasoning: a path contains a NUL byte")
	}
	return nil
}

// Mode parses SocketMode ("0600").
func (s *Server) Mode() (uint32, error) {
	m, err := strconv.ParseUint(s.SocketMode, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("server.socket_mode: %q is not an octal permission like \"0600\"", s.SocketMode)
	}
	if m&0o600 != 0o600 {
		return 0, fmt.Errorf("server.socket_mode: %q must give the owner read and write (0600)", s.SocketMode)
	}
	return uint32(m), nil
}

// CheckLoopback reports an error unless addr is host:port with a loopback IP host
// ("localhost" is accepted and means 127.0.0.1).
func CheckLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: bad port", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (nashd listens on TCP only on 127.0.0.1 or ::1)", addr)
	}
	return nil
}

// ParseLevel parses a slog level name.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}

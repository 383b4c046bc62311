package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure a Server. Store and Models are required.
type Options struct {
	Store  *config.Store
	Models *modelmgr.Manager
	Logger *slog.Logger
	// Games solves games for POST /v1/games/solve; nil answers 501.
	Games GameBackend
	// Inspect, when set, describes a configured model file that is not loaded (GET /v1/models).
	Inspect func(path string) (any, error)
	// Version is reported in /v1/status and system_fingerprint.
	Version string
	// GPU, when set, lists the GPU devices in /v1/status.
	GPU GPU
}

// GPU is the daemon's GPU side (package daemon/modelload's *GPU): it loads the GPU backend
// libraries once at start, lists their devices and places models' layers on them. The
// daemon package itself has no cgo.
type GPU interface {
	// Load loads the backend libraries in dir ("" = the default directory, if it exists)
	// before any model loads, logging the devices. An error stops the daemon (a directory
	// named explicitly that does not exist); a backend that fails to load is logged, shown
	// by Status, and leaves every model on the CPU.
	Load(dir string, log *slog.Logger) error
	// Status lists the devices with their current memory.
	Status() api.GPUStatus
	// Place is the model manager's [modelmgr.Placer].
	Place(spec config.Spec) (modelmgr.Placement, error)
}

// Env is what every handler gets: the config snapshot in force when the request arrived
// (a request sees one consistent config from start to end) and the model manager.
type Env struct {
	Config *config.Snapshot
	Models *modelmgr.Manager
	Log    *slog.Logger
	server *Server
}

// Acquire admits the request against the queue and leases the named model ("" = the
// serving default). Release the lease when done.
func (e *Env) Acquire(model string) (*modelmgr.Lease, error) { return e.Models.Acquire(model) }

// RecordTokens adds a generation's token counts and speed to the metrics.
func (e *Env) RecordTokens(prompt, completion int, genMS float64) {
	m := e.server.metrics
	m.tokens.WithLabelValues("prompt").Add(float64(prompt))
	m.tokens.WithLabelValues("completion").Add(float64(completion))
	if genMS > 0 && completion > 0 {
		m.genSecs.Add(genMS / 1000)
		tps := float64(completion) / (genMS / 1000)
		m.tps.Set(tps)
		m.tpsHist.Observe(tps)
	}
}

// HandlerFunc is a handler with its Env.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, env *Env)

// GameBackend parses and solves games for /v1/games/solve and games/*.toml: the daemon wires
// the solver in (package daemon/gamesolver).
type GameBackend interface {
	// ParseFile parses a games/*.toml file (also used as the config store's GameParser).
	ParseFile(file string, data []byte) (*game.Game, error)
	// ParseJSON parses a game given inline as JSON (the TOML schema's structure).
	ParseJSON(data []byte) (*game.Game, error)
	// EncodeJSON encodes a game in the schema ParseJSON reads (the solve answer's "game").
	EncodeJSON(g *game.Game) ([]byte, error)
	// Solve solves a game with a method ("" = the solver's default). Its errors are
	// *api.APIError values (an unknown or inapplicable method, a game it cannot solve) or the
	// context's error.
	Solve(ctx context.Context, g *game.Game, method string) (*solver.Report, error)
}

// Server is nashd's HTTP API.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	started time.Time
	lengths *learnedLengths

	mu      sync.Mutex
	srv     *http.Server
	methods map[string][]string // path → methods, for 405 answers
}

// New builds the server and its routes.
func New(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Models == nil {
		return nil, errors.New("daemon.New: Store and Models are required")
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), started: time.Now()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.metrics = newMetrics(opts.Store, opts.Models)
	s.lengths = &learnedLengths{log: s.log}
	s.lengths.get(opts.Store.Current()) // load (and report) the learned lengths now
	s.Handle("POST /v1/chat/completions", s.chat)
	s.Handle("POST /v1/reason", s.reason)
	s.Handle("GET /v1/models", s.models)
	s.Handle("POST /v1/games/solve", s.solve)
	s.Handle("GET /v1/games", s.listGames)
	s.Handle("POST /v1/games/play", s.play)
	s.Handle("GET /health", s.health)
	s.Handle("GET /v1/status", s.status)
	s.completionRoutes()
	metricsH := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
	s.Handle("GET /metrics", func(w http.ResponseWriter, r *http.Request, _ *Env) { metricsH.ServeHTTP(w, r) })
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, &api.APIError{Status: http.StatusNotFound, Message: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path), Type: api.TypeInvalidRequest, Code: "not_found"})
	})
	return s, nil
}

// Handle registers h for pattern (net/http ServeMux syntax, e.g. "POST /v1/reason") with
// the body limit, metrics, panic recovery and peer check that every route gets (cmd/nashd
// and tests can add routes through [RunOptions.Routes]).
func (s *Server) Handle(pattern string, h HandlerFunc) {
	endpoint := pattern
	if method, path, ok := strings.Cut(pattern, " "); ok {
		s.addMethod(path, method)
	}
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		snap := s.opts.Store.Current()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panic (a bug)", "endpoint", endpoint, "panic", p, "stack", string(debug.Stack()))
				if !sw.wrote {
					WriteError(sw, &api.APIError{Status: 500, Message: fmt.Sprintf("internal error: %v", p), Type: api.TypeServer})
				}
			}
			code := sw.code
			if code == 0 {
				code = 200
			}
			s.metrics.requests.WithLabelValues(endpoint, itoa(code)).Inc()
			s.metrics.duration.WithLabelValues(endpoint).Observe(time.Since(t0).Seconds())
		}()
		if err := s.checkPeer(r, snap); err != nil {
			WriteError(sw, err)
			return
		}
		r.Body = http.MaxBytesReader(sw, r.Body, snap.Daemon.Server.MaxBodyBytes)
		h(sw, r, &Env{Config: snap, Models: s.opts.Models, Log: s.log, server: s})
	}))
}

// addMethod records that path answers method and, the first time a path is seen, registers a
// method-less fallback for it that answers 405 with Allow.
func (s *Server) addMethod(path, method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.methods == nil {
		s.methods = map[string][]string{}
	}
	first := len(s.methods[path]) == 0
	s.methods[path] = append(s.methods[path], method)
	if !first {
		return
	}
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		allow := strings.Join(s.methods[path], ", ")
		s.mu.Unlock()
		w.Header().Set("Allow", allow)
		WriteError(w, &api.APIError{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("%s %s: method not allowed (allow: %s)", r.Method, path, allow), Type: api.TypeInvalidRequest, Code: "method_not_allowed"})
	})
}

// Handler returns the root handler (for tests and custom listeners).
func (s *Server) Handler() http.Handler { return s.mux }

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(c int) {
	if !w.wrote {
		w.code, w.wrote = c, true
	}
	w.ResponseWriter.WriteHeader(c)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = 200, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Serve serves on the listeners until ctx is done, then shuts down gracefully: it stops
// accepting, waits up to server.shutdown_timeout for in-flight requests, and closes the
// listeners (a Unix listener removes its socket file).
func (s *Server) Serve(ctx context.Context, ls ...net.Listener) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       peerConnContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errc <- srv.Serve(l) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			srv.Close()
			return err
		}
	}
	timeout := s.opts.Store.Current().Daemon.Server.ShutdownTimeout.D()
	s.log.Info("shutting down: draining in-flight requests", "deadline", timeout, "in_flight", s.opts.Models.Status().InFlight)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("drain deadline passed; closing remaining connections", "err", err)
		srv.Close()
	}
	return nil
}

// peerCheck enforces server.allowed_uids on Unix-socket connections.
func (s *Server) checkPeer(r *http.Request, snap *config.Snapshot) error {
	allowed := snap.Daemon.Server.AllowedUIDs
	if len(allowed) == 0 {
		return nil
	}
	uid, ok := peerUID(r.Context())
	if !ok {
		return &api.APIError{Status: http.StatusForbidden, Message: "peer credentials unavailable; server.allowed_uids is set", Type: api.TypePermission}
	}
	if uid == uint32(os.Getuid()) || slices.Contains(allowed, int(uid)) {
		return nil
	}
	return &api.APIError{Status: http.StatusForbidden, Message: fmt.Sprintf("uid %d is not in server.allowed_uids", uid), Type: api.TypePermission}
}

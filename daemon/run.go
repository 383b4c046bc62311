package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
)

// RunOptions configure Run: what cmd/nashd parses from flags plus the injected engine.
type RunOptions struct {
	ConfigDir string // required
	Socket    string // overrides server.socket
	LogFormat string // overrides log.format ("text" or "json")
	LogLevel  string // overrides log.level
	LogOutput io.Writer

	Load     modelmgr.Loader // required
	Estimate modelmgr.Estimator
	// GPU, when set, loads the GPU backends at start and places models' GPU layers
	// (cmd/nashd passes modelload's); nil: no GPU support, models load as configured.
	GPU GPU
	// GPUBackends is --gpu-backends: the backend directory, overriding nashd.toml's
	// inference.gpu_backends; both empty: GPU's default directory, if it exists.
	GPUBackends string
	Fallback    func() (string, error)
	Inspect     func(path string) (any, error)
	Games       GameBackend
	Version     string

	// Reload receives a value for each SIGHUP.
	Reload <-chan os.Signal
	// Ready, if set, is called with the socket path once the daemon listens.
	Ready func(socket string)
	// Routes, if set, can add handlers (it runs after the server is built and before the
	// config watch is armed).
	Routes func(s *Server)
}

// Run starts the daemon and blocks until ctx is done (SIGTERM/SIGINT in cmd/nashd), then
// drains in-flight requests, frees the models and removes the socket.
func Run(ctx context.Context, o RunOptions) error {
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	var games config.GameParser
	if o.Games != nil {
		games = o.Games.ParseFile
	}
	first, err := config.Load(o.ConfigDir, games)
	if err != nil {
		return fmt.Errorf("config %s: %w", o.ConfigDir, err)
	}
	format := first.Daemon.Log.Format
	if o.LogFormat != "" {
		format = o.LogFormat
	}
	level := new(slog.LevelVar)
	lv, _ := config.ParseLevel(first.Daemon.Log.Level)
	if o.LogLevel != "" {
		if lv, err = config.ParseLevel(o.LogLevel); err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
	}
	level.Set(lv)
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(o.LogOutput, &slog.HandlerOptions{Level: level})
	case "text":
		h = slog.NewTextHandler(o.LogOutput, &slog.HandlerOptions{Level: level})
	default:
		return fmt.Errorf("--log-format: %q is not text or json", format)
	}
	log := slog.New(h)
	// The engine and llama.cpp log through slog.Default: route them to the same handler.
	slog.SetDefault(log)

	store, err := config.Open(o.ConfigDir, config.StoreOptions{Games: games, Logger: log})
	if err != nil {
		return fmt.Errorf("config %s: %w", o.ConfigDir, err)
	}
	snap := store.Current()
	if o.GPU != nil {
		// Before any model loads: the backends' devices must be registered by then.
		dir := o.GPUBackends
		if dir == "" {
			dir = snap.GPUBackendsDir()
		}
		if err := o.GPU.Load(dir, log); err != nil {
			return fmt.Errorf("GPU backends: %w", err)
		}
	}
	sock := SocketPath(o.Socket, snap)
	mode, _ := snap.Daemon.Server.Mode()
	ul, err := ListenUnix(sock, os.FileMode(mode), snap.Daemon.Server.SocketGroup)
	if err != nil {
		return err
	}
	listeners := []net.Listener{ul}
	if tcp := snap.Daemon.Server.TCP; tcp != "" {
		tl, err := ListenTCP(tcp)
		if err != nil {
			ul.Close()
			return fmt.Errorf("server.tcp: %w", err)
		}
		listeners = append(listeners, tl)
		log.Info("listening on loopback TCP", "addr", tl.Addr().String())
	}

	var place modelmgr.Placer
	if o.GPU != nil {
		place = o.GPU.Place
	}
	mm := modelmgr.New(modelmgr.Options{Load: o.Load, Estimate: o.Estimate, Place: place, Fallback: o.Fallback,
		QueueSize: snap.Daemon.Inference.QueueSize, Logger: log})
	srv, err := New(Options{Store: store, Models: mm, Logger: log, Games: o.Games, Inspect: o.Inspect, Version: o.Version, GPU: o.GPU})
	if err != nil {
		ul.Close()
		return err
	}
	if o.Routes != nil {
		o.Routes(srv)
	}
	store.OnChange(func(old, new *config.Snapshot) {
		if o.LogLevel == "" {
			if l, err := config.ParseLevel(new.Daemon.Log.Level); err == nil {
				level.Set(l)
			}
		}
		mm.SetQueueSize(new.Daemon.Inference.QueueSize)
		mm.Set(new.DefaultSpec())
		was, now := old.Daemon.Server, new.Daemon.Server
		if was.Socket != now.Socket || was.SocketMode != now.SocketMode || was.SocketGroup != now.SocketGroup || was.TCP != now.TCP {
			log.Warn("listener settings changed in nashd.toml; they apply after a restart")
		}
		if old.GPUBackendsDir() != new.GPUBackendsDir() {
			log.Warn("inference.gpu_backends changed in nashd.toml; it applies after a restart")
		}
	})
	mm.Set(snap.DefaultSpec())
	if snap.DefaultSpec() == nil {
		log.Warn("no model configured (models.toml); chat is unavailable, /v1/games/solve works")
	}

	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	// Arm the watch before reporting ready: Arm applies any edit made since the store read
	// the files, and every later edit raises an event, so none is lost at start-up.
	if w, err := store.Arm(config.WatchOptions{}); err != nil {
		log.Error("config watcher not started; SIGHUP still reloads", "err", err)
	} else {
		go func() {
			err := w.Run(wctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Error("config watcher stopped; SIGHUP still reloads", "err", err)
			}
		}()
	}
	go func() {
		for {
			select {
			case <-wctx.Done():
				return
			case _, ok := <-o.Reload:
				if !ok {
					return
				}
				log.Info("SIGHUP: reloading config")
				store.Reload("SIGHUP")
				mm.Retry()
			}
		}
	}()
	log.Info("nashd listening", "socket", sock, "mode", fmt.Sprintf("%04o", mode), "config", store.Dir(), "generation", store.Current().Generation, "version", o.Version, "pid", os.Getpid())
	if o.Ready != nil {
		o.Ready(sock)
	}
	err = srv.Serve(ctx, listeners...)
	stopWatch()
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cerr := mm.Close(cctx); cerr != nil {
		log.Warn("freeing models", "err", cerr)
	}
	if _, statErr := os.Lstat(sock); statErr == nil {
		// The listener unlinks on close; make sure no stale file is left.
		os.Remove(sock)
	}
	log.Info("nashd stopped")
	return err
}

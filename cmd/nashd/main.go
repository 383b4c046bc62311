// Command nashd is the nashd daemon: it serves an OpenAI-compatible API and nashd's game
// solver over a Unix socket, runs the configured llama.cpp model, and hot-reloads its TOML
// configuration. Run `nashd --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/models"
)

var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("nashd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configDir := fs.String("config", defaultConfigDir(), "configuration `DIR` (nashd.toml, models.toml, pricing.toml, games/)")
	socket := fs.String("socket", "", "Unix socket `PATH` (default: server.socket, else $XDG_RUNTIME_DIR/nashd.sock, else DIR/nashd.sock)")
	logFormat := fs.String("log-format", "", "log format: text or json (default: log.format in nashd.toml)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error (default: log.level)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: nashd [--config DIR] [--socket PATH] [--log-format text|json] [--log-level LEVEL]

nashd serves an OpenAI-compatible chat API, nashd's game solver and its status over a Unix
socket (HTTP/1.1: curl --unix-socket PATH http://nashd/health). It runs in the foreground and
logs to stderr. Edit the TOML files in the config directory while it runs: changes apply to
the next request, and a changed default model is swapped in without dropping requests.
Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads the config.

options:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nashd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *showVersion {
		fmt.Println("nashd", version)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	err := daemon.Run(ctx, daemon.RunOptions{
		ConfigDir: *configDir, Socket: *socket, LogFormat: *logFormat, LogLevel: *logLevel,
		Load: loadEngine, Estimate: estimate, Fallback: fallbackModel, Inspect: inspect,
		Games: gameBackend(), Version: version, Reload: hup,
	})
	if err != nil {
		fmt.Fprintln(stderr, "nashd:", err)
		return 1
	}
	return 0
}

func defaultConfigDir() string {
	if d := os.Getenv("NASHD_CONFIG"); d != "" {
		return d
	}
	if _, err := os.Stat("configs/nashd.toml"); err == nil {
		return "configs"
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "nashd")
	}
	return "configs"
}

func loadEngine(spec config.Spec, progress func(float32)) (modelmgr.Generator, error) {
	return engine.Open(spec.Path, engine.Options{
		ContextSize: spec.ContextSize, BatchSize: spec.BatchSize, Threads: spec.Threads,
		BatchThreads: spec.BatchThreads, GPULayers: spec.GPULayers, Slots: spec.Slots,
		ChatTemplate: spec.ChatTemplate, Progress: progress,
	})
}

func estimate(spec config.Spec) (uint64, error) {
	info, err := models.ReadInfo(spec.Path)
	if err != nil {
		return 0, err
	}
	return models.EstimateMemory(info, spec.ContextSize, spec.Slots), nil
}

func inspect(path string) (any, error) { return models.ReadInfo(path) }

// fallbackModel returns the built-in test model, generating it once under the user cache
// directory.
func fallbackModel() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	p := filepath.Join(dir, "nashd", "nashd-random-tiny.gguf")
	if _, err := os.Stat(p); err == nil {
		if models.Validate(p) == nil {
			return p, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		return "", err
	}
	tmp := p + ".tmp"
	if err := models.Generate(tmp, spec); err != nil {
		return "", err
	}
	return p, os.Rename(tmp, p)
}

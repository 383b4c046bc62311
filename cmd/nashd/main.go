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
	"syscall"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/daemon/paths"
)

var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("nashd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configDir := fs.String("config", defaultConfigDir(), "configuration `DIR` (nashd.toml, models.toml, pricing.toml, gtalign.toml, games/)")
	socket := fs.String("socket", "", "Unix socket `PATH` (default: $NASHD_SOCKET, else server.socket, else $XDG_RUNTIME_DIR/nashd.sock, else DIR/nashd.sock)")
	logFormat := fs.String("log-format", "", "log format: text or json (default: log.format in nashd.toml)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error (default: log.level)")
	gpuBackends := fs.String("gpu-backends", "", "GPU backend library `DIR` (default: inference.gpu_backends in nashd.toml, else <nashd's dir>/../lib/nashd if it exists: where make gpu puts them)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: nashd [--config DIR] [--socket PATH] [--log-format text|json] [--log-level LEVEL] [--gpu-backends DIR]

nashd serves an OpenAI-compatible chat API, GTAlign reasoning (POST /v1/reason, or chat with
"reasoning": "gtalign"), nashd's game solver and its status over a Unix socket (HTTP/1.1:
curl --unix-socket PATH http://nashd/health). It runs in the foreground and logs to stderr.
Edit the TOML files in the config directory while it runs: changes apply to the next request,
and a changed default model is swapped in without dropping requests.
Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads the config.
GPU: nashd loads the GPU backends built by make gpu at start and logs their devices; models
offload layers with gpu_layers (a count or "auto") in models.toml. nash version lists the
devices.

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
		Load: modelload.Load, Estimate: modelload.Estimate, Fallback: modelload.FallbackModel, Inspect: modelload.Inspect,
		GPU: modelload.NewGPU(), GPUBackends: *gpuBackends,
		Games: gameBackend(), Version: version, Reload: hup,
	})
	if err != nil {
		fmt.Fprintln(stderr, "nashd:", err)
		return 1
	}
	return 0
}

// defaultConfigDir is the --config default: $NASHD_CONFIG, else ./configs when it holds
// nashd.toml, else the user config dir's nashd/ (package paths, shared with nash).
func defaultConfigDir() string { return paths.ConfigDir() }

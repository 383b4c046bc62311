package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/daemon/gamesolver"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/models"
)

// tinyModelFile generates the tiny random-weight test model in dir.
func tinyModelFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tiny.gguf")
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Generate(p, spec); err != nil {
		t.Fatal(err)
	}
	return p
}

// runDaemon writes files (name relative to a fresh config directory → content) and runs
// nashd in-process on them, as cmd/nashd wires it, until the test ends. With waitModel it
// returns once the configured model serves.
func runDaemon(t *testing.T, files map[string]string, waitModel bool) (dir, sock string) {
	t.Helper()
	dir = t.TempDir()
	for name, s := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sockDir, err := os.MkdirTemp("", "nash") // short: sun_path holds 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock = filepath.Join(sockDir, "s.sock")
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.RunOptions{ConfigDir: dir, Socket: sock, LogOutput: io.Discard, Load: modelload.Load,
			Games: gamesolver.Backend{}, Version: "test", Ready: func(s string) { ready <- s }})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("daemon.Run: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the daemon did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon.Run: %v", err)
		}
	})
	if waitModel {
		if err := client.New(sock).WaitModel(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	return dir, sock
}

// shippedGames returns configs/games files named by names (all when none), keyed as
// "games/NAME.toml" for runDaemon.
func shippedGames(t *testing.T, names ...string) map[string]string {
	t.Helper()
	if len(names) == 0 {
		files, err := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no games in %s: %v", gamesDir, err)
		}
		for _, f := range files {
			names = append(names, filepath.Base(f[:len(f)-len(".toml")]))
		}
	}
	out := map[string]string{}
	for _, g := range names {
		b, err := os.ReadFile(filepath.Join(gamesDir, g+".toml"))
		if err != nil {
			t.Fatal(err)
		}
		out["games/"+g+".toml"] = string(b)
	}
	return out
}

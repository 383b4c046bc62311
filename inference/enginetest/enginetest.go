// Package enginetest opens the real llama.cpp engine on nashd's tiny random-weight test model
// for the integration tests of the packages that stand on [inference.Generator] (reasoning,
// experiments): the model is generated once per test binary, and [Main] removes it.
package enginetest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/models"
)

var (
	dirMu sync.Mutex
	dir   string
)

// tiny generates the tiny model ([models.ShapeSpec] "tiny") once per test binary.
var tiny = sync.OnceValues(func() (string, error) {
	d, err := os.MkdirTemp("", "nashd-enginetest-")
	if err != nil {
		return "", err
	}
	dirMu.Lock()
	dir = d
	dirMu.Unlock()
	p := filepath.Join(d, "tiny.gguf")
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		return "", err
	}
	return p, models.Generate(p, spec)
})

// Main runs the tests and removes the generated model; call it from TestMain as
// os.Exit(enginetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	dirMu.Lock()
	defer dirMu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}

// TinyPath returns the tiny model's path, generating it on first use.
func TinyPath(tb testing.TB) string {
	tb.Helper()
	p, err := tiny()
	if err != nil {
		tb.Fatalf("tiny test model: %v", err)
	}
	return p
}

// OpenTiny opens the engine on the tiny model (skipped under -short). Zero options take one
// thread and a context of 4096 tokens per slot, room for GTAlign's prompt in the model's
// byte-level vocabulary; the engine is closed when the test ends.
func OpenTiny(tb testing.TB, opts engine.Options) inference.Generator {
	tb.Helper()
	if testing.Short() {
		tb.Skip("short mode: no engine")
	}
	if opts.Threads == 0 {
		opts.Threads = 1
	}
	if opts.ContextSize == 0 {
		opts.ContextSize = 4096
	}
	e, err := engine.Open(TinyPath(tb), opts)
	if err != nil {
		tb.Fatalf("open the tiny test model: %v", err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

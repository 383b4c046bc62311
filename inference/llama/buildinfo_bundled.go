//go:build !system_llama

package llama

// buildInfo: the vendored tree of github.com/ollama/ollama v0.17.4 (upstream llama.cpp ec98e2002).
const buildInfo = "ec98e2002 (vendored by github.com/ollama/ollama v0.17.4)"

// TreeVersion names the ggml source tree compiled into this binary: GPU backend libraries
// must be built from the same tree (see [LoadBackends]).
const TreeVersion = "github.com/ollama/ollama@v0.17.4"

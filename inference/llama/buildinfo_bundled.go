//go:build !system_llama

package llama

// buildInfo: the vendored tree of github.com/ollama/ollama v0.17.4 (upstream llama.cpp ec98e2002).
const buildInfo = "ec98e2002 (vendored by github.com/ollama/ollama v0.17.4)"

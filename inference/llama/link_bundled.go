//go:build !system_llama

package llama

import (
	// Compiles and links libllama and ggml (CPU backend) from the ollama module's vendored tree.
	_ "github.com/ollama/ollama/llama/llama.cpp/src"
)

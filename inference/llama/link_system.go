//go:build system_llama

package llama

// #cgo pkg-config: llama
import "C"

// buildInfo: a system-wide libllama found with pkg-config (Homebrew, Debian trixie's libllama).
// Its llama.h must match the API this binding was written against (llama.cpp ec98e2002 or a
// compatible release).
const buildInfo = "system libllama (pkg-config llama)"

// TreeVersion names the ggml source tree compiled into this binary; a system libllama's tree
// is unknown, so [LoadBackends] refuses every stamped backend directory (the system's own
// backends are found by its libggml).
const TreeVersion = ""

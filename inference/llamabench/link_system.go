//go:build system_llama

package llamabench

// #cgo pkg-config: llama
import "C"

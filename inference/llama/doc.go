// Package llama is nashd's cgo binding to llama.cpp's public C API (llama.h).
//
// It is the only package in nashd that uses cgo. llama.cpp itself is compiled from the vendored
// tree in github.com/ollama/ollama@v0.17.4 (a blank import of its llama/llama.cpp/src package);
// the build tag system_llama links a system-wide libllama found with pkg-config instead.
package llama

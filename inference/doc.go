// Package inference defines the vocabulary shared by nashd's text generators: the
// [Generator] interface, requests, streamed tokens, results, timings with llama-server's
// field names, and the errors callers branch on. It has no cgo.
//
// # Implementations
//
//   - [github.com/nashd/nashd/inference/engine] runs a GGUF model with llama.cpp (through the
//     raw binding [github.com/nashd/nashd/inference/llama]);
//   - [github.com/nashd/nashd/inference/fakegen] answers from a script, for consumers' unit
//     tests (it does not run a model and does not enforce grammars).
//
// Every implementation passes the conformance suite
// [github.com/nashd/nashd/inference/inferencetest]. Consumers (the daemon's model manager,
// the reasoning pipeline) depend on [Generator] alone.
package inference

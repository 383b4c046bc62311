// Package inference defines the vocabulary shared by nashd's text generators: requests,
// streamed tokens, results, timings with llama-server's field names, and the errors callers
// branch on. It has no cgo; the llama.cpp-backed engine lives in [github.com/nashd/nashd/inference/engine]
// and the raw binding in [github.com/nashd/nashd/inference/llama].
//
// Consumers (the daemon, the reasoning pipeline) declare the small interface they need
// themselves, in terms of these types, so they can be tested against any generator.
package inference

// Package llama is nashd's cgo binding to llama.cpp's public C API (llama.h).
//
// It is the only package of nashd's daemon that uses cgo (package
// [github.com/nashd/nashd/inference/llamabench], the benchmarks' C reference loop, is the
// other cgo package, for tools and tests only). llama.cpp itself is compiled from the vendored
// tree in github.com/ollama/ollama@v0.17.4 (a blank import of its llama/llama.cpp/src package);
// the build tag system_llama links a system-wide libllama found with pkg-config instead.
//
// # Safety
//
// llama.cpp reports many failures by throwing C++ exceptions, which would abort the Go process.
// Every call that can throw (model load, context creation, tokenization, detokenization, chat
// templates, grammar parsing, sampling, decoding, quantization) goes through shim.cpp, which
// catches every exception and returns an error code and message; [Error] carries them, and one
// function (cError) turns C results into Go errors. Inputs llama.cpp asserts on instead of
// throwing (token ids, positions and sequence ids of a batch) are checked in Go first.
// Invalid grammars are reported as [ErrInvalidGrammar] with a line, column and reason.
//
// # Types
//
// [Model] (weights and vocabulary: tokenization, metadata, chat template), [Context] (KV cache
// and compute state; [Context.Decode] of a multi-sequence [Batch], [Context.DecodeWithin]
// with a time limit, KV memory operations for prefix reuse, an abort flag for cancellation,
// its own ggml thread pool, which runs generation and prompt steps with the thread counts
// [Context.SetThreads] sets, freed with it) and [Sampler] (penalties, top-k, top-p, min-p,
// temperature, seeded draw or greedy, optional GBNF grammar). Each owns C memory and has a
// Close (or Free) that is safe to call twice. A Context is not safe for concurrent use; one
// goroutine must own it ([Context.Abort] excepted). [Quantize] wraps llama_model_quantize.
//
// # Grammar sampling
//
// A grammar filter over a 151,936-token vocabulary costs tens of milliseconds per token. The
// [Sampler] follows llama.cpp's common_sampler: it samples without the grammar, checks only the
// chosen token against it, and filters only when that token is rejected. The filter itself is
// narrowed twice, both exactly: tokens whose first byte the grammar cannot accept next are
// skipped (single-byte tokens probe which bytes are allowed), and for greedy and top-k sampling
// candidates are visited in descending-logit chunks until enough allowed tokens are found.
// Each sampled token is accepted into the chain and the grammar exactly once (accepting twice
// throws "Unexpected empty grammar stack").
//
// llama.cpp's grammar code is not safe on untrusted grammars: its parser and matcher recurse
// without bounds (stack overflow), its left-recursion check misses rules that derive the empty
// string (endless recursion), and its matcher's stack sets can double with every character of
// an ambiguous grammar. So a grammar is parsed and checked by package gbnf (which mirrors
// llama.cpp's parser and is tested against it), and tokens are matched by grammar.cpp: the same
// elements and semantics as llama_grammar_apply_impl / llama_grammar_accept_impl, tested
// against them token by token, but iterative, deduplicating stack sets across stacks, and with
// a bound on stacks and work per call. llama.cpp's own grammar sampler runs only under
// NaiveGrammar, the reference for tests and benchmarks.
//
// # GPU backends
//
// The CPU backend is compiled in; GPU backends are shared libraries built from the same ggml
// tree (`make gpu`: libggml-vulkan.so, libggml-cuda.so) and loaded at run time by
// [LoadBackends], once per process and never implicitly, before the models that use them.
// The libraries leave ggml's symbols undefined and bind to the executable's ggml, which the
// package exports (-Wl,--export-dynamic), so their log lines go through [SetLogger] too. A
// stamp beside them names the tree they were built from; another tree is refused.
// [Devices] lists the GPU devices with their free memory. [ModelParams].GPULayers offloads
// layers; a model with none gets no device at all and a context without op offload, so CPU
// models compute exactly as without a backend (llama.cpp would otherwise send large prompt
// batches of a CPU model to the device: 50 times slower on a software device).
//
// # Logging
//
// llama.cpp's and ggml's log output goes to log/slog ([SetLogger]; default slog.Default()):
// llama.cpp errors at Error, warnings at Warn, its informational chatter at Debug and its debug
// output below Debug, so an Info-level logger shows only warnings and errors.
package llama

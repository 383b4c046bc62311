// Package engine runs text generation on a llama.cpp model for nashd. It is pure Go on top of
// the cgo binding in [github.com/nashd/nashd/inference/llama].
//
// # Scheduling
//
// An [Engine] owns one llama.cpp context with Options.Slots sequences. llama.cpp contexts are
// not thread-safe, so a single scheduler goroutine owns it. Each request occupies a slot (a
// sequence id); every step the scheduler builds one batch holding the next token of every
// generating slot and prompt chunks of slots still reading their prompt (up to the batch
// size), calls llama_decode once, then samples each slot with its own sampler chain. This is
// llama-server's continuous batching.
//
// # Prefix reuse
//
// A slot remembers the tokens in its part of the KV cache. A new request goes to the free slot
// whose cache shares the longest prefix with its prompt; the rest of that cache is removed
// (llama_memory_seq_rm) and only the new suffix is decoded (at least the last prompt token, to
// get its logits). Timings.CacheN reports the reused tokens, as llama-server does.
//
// # Streaming
//
// Tokens are delivered from the caller's goroutine. Text that ends inside an incomplete UTF-8
// character, or that could be the start of a stop string, is held back until it is resolved,
// so streamed text is always valid UTF-8 and never contains a stop string or anything after
// it.
//
// # Grammars
//
// GBNF grammars constrain sampling. The sampler (see [github.com/nashd/nashd/inference/llama.Sampler])
// first samples without the grammar and checks only that token; it filters the vocabulary
// only when that token is rejected, and then visits candidates in descending-logit chunks so
// greedy and top-k sampling stop after the first chunk that holds enough allowed tokens.
//
// # Threads
//
// Options.Threads (generation) and Options.BatchThreads (prompt processing) default to the
// number of physical cores ([PhysicalCores]). ggml's worker threads spin while waiting for each
// other: with more threads than free cores a decode can become orders of magnitude slower
// (inference.md measured a tiny model at 8 ms with one thread and 5.6 s with two on a 2-core
// machine busy with other work). On a shared machine set them below the core count.
// Measurements on this project's 2-core machine are in scripts/bench-inference.sh's output
// and the inference helper's report.
//
// # Cancellation
//
// Cancelling a Generate's context stops delivery immediately; the scheduler frees the slot at
// its next step, and if a decode is running it is interrupted through llama.cpp's abort
// callback (the interrupted batch is retried for the other slots).
package engine

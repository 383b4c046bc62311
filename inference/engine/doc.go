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
// other, so they need a core each for the whole decode: with more threads than free cores a
// decode becomes orders of magnitude slower. Measured with scripts/bench-inference.sh on this
// project's 2-core machine (Qwen2.5-0.5B shape, Q4_K_M, 128-token prompt):
//
//	threads  machine         prompt tok/s  generation tok/s
//	1        quiet           61            21
//	2        quiet           120           35
//	1        busy (load 5)   25-45         15-16
//	2        busy (load 5)   25-44         2-4 (0.4 at worst)
//
// Two threads double throughput on an idle machine and lose a factor of 5 to 80 on a busy
// one. On a shared machine set Threads below the number of cores others leave free; prompt
// processing (large matrix products) suffers less than generation, so BatchThreads can stay
// higher.
//
// # Cancellation
//
// Cancelling a Generate's context stops delivery immediately; the scheduler frees the slot at
// its next step, and if a decode is running it is interrupted through llama.cpp's abort
// callback (the interrupted batch is retried for the other slots).
package engine

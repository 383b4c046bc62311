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
// whose cache shares the longest prefix with its prompt when that prefix covers at least half
// of the prompt, else (as llama-server's slot similarity) to the free slot used least
// recently, so concurrent conversations keep their own caches; the rest of that cache is
// removed (llama_memory_seq_rm) and only the new suffix is decoded (at least the last prompt
// token, to get its logits). Timings.CacheN reports the reused tokens, as llama-server does.
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
// ggml's worker threads meet at a spinning barrier after every graph node, so a decode needs
// a core for each of its threads for the whole step: when another program preempts one, the
// others spin until it runs again. Measured with scripts/bench-inference.sh on this
// project's 2-core machine (Qwen2.5-0.5B shape, Q4_K_M, 128-token prompt):
//
//	threads  machine         prompt tok/s  generation tok/s
//	1        quiet           61            21
//	2        quiet           120           35
//	1        busy (load 5)   25-45         15-16
//	2        busy (load 5)   25-44         2-4 (0.4 at worst)
//
// So the thread counts adapt to the load (Options.Threads 0 or [AutoThreads], the default).
// Single-token steps (generation) and multi-token steps (prompts, several slots together)
// each have a controller (package [github.com/nashd/nashd/inference/engine/threadctl]) that
// picks 1 to [PhysicalCores] threads from the time of every step: a short step much slower
// than usual for its size is stopped (llama.cpp's abort callback) and run again with one
// thread fewer, and two such stops in a few steps mean one thread fewer; a lasting slowdown,
// or a stalled step too long to stop, tries one thread fewer; after a hold, one thread more
// is tried again, with hysteresis against load that comes and goes, and at once when
// /proc/stat shows that other programs leave a core free. A model below 5 M parameters
// generates with one thread (its steps are too short to share). [Engine.ThreadStats]
// reports the counts and the stalls seen. A positive Options.Threads fixes the count
// (Options.BatchThreads the prompt steps' count; 0 follows Threads). The thread pools are
// the engine's own (llama_attach_threadpool), at polling level Options.Poll
// ([DefaultPoll]: idle workers sleep at once), and are freed with it.
//
// # Cancellation
//
// Cancelling a Generate's context stops delivery immediately; the scheduler frees the slot at
// its next step, and if a decode is running it is interrupted through llama.cpp's abort
// callback (the interrupted batch is retried for the other slots).
package engine

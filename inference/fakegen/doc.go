// Package fakegen is a scripted [inference.Generator] for the unit tests of code that uses a
// generator (the daemon, the reasoning pipeline, the agents). It runs no model: each request
// is answered by a [Script], and the reply is streamed back the way the llama.cpp engine
// streams a model's output, so the consumer's handling of streaming, stop strings, token
// limits, cancellation, closing and KV-cache reuse can be tested in milliseconds and without
// cgo. It passes the conformance suite [github.com/nashd/nashd/inference/inferencetest].
//
// # Tokens
//
// One token is one Unicode code point, and its ID is the code point: Tokenize("ab", false)
// is [97 98]. addSpecial prepends [BOS]. Special-token text such as "<|im_start|>" is not
// special: it is tokenized character by character. A reply is generated one code point per
// token; text that could begin a stop string is held back until it is known not to be one
// (as the engine does), and text still held back when the reply ends is delivered with a
// final [EOS] token that is not part of [inference.Result.Tokens].
//
// # What it does not do
//
// It does not enforce GBNF grammars: a request's grammar is checked (an invalid one is
// rejected with [inference.ErrInvalidGrammar], as the engine rejects it), but the scripted
// reply is returned as it is. Tests that need grammar-valid output script it. Sampling
// settings are not applied either; they reach the script in the request, which may use them
// (for example to vary the reply with the seed).
//
// # Scheduling and the cache
//
// The fake has one slot: Generate calls run one at a time, in the order they get the slot,
// and the script is never called concurrently. Like an engine slot it remembers the tokens
// of the last request (its prompt and the tokens generated): [inference.Timings.CacheN] is
// the length of the common prefix of those tokens and the new prompt, at most the prompt's
// length minus one (an engine decodes at least the last prompt token), so a pipeline's
// accounting of KV-cache reuse can be unit-tested.
package fakegen

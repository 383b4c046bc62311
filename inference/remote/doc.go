// Package remote is an [inference.Generator] backed by an OpenAI-compatible server:
// llama.cpp's llama-server, vLLM, another nashd, or any server of OpenAI's completions API.
// nashd keeps its grammars, GTAlign passes, solver and pricing local and sends raw-prompt
// continuations to the server, so a 70B-class model on a GPU cluster serves the same
// pipeline as a local GGUF file.
//
// # Requests
//
// [Generator.Generate] posts to BASE/completions with "stream": true and reads the
// Server-Sent Events. The prompt goes as token ids when the request has them
// ([inference.Request.Tokens]; every dialect but "openai"), else as text. How the rest is
// passed depends on the dialect:
//
//   - "nashd" and "llama-server": "grammar" (GBNF), "cache_prompt": true (the server keeps
//     the slot's KV cache, so GTAlign's passes reuse their prefix: see cache_n in the
//     result's timings), top_k, min_p, repeat_penalty. nashd also honours "add_special"
//     and streams each token's id ("tokens"); llama-server is asked for ids with
//     "return_tokens": true, and a prompt that must not get BOS is tokenized first
//     (/tokenize with add_special false) and sent as ids.
//   - "vllm": the grammar goes in "structured_outputs": {"grammar": ...} (vLLM ≥ 0.10.2;
//     older releases named it "guided_grammar"), "add_special_tokens", top_k, min_p,
//     "repetition_penalty". vLLM caches prefixes by itself (automatic prefix caching).
//     No real vLLM was run while building this package: its request bodies are checked
//     against golden files by a test server.
//   - "openai": OpenAI's fields only; a grammar is not sent (the server cannot take one),
//     so output is unconstrained ([inference.ModelInfo.NoGrammar] is set) and the caller's
//     parser decides: the game agents retry an answer that does not parse a bounded number
//     of times, then forfeit; GTAlign parses its payoff pass tolerantly and retries it a
//     bounded number of times, then fails with the last parse error.
//
// A server that streams no token ids (vLLM, OpenAI) gives [inference.Token.ID] -1 and an
// empty [inference.Result.Tokens]; KV-exact continuation then needs text prompts.
//
// # Other methods
//
// Tokenize posts to ROOT/tokenize (ROOT is the URL without its trailing /v1) for nashd,
// llama-server and vLLM. The "openai" dialect has no tokenizer endpoint: Tokenize then
// returns an estimate, one pseudo-token (id 0) per 4 bytes of text, good for lengths and
// prices, never for token ids.
//
// ChatPrompt renders a built-in chat format when the model's chat_template names one
// ("chatml", "llama3"); otherwise nashd and llama-server render it with the server's own
// template (POST ROOT/apply-template); vLLM and OpenAI servers expose none, so a chat
// template name must be configured.
//
// # Faults
//
// An unreachable server fails with [ErrUnreachable]; a refused key (401, 403) with
// [ErrUnauthorized]; 429 and 503 are retried up to [Options.MaxRetries] times after
// Retry-After (capped by [Options.MaxRetryWait]), then fail with [ErrBusy]; a stream that
// ends without its final event fails with [ErrStreamCut]; a call the server does not finish
// within [Options.Timeout] fails with [ErrTimeout] (the caller's own deadline or cancellation
// returns the context's error instead). The server's answers to bad requests map to
// [inference.ErrInvalidRequest], [inference.ErrInvalidGrammar] and
// [inference.ErrPromptTooLong]. The API key, read from the environment variable
// [Options.APIKeyEnv], is sent only as a bearer token: no error or log line contains it.
package remote

// Package daemon is nashd's server: an HTTP/1.1 API on a Unix socket (and optionally
// loopback TCP) that serves an OpenAI-compatible chat API on the configured llama.cpp
// model, nashd's game solver, status and metrics, and hot-reloads its TOML configuration.
//
// # Endpoints
//
//	POST /v1/chat/completions  OpenAI chat completions: stream (SSE, data: [DONE]), max_tokens /
//	                           max_completion_tokens, temperature, top_p, seed, stop, response_format
//	                           (json_object, json_schema → GBNF via package grammar), llama-server's
//	                           top_k, min_p, repeat_penalty, grammar and timings; nashd's "reasoning"
//	GET  /v1/models            configured models, which one serves, metadata
//	POST /v1/games/solve       a game from configs/games by name, or inline JSON; no model needed
//	GET  /v1/games             the games loaded from configs/games
//	GET  /health               200 when ready, 503 + Retry-After while the model loads
//	GET  /v1/status            model state and load progress, queue, config versions, reload errors
//	GET  /metrics              Prometheus text (requests, queue depth, tokens, tokens/s, reloads, swaps)
//
// Errors use OpenAI's shape {"error": {"message", "type", "param", "code"}} with statuses 400
// (the field and why), 404 (unknown model, game or route), 405, 413 (body over
// server.max_body_bytes), 422 (prompt longer than the context), 501 (a reasoning mode not in
// this build), 503 + Retry-After (queue full, model loading), 504 (request timeout); 500 only
// for bugs (a recover middleware is the last line).
//
// # Seams for the reasoning package
//
// [Server.Handle] registers more routes (e.g. "POST /v1/reason", "POST /v1/games/play")
// with the same middleware; each handler gets an [Env] with the config [config.Snapshot] in
// force when the request arrived and the model manager ([Env.Acquire] leases the serving
// model; [modelmgr.Lease.Generate] runs on a slot). [Options.Reasoners] maps a chat
// "reasoning" mode ("gtalign") to a [ChatHook]; [RunOptions.Routes] lets cmd/nashd add both.
//
// # Lifecycle
//
// [Run] is the whole daemon: it loads the config directory ([config.Store]), listens
// ([ListenUnix]: stale sockets are removed, a live daemon makes it refuse), starts the model
// manager ([modelmgr.Manager]: background loads, swaps that drop nothing), watches the config
// (fsnotify + poll + SIGHUP), and on context cancellation (SIGTERM/SIGINT) drains in-flight
// requests up to server.shutdown_timeout, frees the models and removes the socket.
package daemon

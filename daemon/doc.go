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
//	                           ("gtalign": content is the response block, reasoning_content the
//	                           blocks before it, the result object in the "nashd" extension)
//	POST /v1/reason            GTAlign reasoning (package reasoning/gtalign) with its result object;
//	                           stream: true sends the transcript as events, then the result
//	GET  /v1/models            configured models (and their NAME@gtalign aliases), which one
//	                           serves, metadata
//	POST /v1/games/solve       a game from configs/games by name, or inline JSON; no model needed
//	                           (the report, its config provenance and, with include_game, the game)
//	GET  /v1/games             the games loaded from configs/games
//	POST /v1/games/play        two agents on the model play a game or Deal or No Deal, judged by
//	                           the solver (reasoning/agents, reasoning/dond); stream: true sends
//	                           each transcript event, then the result; a disconnect stops the game
//	GET  /health               200 when ready, 503 + Retry-After while the model loads
//	GET  /v1/status            model state and load progress, queue, config versions, reload errors
//	GET  /metrics              Prometheus text (requests, queue depth, tokens, tokens/s, reloads, swaps)
//
// The requests and responses are the types of package daemon/api, which clients share
// without linking this package.
//
// Errors use OpenAI's shape {"error": {"message", "type", "param", "code"}} ([api.APIError])
// with statuses 400
// (the field and why), 404 (unknown model, game or route), 405, 413 (body over
// server.max_body_bytes), 422 (prompt longer than the context; a GTAlign analysis refused
// by the "reject" policy, with the result so far), 501 (no game solver in this build), 502
// (a model's payoff block that does not parse), 503 + Retry-After (queue full, model
// loading; without Retry-After, a pricing.toml that prices no length for a game strategy),
// 504 (request timeout); 500 only for bugs (a recover middleware is the last line).
//
// # GTAlign reasoning
//
// A reasoning request (POST /v1/reason, or a chat completion in mode "gtalign": its
// "reasoning" field, the model alias "NAME@gtalign", or nashd.toml's reasoning.mode) runs
// the game of the request's config snapshot ([config.Snapshot.GTAlign], from gtalign.toml)
// on one lease of the model, every pass continuing the KV cache of the one before. Its
// pricing plan is built per request from pricing.toml and, with learn_lengths, the running
// averages of past response lengths per strategy, which persist in the state directory
// ([LengthsFile]) and show in /v1/status.
//
// # Adding routes
//
// [Server.Handle] registers more routes (e.g. "POST /v1/games/play") with the same
// middleware; each handler gets an [Env] with the config [config.Snapshot] in force when the
// request arrived and the model manager ([Env.Acquire] leases the serving model;
// [modelmgr.Lease.Generate] runs on a slot). [RunOptions.Routes] lets cmd/nashd add them.
//
// # Lifecycle
//
// [Run] is the whole daemon: it loads the config directory ([config.Store]), listens
// ([ListenUnix] on [SocketPath]: stale sockets are removed, a live daemon makes it refuse),
// starts the model manager ([modelmgr.Manager]: background loads, swaps that drop nothing),
// watches the config (fsnotify + poll + SIGHUP), and on context cancellation (SIGTERM/SIGINT)
// drains in-flight requests up to server.shutdown_timeout, frees the models and removes the
// socket.
package daemon

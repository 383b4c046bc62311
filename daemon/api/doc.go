// Package api holds nashd's wire types: the requests, responses and errors that the server
// (package daemon), its Go client (package daemon/client) and the nash CLI exchange over the
// Unix socket. It is a leaf: it imports only the standard library, the pure inference types,
// the pure-Go solver's report and GTAlign's result type (package reasoning/gtalign, pure Go),
// so a client links neither the server nor its metrics.
//
// # Endpoints and their types
//
//	POST /v1/chat/completions  [ChatRequest] → [ChatResponse] (or a stream of chunks of the same type)
//	POST /v1/reason            [ReasonRequest] → [ReasonResponse] (or a stream of [ReasonEvent]s);
//	                           a rejected analysis or unparseable model output → [ReasonErrorBody]
//	GET  /v1/models            [List] of [ModelEntry]
//	POST /v1/games/solve       [SolveRequest] → [SolveResponse]
//	GET  /v1/games             [List] of [GameEntry]
//	POST /v1/games/play        [PlayRequest] → [PlayResult] (or a stream of events: [DecodePlayEvent])
//	GET  /v1/status            [StatusResponse]
//
// # Errors
//
// Every error answer has OpenAI's shape, [ErrorBody]: {"error": {"message", "type", "param",
// "code"}}. [APIError] is that object with its HTTP status; [BadRequest] builds the common 400
// naming the offending field.
package api

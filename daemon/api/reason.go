package api

import "github.com/nashd/nashd/reasoning/gtalign"

// ReasonRequest is the body of POST /v1/reason: a chat-completions body (messages, model,
// sampling fields, seed) with GTAlign's optional rule, policy and analyze_by. max_tokens
// (or max_completion_tokens) caps the response block; the other blocks are bounded by the
// game's grammar. stream asks for server-sent [ReasonEvent]s. Fields that cannot apply to
// GTAlign reasoning (grammar, response_format, stop, tools, n > 1, reasoning "none") are
// 400 errors naming the field.
type ReasonRequest = ChatRequest

// Reasoning modes (ChatRequest.Reasoning, and the suffix of a model alias "NAME@MODE").
const (
	ReasoningNone    = "none"
	ReasoningGTAlign = "gtalign"
)

// ReasonResponse is the answer of POST /v1/reason: GTAlign's result object (the payoff
// matrix, the transformed matrix, the frontier, the model's and the solver's choices, whether
// they agree, what was applied under which policy and rule, the pricing plan with its
// version, the blocks' texts, and usage and timings per pass with cache_n), with the
// request's identity and the config that answered it.
type ReasonResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"` // "nashd.reasoning"
	Created int64  `json:"created"`
	Model   string `json:"model"`
	*gtalign.Result
	Nashd ReasonProvenance `json:"nashd"`
}

// ReasonObject is ReasonResponse.Object.
const ReasonObject = "nashd.reasoning"

// ReasonProvenance says which configuration answered a reasoning request.
type ReasonProvenance struct {
	Reasoning        string `json:"reasoning"` // "gtalign"
	ConfigGeneration uint64 `json:"config_generation"`
	PricingVersion   string `json:"pricing_version"` // "pricing.toml@VERSION"
	GameVersion      string `json:"game_version"`    // "gtalign.toml@VERSION"
}

// ReasonErrorBody is the body of a reasoning error that comes with the result so far: the
// mismatch policy "reject" refused the model's analysis (422, [CodeAnalysisRejected]: the
// result carries the matrix, the frontier and both choices), or the model's output did not
// parse (502, [CodeModelOutput]: the result carries what it wrote). Other errors are a plain
// [ErrorBody].
type ReasonErrorBody struct {
	Error  *APIError       `json:"error"`
	Result *ReasonResponse `json:"result,omitempty"`
}

// ReasonEvent is one server-sent event of a streamed POST /v1/reason ("data: " + JSON, then
// "data: [DONE]"). Kind "reasoning" and "content" carry Text: the transcript before the
// response (thinking, payoff and the analysis that stands, tags included), then the
// response block's text. The last event is kind "result" with the whole Result, or an error
// (Error, and Result where [ReasonErrorBody] would carry one).
type ReasonEvent struct {
	Kind   string          `json:"kind,omitempty"`
	Text   string          `json:"text,omitempty"`
	Result *ReasonResponse `json:"result,omitempty"`
	Error  *APIError       `json:"error,omitempty"`
}

// Kinds of [ReasonEvent].
const (
	EventReasoning = gtalign.KindReasoning
	EventContent   = gtalign.KindContent
	EventResult    = "result"
)

// TypeReasoning is the error type of a reasoning request the pipeline refused or could not
// complete (codes [CodeAnalysisRejected], [CodeModelOutput], [CodePricingIncomplete]).
const TypeReasoning = "reasoning_error"

// Reasoning error codes.
const (
	// CodeAnalysisRejected (422): the policy is "reject" and the model's choice is not the
	// solver's. The answer carries the result so far.
	CodeAnalysisRejected = "analysis_rejected"
	// CodeModelOutput (502): the model's payoff block did not parse (only possible without
	// the grammar's guarantee). The answer carries what it wrote.
	CodeModelOutput = "model_output_invalid"
	// CodePricingIncomplete (503): pricing.toml gives no expected length for a strategy of
	// the game; reasoning fails until the file is fixed.
	CodePricingIncomplete = "pricing_incomplete"
)

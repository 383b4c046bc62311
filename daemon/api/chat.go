package api

import (
	"encoding/json"

	"github.com/nashd/nashd/inference"
)

// ChatRequest is the body of POST /v1/chat/completions: OpenAI's fields, llama-server's
// sampler extensions (top_k, min_p, repeat_penalty, grammar) and nashd's reasoning mode.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []ChatMessage   `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	TopK                *int            `json:"top_k,omitempty"`
	MinP                *float64        `json:"min_p,omitempty"`
	RepeatPenalty       *float64        `json:"repeat_penalty,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"`
	N                   *int            `json:"n,omitempty"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitempty"`
	Grammar             string          `json:"grammar,omitempty"`
	Tools               json.RawMessage `json:"tools,omitempty"`
	// Reasoning selects nashd's reasoning pipeline: "none" (plain chat) or "gtalign"; empty
	// takes nashd.toml's reasoning.mode. A model named "NAME@gtalign" (or "NAME@none") sets
	// it too, for clients that can only set a model.
	Reasoning string `json:"reasoning,omitempty"`
	// Rule, Policy and AnalyzeBy tune GTAlign reasoning (empty: nashd.toml's [reasoning]):
	// the selection rule ("welfare" or "nash_product"), the mismatch policy ("override",
	// "annotate" or "reject") and who writes the <analyze> block ("model" or "solver").
	Rule      string `json:"rule,omitempty"`
	Policy    string `json:"policy,omitempty"`
	AnalyzeBy string `json:"analyze_by,omitempty"`
}

// StreamOptions is OpenAI's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ChatMessage is one message; Content is a string or an array of content parts.
type ChatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name,omitempty"`
}

// TextMessage returns a message whose content is the string text.
func TextMessage(role, text string) ChatMessage {
	b, _ := json.Marshal(text) // a string always encodes
	return ChatMessage{Role: role, Content: b}
}

// ResponseFormat is OpenAI's response_format.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is response_format.json_schema.
type JSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict *bool           `json:"strict,omitempty"`
}

// ChatResponse is a chat completion (Object "chat.completion") or, streamed, one chunk of it
// (Object "chat.completion.chunk", choices carrying a Delta instead of a Message).
type ChatResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []ChatChoice       `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
	Timings           *inference.Timings `json:"timings,omitempty"`
	// Nashd carries nashd's extension: the config generation, pricing version and, in
	// reasoning modes, the reasoning result.
	Nashd map[string]any `json:"nashd,omitempty"`
}

// ChatChoice is one choice of a chat completion.
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      *OutMessage     `json:"message,omitempty"`
	Delta        *OutMessage     `json:"delta,omitempty"`
	FinishReason *string         `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// OutMessage is the assistant's message (or a streamed delta). In GTAlign reasoning, Content
// is the response block and ReasoningContent the blocks before it (llama-server's and
// DeepSeek's convention).
type OutMessage struct {
	Role             string  `json:"role,omitempty"`
	Content          *string `json:"content,omitempty"`
	ReasoningContent *string `json:"reasoning_content,omitempty"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

package api

import (
	"encoding/json"

	"github.com/nashd/nashd/inference"
)

// CompletionRequest is the body of POST /v1/completions: OpenAI's completions API with
// llama-server's extensions, so llama-server clients (and another nashd's remote backend)
// work against nashd.
type CompletionRequest struct {
	Model string `json:"model"`
	// Prompt is a string, an array of token ids, or an array of one string.
	Prompt        json.RawMessage `json:"prompt"`
	Stream        bool            `json:"stream"`
	StreamOptions *StreamOptions  `json:"stream_options,omitempty"`
	MaxTokens     *int            `json:"max_tokens,omitempty"`
	// NPredict is llama-server's name for max_tokens (-1: until the end).
	NPredict      *int            `json:"n_predict,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	MinP          *float64        `json:"min_p,omitempty"`
	RepeatPenalty *float64        `json:"repeat_penalty,omitempty"`
	RepeatLastN   *int            `json:"repeat_last_n,omitempty"`
	Seed          *int64          `json:"seed,omitempty"`
	Stop          json.RawMessage `json:"stop,omitempty"`
	N             *int            `json:"n,omitempty"`
	Grammar       string          `json:"grammar,omitempty"`
	// CachePrompt is accepted for llama-server compatibility: nashd always reuses the
	// longest cached prefix of a slot.
	CachePrompt *bool `json:"cache_prompt,omitempty"`
	// AddSpecial adds BOS to a text prompt (default true, as llama-server does).
	AddSpecial *bool `json:"add_special,omitempty"`
	// ReturnTokens adds the generated token ids ("tokens") to a non-streamed answer;
	// streamed chunks always carry theirs.
	ReturnTokens bool `json:"return_tokens,omitempty"`
	Echo         bool `json:"echo,omitempty"`
}

// CompletionResponse is a completion (Object "text_completion") or, streamed, one chunk.
type CompletionResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []CompletionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
	Timings           *inference.Timings `json:"timings,omitempty"`
	// Tokens are the ids of the tokens whose text this chunk carries (a streamed chunk), or
	// of all generated tokens (with return_tokens).
	Tokens []int32 `json:"tokens,omitempty"`
	// StoppingWord is the stop string that ended generation (llama-server's name).
	StoppingWord string `json:"stopping_word,omitempty"`
}

// CompletionChoice is one choice of a completion.
type CompletionChoice struct {
	Text         string          `json:"text"`
	Index        int             `json:"index"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

// TokenizeRequest is the body of POST /tokenize (llama-server's shape).
type TokenizeRequest struct {
	Model      string `json:"model,omitempty"`
	Content    string `json:"content"`
	AddSpecial bool   `json:"add_special"`
}

// TokenizeResponse is the answer of POST /tokenize.
type TokenizeResponse struct {
	Tokens []int32 `json:"tokens"`
}

// ApplyTemplateRequest is the body of POST /apply-template (llama-server's): messages to
// render with the model's chat template, the assistant's turn opened.
type ApplyTemplateRequest struct {
	Model    string        `json:"model,omitempty"`
	Messages []ChatMessage `json:"messages"`
}

// ApplyTemplateResponse is the answer of POST /apply-template.
type ApplyTemplateResponse struct {
	Prompt string `json:"prompt"`
}

// PropsResponse is the answer of GET /props (llama-server's fields nashd has, plus n_vocab).
type PropsResponse struct {
	ChatTemplate    string          `json:"chat_template"`
	DefaultSettings GenerationProps `json:"default_generation_settings"`
	TotalSlots      int             `json:"total_slots"`
	ModelPath       string          `json:"model_path"`
	NVocab          int             `json:"n_vocab"`
	BuildInfo       string          `json:"build_info"`
}

// GenerationProps is /props' default_generation_settings.
type GenerationProps struct {
	NCtx int `json:"n_ctx"`
}

// RemoteModel describes a model served by another server, in /v1/models and /v1/status.
type RemoteModel struct {
	URL        string `json:"url"` // without credentials
	Dialect    string `json:"dialect"`
	ServedName string `json:"served_name"`
	// Reachable: the last call to the server reached it (for a model not loaded, a probe).
	Reachable bool   `json:"reachable"`
	LastError string `json:"last_error,omitempty"`
	// Retries (429/503 answers retried) and Faults (calls failed on the server's side) count
	// since the model was loaded; zero for a model that is not loaded.
	Retries uint64 `json:"retries"`
	Faults  uint64 `json:"faults"`
}

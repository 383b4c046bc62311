package inference

import (
	"errors"
	"fmt"
)

// Message is one chat turn. Role is "system", "user" or "assistant".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Sampling holds the sampler settings of one request. The zero value means greedy decoding
// (temperature 0) with no penalties; see [DefaultSampling] for llama-server's defaults.
type Sampling struct {
	Temperature   float32 // 0 = greedy (argmax)
	TopK          int     // 0 = off
	TopP          float32 // 0 or 1 = off
	MinP          float32 // 0 = off
	RepeatPenalty float32 // 0 or 1 = off
	RepeatLastN   int     // tokens considered by RepeatPenalty; 0 = 64
	Seed          uint32  // used when Temperature > 0
}

// DefaultSampling returns llama-server's defaults (temperature 0.8, top-k 40, top-p 0.95,
// min-p 0.05, no repetition penalty) with the given seed.
func DefaultSampling(seed uint32) Sampling {
	return Sampling{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1, RepeatLastN: 64, Seed: seed}
}

// Request is one generation: a raw prompt (already chat-templated if needed) continued by up
// to MaxTokens tokens.
type Request struct {
	Prompt    string
	MaxTokens int      // <= 0 means until end of generation or the context is full
	Stop      []string // generation ends before the first occurrence of any of these
	Sampling  Sampling
	Grammar   string // GBNF; empty = unconstrained
	// AddSpecial adds the model's BOS token when tokenizing Prompt. Chat templates usually
	// include it already, so callers that apply a template leave it false.
	AddSpecial bool
	// Tokens, when not empty, is the prompt as token ids, used as given instead of tokenizing
	// Prompt (AddSpecial is then ignored; Prompt still holds the text, for generators that
	// take text only). A caller continuing an earlier generation passes that request's prompt
	// tokens, its Result.Tokens and the new text's tokens, so the KV cache is reused exactly
	// even where the sampled tokens split the text differently from the tokenizer.
	Tokens []int32
}

// Token is one generated token as streamed to the caller. Text is the UTF-8 piece that became
// printable with this token (it may be empty while a multi-byte character is incomplete, and
// stop-string handling may hold text back until it is sure it is not part of a stop string).
type Token struct {
	ID   int32
	Text string
}

// Stop reasons reported in [Result.StopReason].
const (
	StopEOG       = "stop"      // end-of-generation token
	StopString    = "stop"      // a stop string matched (OpenAI reports both as "stop")
	StopLength    = "length"    // MaxTokens reached or the context filled
	StopCancelled = "cancelled" // the context was cancelled
)

// Result is what a finished generation returns.
type Result struct {
	Text         string
	Tokens       []int32
	StopReason   string
	StoppedBy    string // the stop string that matched, if any
	PromptTokens int
	Timings      Timings
}

// Timings reports a generation's speed with llama-server's field names.
type Timings struct {
	CacheN             int     `json:"cache_n"` // prompt tokens reused from the KV cache
	PromptN            int     `json:"prompt_n"`
	PromptMS           float64 `json:"prompt_ms"`
	PromptPerSecond    float64 `json:"prompt_per_second"`
	PredictedN         int     `json:"predicted_n"`
	PredictedMS        float64 `json:"predicted_ms"`
	PredictedPerSecond float64 `json:"predicted_per_second"`
}

// ModelInfo describes a loaded model.
type ModelInfo struct {
	Path          string `json:"path"`
	Description   string `json:"description"` // llama_model_desc, e.g. "llama 0.5B Q4_K - Medium"
	Architecture  string `json:"architecture"`
	Parameters    uint64 `json:"parameters"`
	SizeBytes     uint64 `json:"size_bytes"`
	ContextLength int    `json:"context_length"` // trained context
	ContextSize   int    `json:"context_size"`   // n_ctx of each slot
	VocabSize     int    `json:"vocab_size"`
	Slots         int    `json:"slots"`
	ChatTemplate  string `json:"chat_template,omitempty"`
	// NoGrammar reports that the generator cannot enforce [Request.Grammar] (a remote server
	// of plain OpenAI's API): the grammar is accepted but the output is unconstrained, so
	// callers parse it tolerantly and retry. False for every generator that enforces it.
	NoGrammar bool `json:"no_grammar,omitempty"`
	// GPULayers is the number of layers on GPU devices (0: the model runs on the CPU), the
	// model's block count + 1 when the output layer is offloaded too; GPUDevices names the
	// devices ("Vulkan0").
	GPULayers  int      `json:"gpu_layers"`
	GPUDevices []string `json:"gpu_devices,omitempty"`
}

// Errors callers branch on. Engines wrap them with context; test with errors.Is.
var (
	// ErrPromptTooLong: the prompt does not fit in a slot's context (HTTP 422).
	ErrPromptTooLong = errors.New("inference: prompt longer than the context")
	// ErrInvalidGrammar: the GBNF grammar did not parse or exceeds the limits that keep
	// llama.cpp safe (HTTP 400); also ends a generation whose grammar became too ambiguous.
	ErrInvalidGrammar = errors.New("inference: invalid grammar")
	// ErrInvalidRequest: a request field is out of range (HTTP 400).
	ErrInvalidRequest = errors.New("inference: invalid request")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("inference: engine closed")
)

// Validate reports the first out-of-range field of r, wrapping [ErrInvalidRequest].
func (r *Request) Validate() error {
	s := r.Sampling
	switch {
	case s.Temperature < 0:
		return fmt.Errorf("%w: temperature %v < 0", ErrInvalidRequest, s.Temperature)
	case s.TopK < 0:
		return fmt.Errorf("%w: top_k %d < 0", ErrInvalidRequest, s.TopK)
	case s.TopP < 0 || s.TopP > 1:
		return fmt.Errorf("%w: top_p %v outside [0, 1]", ErrInvalidRequest, s.TopP)
	case s.MinP < 0 || s.MinP > 1:
		return fmt.Errorf("%w: min_p %v outside [0, 1]", ErrInvalidRequest, s.MinP)
	case s.RepeatPenalty < 0:
		return fmt.Errorf("%w: repeat_penalty %v < 0", ErrInvalidRequest, s.RepeatPenalty)
	case s.RepeatLastN < 0:
		return fmt.Errorf("%w: repeat_last_n %d < 0", ErrInvalidRequest, s.RepeatLastN)
	}
	for i, st := range r.Stop {
		if st == "" {
			return fmt.Errorf("%w: stop[%d] is empty", ErrInvalidRequest, i)
		}
	}
	return nil
}

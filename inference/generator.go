package inference

import "context"

// Generator is the one interface through which nashd uses a loaded model: the llama.cpp
// engine ([github.com/nashd/nashd/inference/engine.Engine]) implements it, the daemon's model
// manager and the reasoning pipeline depend on it alone, and the conformance suite
// [github.com/nashd/nashd/inference/inferencetest.Run] tests exactly these methods. Unit tests
// of consumers use the scripted fake [github.com/nashd/nashd/inference/fakegen.Generator].
//
// Implementations are safe for concurrent use.
type Generator interface {
	// Generate continues req.Prompt, streaming each token to onToken (nil for none) from the
	// calling goroutine, and returns the whole result. It waits for free capacity first and
	// honours ctx: cancelling it stops generation before the next token is delivered; an
	// error from onToken stops it too and is returned. A prompt that extends the one of an
	// earlier request may reuse that request's KV cache ([Timings.CacheN]). Errors wrap
	// [ErrInvalidRequest], [ErrPromptTooLong], [ErrInvalidGrammar] or [ErrClosed].
	Generate(ctx context.Context, req Request, onToken func(Token) error) (Result, error)
	// ChatPrompt renders msgs with the model's chat template and opens the assistant's turn,
	// ready for Generate. Errors wrap [ErrInvalidRequest] (no messages, a role other than
	// system, user or assistant, invalid UTF-8, no template) or [ErrClosed].
	ChatPrompt(msgs []Message) (string, error)
	// Tokenize converts text to the model's tokens; addSpecial adds BOS as the model
	// prescribes. Errors wrap [ErrInvalidRequest] (invalid UTF-8) or [ErrClosed].
	Tokenize(text string, addSpecial bool) ([]int32, error)
	// Info describes the loaded model.
	Info() ModelInfo
	// Close frees the model. It is safe to call more than once; every method but Info then
	// returns [ErrClosed].
	Close() error
}

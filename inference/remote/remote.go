package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/nashd/nashd/inference"
)

// Dialects ([Options.Dialect]).
const (
	LlamaServer = "llama-server"
	Nashd       = "nashd"
	VLLM        = "vllm"
	OpenAI      = "openai"
)

// Errors of remote servers; test with errors.Is. They are never wrapped in the inference
// sentinels, so callers tell a server's fault from their own request's.
var (
	// ErrUnreachable: the server could not be reached (refused, DNS, socket missing, timeout
	// while connecting).
	ErrUnreachable = errors.New("remote: server unreachable")
	// ErrUnauthorized: the server refused the API key (HTTP 401 or 403).
	ErrUnauthorized = errors.New("remote: the server refused the API key")
	// ErrBusy: the server answered 429 or 503 to every try.
	ErrBusy = errors.New("remote: server busy")
	// ErrStreamCut: the response stream ended before its final event.
	ErrStreamCut = errors.New("remote: stream cut mid-response")
	// ErrServer: the server failed (another 5xx) or answered something malformed.
	ErrServer = errors.New("remote: server error")
	// ErrTimeout: the server did not answer a call within [Options.Timeout] (it wraps
	// ErrServer: a server fault).
	ErrTimeout = fmt.Errorf("%w: no answer within the timeout", ErrServer)
)

// timeoutCause is the cause of a call's context when [Options.Timeout] (or the probe's
// bound) ran out, as opposed to the caller's own deadline or cancellation.
type timeoutCause struct{ d time.Duration }

func (c timeoutCause) Error() string { return fmt.Sprintf("remote call timeout %v", c.d) }

// withTimeout bounds a call by d, marking the expiry as the call's own (see timedOut).
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, timeoutCause{d})
}

// timedOut turns the error of a call whose own bound ran out into ErrTimeout; other errors,
// the caller's cancellation and deadline included, pass unchanged.
func (g *Generator) timedOut(ctx context.Context, err error) error {
	var tc timeoutCause
	if err == nil || !errors.As(context.Cause(ctx), &tc) {
		return err
	}
	return g.errorf(ErrTimeout, "%s did not finish the call within %v", g.shown, tc.d)
}

// Defaults of [Options].
const (
	DefaultMaxConcurrency = 4
	DefaultTimeout        = 10 * time.Minute
	DefaultMaxRetries     = 3
	DefaultMaxRetryWait   = 10 * time.Second
	// defaultRetryWait is the wait before retrying a 429/503 that names no Retry-After.
	defaultRetryWait = 500 * time.Millisecond
	// maxEventBytes bounds one Server-Sent Event line.
	maxEventBytes = 4 << 20
	// maxErrorBody bounds the error body read from a failed response.
	maxErrorBody = 64 << 10
	// bytesPerToken is the "openai" dialect's tokenizer estimate.
	bytesPerToken = 4
)

// Options configure a remote generator. URL is required.
type Options struct {
	// URL is the OpenAI base URL ("http://host:port/v1") or "unix:///path.sock" (the API
	// under /v1 on that socket).
	URL string
	// Model is the name the server knows ("model" in requests).
	Model string
	// Dialect is LlamaServer, Nashd, VLLM or OpenAI; empty means OpenAI.
	Dialect string
	// APIKeyEnv names the environment variable holding the API key; empty: no key.
	APIKeyEnv string
	// MaxConcurrency bounds the requests in flight (Generate; 0: DefaultMaxConcurrency). It
	// is also [inference.ModelInfo.Slots].
	MaxConcurrency int
	// Timeout bounds one call, waiting for capacity included (0: DefaultTimeout). A call the
	// server does not finish in time fails with ErrTimeout; one still waiting for capacity
	// with context.DeadlineExceeded.
	Timeout time.Duration
	// ChatTemplate names a built-in chat format ("chatml", "llama3"); empty: the server's
	// (nashd and llama-server only).
	ChatTemplate string
	// MaxRetries bounds the retries of a 429/503 answer (0: DefaultMaxRetries; negative:
	// none); MaxRetryWait caps each wait (0: DefaultMaxRetryWait).
	MaxRetries   int
	MaxRetryWait time.Duration
	// Logger receives debug lines (retries); nil: slog.Default().
	Logger *slog.Logger
	// OnRetry, when set, is called before each retry (for metrics).
	OnRetry func(status int)
}

// Generator is an [inference.Generator] served by a remote server. It is safe for
// concurrent use.
type Generator struct {
	opts    Options
	base    string // the OpenAI base, without a trailing slash
	root    string // base without its trailing /v1 (llama-server's own endpoints)
	shown   string // the URL as shown to users (credentials never appear)
	key     string
	hc      *http.Client
	sem     chan struct{}
	info    inference.ModelInfo
	log     *slog.Logger
	closed  atomic.Bool
	closeMu sync.Once
	retries atomic.Uint64

	mu      sync.Mutex
	lastErr string
	lastOK  time.Time
	reach   bool
	faults  uint64
}

// Status reports a remote model's reachability, for /v1/status and /v1/models.
type Status struct {
	URL       string    `json:"url"`
	Dialect   string    `json:"dialect"`
	Model     string    `json:"served_name"`
	Reachable bool      `json:"reachable"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Retries counts the 429/503 answers retried, Faults the calls that failed on the
	// server's side (unreachable, refused key, busy past the retries, server error, stream
	// cut), since Open.
	Retries uint64 `json:"retries"`
	Faults  uint64 `json:"faults"`
}

// Open connects to the server described by opts: it checks that the server is reachable,
// accepts the key and serves opts.Model, and reads the model's context size, slots,
// vocabulary and chat template where the dialect exposes them.
func Open(ctx context.Context, opts Options) (*Generator, error) {
	if opts.Dialect == "" {
		opts.Dialect = OpenAI
	}
	switch opts.Dialect {
	case LlamaServer, Nashd, VLLM, OpenAI:
	default:
		return nil, fmt.Errorf("remote: dialect %q is not llama-server, vllm, nashd or openai", opts.Dialect)
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = DefaultMaxRetryWait
	}
	if opts.ChatTemplate != "" && builtinTemplate(opts.ChatTemplate) == nil {
		return nil, fmt.Errorf("remote: chat_template %q: a remote model takes a built-in format (%s) or none (the server's)", opts.ChatTemplate, strings.Join(templateNames(), ", "))
	}
	g := &Generator{opts: opts, sem: make(chan struct{}, opts.MaxConcurrency), log: opts.Logger}
	if g.log == nil {
		g.log = slog.Default()
	}
	if opts.APIKeyEnv != "" {
		g.key = os.Getenv(opts.APIKeyEnv)
		if g.key == "" {
			return nil, fmt.Errorf("remote: api_key_env %s is not set or empty", opts.APIKeyEnv)
		}
	}
	u, err := url.Parse(opts.URL)
	if err != nil || u.User != nil {
		return nil, errors.New("remote: invalid url (credentials belong in api_key_env)")
	}
	tr := &http.Transport{MaxIdleConnsPerHost: opts.MaxConcurrency * 2, IdleConnTimeout: 90 * time.Second,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext, ResponseHeaderTimeout: 0}
	switch u.Scheme {
	case "http", "https":
		g.base = strings.TrimRight(u.String(), "/")
		g.shown = u.Redacted()
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		g.base = "http://unix/v1"
		g.shown = "unix://" + sock
	default:
		return nil, fmt.Errorf("remote: url scheme %q is not http, https or unix", u.Scheme)
	}
	g.root = strings.TrimSuffix(g.base, "/v1")
	g.hc = &http.Client{Transport: tr}
	g.info = inference.ModelInfo{Path: g.shown, Architecture: "remote", Slots: opts.MaxConcurrency,
		Description: fmt.Sprintf("%s at %s (%s)", opts.Model, g.shown, opts.Dialect), NoGrammar: opts.Dialect == OpenAI}
	ctx, cancel := withTimeout(ctx, min(opts.Timeout, 30*time.Second))
	defer cancel()
	if err := g.probe(ctx); err != nil {
		g.hc.CloseIdleConnections()
		return nil, err
	}
	return g, nil
}

// probe reads the model's description from the server.
func (g *Generator) probe(ctx context.Context) error {
	var models struct {
		Data []struct {
			ID          string         `json:"id"`
			MaxModelLen int            `json:"max_model_len"` // vLLM
			Meta        map[string]any `json:"meta"`          // llama-server, nashd
		} `json:"data"`
	}
	if err := g.call(ctx, "GET", g.base+"/models", nil, &models); err != nil {
		return err
	}
	found := false
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
		if m.ID != g.opts.Model {
			continue
		}
		found = true
		if m.MaxModelLen > 0 {
			g.info.ContextSize, g.info.ContextLength = m.MaxModelLen, m.MaxModelLen
		}
		for _, k := range []string{"n_vocab", "vocab_size"} {
			if v, ok := m.Meta[k].(float64); ok {
				g.info.VocabSize = int(v)
			}
		}
		if v, ok := m.Meta["n_ctx_train"].(float64); ok {
			g.info.ContextLength = int(v)
		}
	}
	// llama-server lists the file it serves, whatever the request's model name.
	if !found && g.opts.Dialect != LlamaServer {
		return fmt.Errorf("%w: %s does not serve model %q (it serves %v)", inference.ErrInvalidRequest, g.shown, g.opts.Model, ids)
	}
	if g.opts.Dialect == LlamaServer || g.opts.Dialect == Nashd {
		var props struct {
			ChatTemplate string `json:"chat_template"`
			Settings     struct {
				NCtx int `json:"n_ctx"`
			} `json:"default_generation_settings"`
			TotalSlots int `json:"total_slots"`
			NVocab     int `json:"n_vocab"`
		}
		if err := g.call(ctx, "GET", g.root+"/props?model="+url.QueryEscape(g.opts.Model), nil, &props); err != nil {
			return err
		}
		g.info.ChatTemplate = props.ChatTemplate
		if props.Settings.NCtx > 0 {
			g.info.ContextSize = props.Settings.NCtx
		}
		if props.NVocab > 0 {
			g.info.VocabSize = props.NVocab
		}
	}
	if g.opts.ChatTemplate != "" {
		g.info.ChatTemplate = g.opts.ChatTemplate
	}
	if g.info.ContextLength == 0 {
		g.info.ContextLength = g.info.ContextSize
	}
	return nil
}

// Info describes the remote model: Path is the URL (without credentials), Slots the
// concurrency bound; NoGrammar is set for the "openai" dialect, which sends no grammar.
func (g *Generator) Info() inference.ModelInfo { return g.info }

// Status reports the server's reachability as the last call found it.
func (g *Generator) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	return Status{URL: g.shown, Dialect: g.opts.Dialect, Model: g.opts.Model, Reachable: g.reach || g.lastErr == "", LastOK: g.lastOK, LastError: g.lastErr,
		Retries: g.retries.Load(), Faults: g.faults}
}

// Close releases idle connections. It is safe to call more than once; calls in flight
// finish.
func (g *Generator) Close() error {
	g.closeMu.Do(func() {
		g.closed.Store(true)
		g.hc.CloseIdleConnections()
	})
	return nil
}

// note records a call's outcome for Status. Only server faults count as unreachable.
func (g *Generator) note(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		g.reach, g.lastErr, g.lastOK = true, "", time.Now()
	case errors.Is(err, ErrUnreachable), errors.Is(err, ErrUnauthorized), errors.Is(err, ErrBusy), errors.Is(err, ErrServer), errors.Is(err, ErrStreamCut):
		g.reach = !errors.Is(err, ErrUnreachable)
		g.lastErr = err.Error()
		g.faults++
	}
}

// Tokenize converts text to the server's tokens (POST ROOT/tokenize), or estimates them for
// the "openai" dialect (see the package documentation).
func (g *Generator) Tokenize(text string, addSpecial bool) ([]int32, error) {
	if g.closed.Load() {
		return nil, inference.ErrClosed
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: text is not valid UTF-8", inference.ErrInvalidRequest)
	}
	if g.opts.Dialect == OpenAI {
		return make([]int32, (len(text)+bytesPerToken-1)/bytesPerToken), nil
	}
	ctx, cancel := withTimeout(context.Background(), g.opts.Timeout)
	defer cancel()
	return g.tokenize(ctx, text, addSpecial)
}

func (g *Generator) tokenize(ctx context.Context, text string, addSpecial bool) ([]int32, error) {
	body := map[string]any{"content": text, "add_special": addSpecial}
	if g.opts.Dialect == VLLM {
		body = map[string]any{"model": g.opts.Model, "prompt": text, "add_special_tokens": addSpecial}
	}
	var out struct {
		Tokens []int32 `json:"tokens"`
	}
	if err := g.call(ctx, "POST", g.root+"/tokenize", body, &out); err != nil {
		return nil, err
	}
	return out.Tokens, nil
}

// ChatPrompt renders msgs with the configured built-in format, or with the server's template
// (nashd, llama-server).
func (g *Generator) ChatPrompt(msgs []inference.Message) (string, error) {
	if g.closed.Load() {
		return "", inference.ErrClosed
	}
	if len(msgs) == 0 {
		return "", fmt.Errorf("%w: no messages", inference.ErrInvalidRequest)
	}
	for i, m := range msgs {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return "", fmt.Errorf("%w: message %d: role %q is not system, user or assistant", inference.ErrInvalidRequest, i, m.Role)
		}
		if !utf8.ValidString(m.Content) {
			return "", fmt.Errorf("%w: message %d: content is not valid UTF-8", inference.ErrInvalidRequest, i)
		}
	}
	if f := builtinTemplate(g.opts.ChatTemplate); f != nil {
		return f(msgs), nil
	}
	if g.opts.Dialect != Nashd && g.opts.Dialect != LlamaServer {
		return "", fmt.Errorf("%w: model %s (%s) has no chat template: set chat_template to one of %s in models.toml",
			inference.ErrInvalidRequest, g.opts.Model, g.opts.Dialect, strings.Join(templateNames(), ", "))
	}
	ctx, cancel := withTimeout(context.Background(), g.opts.Timeout)
	defer cancel()
	var out struct {
		Prompt string `json:"prompt"`
	}
	if err := g.call(ctx, "POST", g.root+"/apply-template", map[string]any{"model": g.opts.Model, "messages": msgs}, &out); err != nil {
		return "", err
	}
	return out.Prompt, nil
}

// Generate continues req on the server (POST BASE/completions, streamed).
func (g *Generator) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	if g.closed.Load() {
		return inference.Result{}, inference.ErrClosed
	}
	if err := req.Validate(); err != nil {
		return inference.Result{}, err
	}
	if len(req.Tokens) == 0 || g.opts.Dialect == OpenAI {
		switch {
		case req.Prompt == "":
			return inference.Result{}, fmt.Errorf("%w: empty prompt", inference.ErrInvalidRequest)
		case !utf8.ValidString(req.Prompt):
			return inference.Result{}, fmt.Errorf("%w: prompt is not valid UTF-8", inference.ErrInvalidRequest)
		}
	}
	if err := ctx.Err(); err != nil {
		return inference.Result{StopReason: inference.StopCancelled}, err
	}
	ctx, cancel := withTimeout(ctx, g.opts.Timeout)
	defer cancel()
	select {
	case g.sem <- struct{}{}:
		defer func() { <-g.sem }()
	case <-ctx.Done():
		return inference.Result{StopReason: inference.StopCancelled}, ctx.Err()
	}
	body, err := g.requestBody(ctx, req)
	if err != nil {
		return inference.Result{}, err
	}
	res, err := g.stream(ctx, body, onToken)
	err = g.timedOut(ctx, err)
	g.note(err)
	return res, err
}

// requestBody builds the completions request in the dialect's form.
func (g *Generator) requestBody(ctx context.Context, req inference.Request) (map[string]any, error) {
	s := req.Sampling
	b := map[string]any{"model": g.opts.Model, "stream": true, "stream_options": map[string]any{"include_usage": true},
		"temperature": s.Temperature}
	var prompt any = req.Prompt
	switch {
	case len(req.Tokens) > 0 && g.opts.Dialect != OpenAI:
		prompt = req.Tokens
	case g.opts.Dialect == LlamaServer && !req.AddSpecial:
		// llama-server adds BOS to every text prompt: send ids tokenized without it.
		toks, err := g.tokenize(ctx, req.Prompt, false)
		if err != nil {
			return nil, err
		}
		prompt = toks
	}
	b["prompt"] = prompt
	if req.MaxTokens > 0 {
		b["max_tokens"] = req.MaxTokens
	}
	topP := float32(1) // the Sampling zero value means off; servers default to 0.95
	if s.TopP > 0 && s.TopP < 1 {
		topP = s.TopP
	}
	b["top_p"] = topP
	if s.Temperature > 0 {
		b["seed"] = s.Seed
	}
	if len(req.Stop) > 0 {
		b["stop"] = req.Stop
	}
	switch g.opts.Dialect {
	case Nashd, LlamaServer:
		b["cache_prompt"] = true
		b["top_k"], b["min_p"] = s.TopK, s.MinP
		b["repeat_penalty"] = max(s.RepeatPenalty, 1)
		if s.RepeatPenalty > 1 && s.RepeatLastN > 0 {
			b["repeat_last_n"] = s.RepeatLastN
		}
		if req.Grammar != "" {
			b["grammar"] = req.Grammar
		}
		if g.opts.Dialect == Nashd {
			b["add_special"] = req.AddSpecial
		} else {
			b["return_tokens"] = true
		}
	case VLLM:
		b["add_special_tokens"] = req.AddSpecial
		if s.TopK > 0 {
			b["top_k"] = s.TopK
		}
		if s.MinP > 0 {
			b["min_p"] = s.MinP
		}
		if s.RepeatPenalty > 0 && s.RepeatPenalty != 1 {
			b["repetition_penalty"] = s.RepeatPenalty
		}
		if req.Grammar != "" {
			b["structured_outputs"] = map[string]any{"grammar": req.Grammar}
		}
	}
	return b, nil
}

// chunk is one streamed completion event (OpenAI's, with llama-server's and nashd's fields).
type chunk struct {
	Choices []struct {
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Tokens  []int32            `json:"tokens"`
	Usage   *usage             `json:"usage"`
	Timings *inference.Timings `json:"timings"`
	// StoppingWord is the stop string that ended generation (llama-server's name).
	StoppingWord string     `json:"stopping_word"`
	Error        *errorBody `json:"error"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

type errorBody struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    any    `json:"code"`
	Param   string `json:"param"`
}

// stream posts body and reads the event stream.
func (g *Generator) stream(ctx context.Context, body map[string]any, onToken func(inference.Token) error) (inference.Result, error) {
	t0 := time.Now()
	resp, err := g.do(ctx, "POST", g.base+"/completions", body)
	if err != nil {
		return inference.Result{StopReason: stopFor(ctx)}, err
	}
	defer resp.Body.Close()
	var (
		res      inference.Result
		text     strings.Builder
		finished bool
		first    time.Time
		u        *usage
		n        int
	)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventBytes)
	done := false
	for !done && sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("data:")) {
			continue
		}
		data := bytes.TrimSpace(line[len("data:"):])
		if string(data) == "[DONE]" {
			done = true
			break
		}
		var c chunk
		if err := json.Unmarshal(data, &c); err != nil {
			res.Text = text.String()
			if !sc.Scan() && ctx.Err() == nil {
				// The last line broke off: the connection closed mid-event.
				return res, g.errorf(ErrStreamCut, "%s after %d tokens: connection closed mid-event", g.shown, n)
			}
			return res, g.errorf(ErrServer, "%s: malformed event after %d tokens: %v", g.shown, n, err)
		}
		if c.Error != nil {
			return res, g.apiError(0, c.Error)
		}
		if c.Usage != nil {
			u = c.Usage
		}
		if c.Timings != nil {
			res.Timings = *c.Timings
		}
		if c.StoppingWord != "" {
			res.StoppedBy = c.StoppingWord
		}
		for _, ch := range c.Choices {
			events := make([]inference.Token, 0, max(1, len(c.Tokens)))
			for _, id := range c.Tokens {
				events = append(events, inference.Token{ID: id})
			}
			if len(events) == 0 && ch.Text != "" {
				events = append(events, inference.Token{ID: -1})
			}
			if len(events) > 0 {
				events[0].Text = ch.Text
			}
			for _, ev := range events {
				if err := ctx.Err(); err != nil {
					res.Text, res.StopReason = text.String(), inference.StopCancelled
					return res, err
				}
				if first.IsZero() {
					first = time.Now()
				}
				n++
				text.WriteString(ev.Text)
				if ev.ID >= 0 {
					res.Tokens = append(res.Tokens, ev.ID)
				}
				if onToken != nil {
					if err := onToken(ev); err != nil {
						res.Text, res.StopReason = text.String(), inference.StopCancelled
						return res, err
					}
				}
			}
			if ch.FinishReason != nil {
				finished = true
				res.StopReason = inference.StopEOG
				if *ch.FinishReason == "length" {
					res.StopReason = inference.StopLength
				}
			}
		}
	}
	res.Text = text.String()
	if err := ctx.Err(); err != nil {
		res.StopReason = inference.StopCancelled
		return res, err
	}
	if !finished {
		cause := sc.Err()
		if cause == nil {
			cause = io.ErrUnexpectedEOF
		}
		return res, g.errorf(ErrStreamCut, "%s after %d tokens: %v", g.shown, n, cause)
	}
	if u != nil {
		res.PromptTokens = u.PromptTokens
		// An end-of-generation event carries no generated token: keep the ids the server
		// counted.
		if len(res.Tokens) > u.CompletionTokens {
			res.Tokens = res.Tokens[:u.CompletionTokens]
		}
	} else {
		res.PromptTokens = res.Timings.PromptN + res.Timings.CacheN
	}
	if res.Timings.PredictedN == 0 && res.Timings.PromptN == 0 {
		// A server without llama-server's timings: measure them here.
		end := time.Now()
		if first.IsZero() {
			first = end
		}
		res.Timings.PromptN = res.PromptTokens
		res.Timings.PromptMS = float64(first.Sub(t0).Microseconds()) / 1000
		res.Timings.PredictedN = n
		if u != nil {
			res.Timings.PredictedN = u.CompletionTokens
		}
		res.Timings.PredictedMS = float64(end.Sub(first).Microseconds()) / 1000
		if res.Timings.PredictedMS > 0 {
			res.Timings.PredictedPerSecond = float64(res.Timings.PredictedN) / (res.Timings.PredictedMS / 1000)
		}
	}
	return res, nil
}

func stopFor(ctx context.Context) string {
	if ctx.Err() != nil {
		return inference.StopCancelled
	}
	return ""
}

// call sends a JSON request and decodes a JSON answer.
func (g *Generator) call(ctx context.Context, method, u string, body, out any) error {
	resp, err := g.do(ctx, method, u, body)
	if err != nil {
		err = g.timedOut(ctx, err)
		g.note(err)
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxEventBytes)).Decode(out); err != nil {
		err = g.timedOut(ctx, g.errorf(ErrServer, "%s %s: malformed answer: %v", method, g.path(u), err))
		g.note(err)
		return err
	}
	g.note(nil)
	return nil
}

// path is u relative to the server, for messages.
func (g *Generator) path(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return u
}

// do sends one request, retrying 429/503 answers, and returns a 200 response or an error.
func (g *Generator) do(ctx context.Context, method, u string, body any) (*http.Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("remote: encoding the request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(payload))
		if err != nil {
			return nil, g.errorf(ErrServer, "%s %s: %v", method, g.path(u), err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json, text/event-stream")
		if g.key != "" {
			req.Header.Set("Authorization", "Bearer "+g.key)
		}
		resp, err := g.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error quotes the URL; ours is shown instead
			}
			return nil, g.errorf(ErrUnreachable, "%s: %v", g.shown, err)
		}
		if resp.StatusCode == http.StatusOK {
			return resp, nil
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		busy := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
		if busy && attempt < g.opts.MaxRetries {
			wait := retryAfter(resp.Header.Get("Retry-After"), g.opts.MaxRetryWait)
			g.log.Debug("remote server busy; retrying", "url", g.shown, "status", resp.StatusCode, "wait", wait, "attempt", attempt+1)
			g.retries.Add(1)
			if g.opts.OnRetry != nil {
				g.opts.OnRetry(resp.StatusCode)
			}
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		var eb struct {
			Error json.RawMessage `json:"error"`
		}
		ebody := &errorBody{Message: strings.TrimSpace(string(b))}
		if json.Unmarshal(b, &eb) == nil && len(eb.Error) > 0 {
			if json.Unmarshal(eb.Error, ebody) != nil {
				json.Unmarshal(eb.Error, &ebody.Message) // {"error": "text"}
			}
		}
		if busy {
			return nil, g.errorf(ErrBusy, "%s answered %d to %d tries: %s", g.shown, resp.StatusCode, attempt+1, ebody.Message)
		}
		return nil, g.apiError(resp.StatusCode, ebody)
	}
}

// retryAfter parses a Retry-After header (seconds or an HTTP date), capped at limit.
func retryAfter(h string, limit time.Duration) time.Duration {
	d := defaultRetryWait
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	return max(0, min(d, limit))
}

// apiError maps a server's error answer to the inference sentinels or this package's.
func (g *Generator) apiError(status int, e *errorBody) error {
	msg := e.Message
	code := fmt.Sprint(e.Code)
	low := strings.ToLower(msg)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || e.Type == "authentication_error":
		return g.errorf(ErrUnauthorized, "%s answered %d: %s", g.shown, status, msg)
	case status == http.StatusUnprocessableEntity || code == "context_length_exceeded" ||
		strings.Contains(low, "maximum context length") || strings.Contains(low, "exceeds the available context"):
		return g.errorf(inference.ErrPromptTooLong, "%s: %s", g.shown, msg)
	case code == "invalid_grammar" || e.Param == "grammar" || ((status == 0 || status == http.StatusBadRequest) && strings.Contains(low, "grammar")):
		return g.errorf(inference.ErrInvalidGrammar, "%s: %s", g.shown, msg)
	case status == http.StatusBadRequest || status == http.StatusNotFound || e.Type == "invalid_request_error":
		return g.errorf(inference.ErrInvalidRequest, "%s: %s", g.shown, msg)
	case status == 0:
		return g.errorf(ErrServer, "%s failed mid-stream: %s", g.shown, msg)
	}
	return g.errorf(ErrServer, "%s answered %d: %s", g.shown, status, msg)
}

// errorf wraps sentinel with a message from which the API key is removed.
func (g *Generator) errorf(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if g.key != "" {
		msg = strings.ReplaceAll(msg, g.key, "[redacted]")
	}
	return &Error{Msg: msg, Err: sentinel}
}

// Error is a remote call's failure: Err is the sentinel (ErrUnreachable, ErrUnauthorized,
// ErrBusy, ErrStreamCut, ErrServer or an inference sentinel), Msg the details, never the key.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Err.Error() + ": " + e.Msg }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine/threadctl"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

// Options configures [Open]. The zero value is usable: one slot, a context of
// min(trained length, 4096) tokens, batches of 512, adaptive thread counts (see "Threads" in
// the package documentation).
type Options struct {
	ContextSize int // tokens per slot; 0 = min(trained context, 4096)
	BatchSize   int // most tokens per llama_decode; 0 = 512
	// Threads is the thread count of single-token (generation) steps: N > 0 fixes it, 0 or
	// [AutoThreads] adapts it to the load between 1 and the physical cores (1 for small
	// models).
	Threads int
	// BatchThreads is the thread count of multi-token (prompt) steps: N > 0 fixes it,
	// [AutoThreads] adapts it, 0 = as Threads (the same fixed count, or adaptive).
	BatchThreads int
	// Poll is the polling level (0-100) of the context's thread pools: how long idle workers
	// spin for the next graph before they sleep. 0 is [DefaultPoll].
	Poll int
	// GPULayers is the number of layers offloaded to the GPU devices of the backends loaded
	// with llama.LoadBackends (more than the model's layers: all, the output layer included);
	// 0 keeps the model on the CPU. Without a GPU device the model runs on the CPU and
	// Info().GPULayers is 0. See llama.ModelParams.
	GPULayers int
	// MainGPU is the GPU device (llama.Device.Index) that holds the offloaded layers; a
	// negative value spreads them over every GPU device. The zero value is the first GPU.
	MainGPU      int
	Slots        int // parallel sequences decoded together; 0 = 1
	ChatTemplate string
	// Progress, if set, receives the model's load progress in [0, 1].
	Progress func(float32)
	// Logger receives the engine's own log lines; nil = slog.Default(). Open also makes it
	// llama.cpp's logger (llama.SetLogger): llama.cpp has one logger per process, so the
	// last engine opened receives the log lines of every engine's llama.cpp calls. llama.cpp's
	// loading chatter is at Debug level, so the usual Info level shows only its warnings.
	Logger *slog.Logger
}

// defaultContext caps the default per-slot context (trained contexts of 32k+ tokens would
// allocate gigabytes of KV cache).
const defaultContext = 4096

// Engine generates text with a llama.cpp model; it implements [inference.Generator]. Its
// methods are safe for concurrent use: requests are queued for a free slot and decoded
// together by one scheduler goroutine that owns the llama.cpp context.
type Engine struct {
	model *llama.Model
	lctx  *llama.Context
	info  inference.ModelInfo
	tmpl  string
	log   *slog.Logger
	opts  Options
	// genCtl and batchCtl choose the threads of single-token and multi-token steps.
	genCtl, batchCtl *threadctl.Controller
	// stepLimit, if set (tests), replaces the controllers' time limit of each step; set it
	// before the first Generate.
	stepLimit func(threadctl.Step) time.Duration

	mu     sync.RWMutex // held for reading while using model (tokenize), for writing by Close
	closed bool         // Close has begun: no new work
	freed  bool         // the C objects are gone

	submit chan *request
	quit   chan struct{} // closed by Close: the scheduler cancels everything and exits
	done   chan struct{} // closed when the scheduler has exited
	sched  *scheduler
}

var _ inference.Generator = (*Engine)(nil)

// Open validates and loads the GGUF model at path and starts the scheduler.
func Open(path string, opts Options) (*Engine, error) {
	if opts.ContextSize < 0 || opts.BatchSize < 0 || opts.Threads < AutoThreads || opts.BatchThreads < AutoThreads || opts.Slots < 0 || opts.GPULayers < 0 {
		return nil, fmt.Errorf("engine: open %s: negative option in %+v", path, opts)
	}
	if opts.Poll < 0 || opts.Poll > llama.MaxPoll || opts.Threads > llama.MaxThreads || opts.BatchThreads > llama.MaxThreads {
		return nil, fmt.Errorf("engine: open %s: poll %d outside [0, %d] or threads %d/%d above %d", path, opts.Poll, llama.MaxPoll, opts.Threads, opts.BatchThreads, llama.MaxThreads)
	}
	if err := models.Validate(path); err != nil {
		return nil, fmt.Errorf("engine: open: %w", err)
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	llama.SetLogger(lg)
	mp := llama.ModelParams{GPULayers: opts.GPULayers, MainGPU: opts.MainGPU}
	if opts.Progress != nil {
		f := opts.Progress
		mp.Progress = func(p float32) bool { f(p); return true }
	}
	m, err := llama.LoadModel(path, mp)
	if err != nil {
		return nil, fmt.Errorf("engine: open: %w", err)
	}
	if m.HasEncoder() {
		m.Close()
		return nil, fmt.Errorf("engine: open %s: encoder-decoder models are not supported", path)
	}
	if opts.ContextSize == 0 {
		opts.ContextSize = min(m.NCtxTrain(), defaultContext)
		if opts.ContextSize <= 0 {
			opts.ContextSize = defaultContext
		}
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 512
	}
	if opts.Slots == 0 {
		opts.Slots = 1
	}
	if opts.Poll == 0 {
		opts.Poll = DefaultPoll
	}
	genPol, batchPol := threadPolicies(opts.Threads, opts.BatchThreads, m.NParams(), coresForThreads())
	genCtl, batchCtl := genPol.controller(), batchPol.controller()
	lctx, err := llama.NewContext(m, llama.ContextParams{
		NCtx: opts.ContextSize * opts.Slots, NBatch: opts.BatchSize, NSeqMax: opts.Slots,
		Threads: genCtl.Threads(), ThreadsBatch: batchCtl.Threads(), Poll: opts.Poll,
		Pools: poolSizes(genPol, batchPol),
	})
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("engine: open %s: %w", path, err)
	}
	perSlot := min(opts.ContextSize, lctx.NCtxSeq())
	tmpl := opts.ChatTemplate
	if tmpl == "" {
		tmpl = m.ChatTemplate()
	}
	arch, _ := m.Meta("general.architecture")
	e := &Engine{
		model: m, lctx: lctx, tmpl: tmpl, log: lg, opts: opts, genCtl: genCtl, batchCtl: batchCtl,
		info: inference.ModelInfo{
			Path: path, Description: m.Desc(), Architecture: arch, Parameters: m.NParams(),
			SizeBytes: m.Size(), ContextLength: m.NCtxTrain(), ContextSize: perSlot,
			VocabSize: m.NVocab(), Slots: opts.Slots, ChatTemplate: tmpl,
			GPULayers: m.GPULayers(), GPUDevices: m.GPUDevices(),
		},
		submit: make(chan *request),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	e.sched = newScheduler(e, perSlot)
	go e.sched.run()
	lg.Debug("engine: model loaded", "path", path, "desc", e.info.Description, "ctx_per_slot", perSlot,
		"slots", opts.Slots, "threads", genPol, "batch_threads", batchPol, "poll", opts.Poll,
		"gpu_layers", m.GPULayers(), "gpu_devices", m.GPUDevices())
	if opts.GPULayers > 0 && m.GPULayers() == 0 {
		lg.Warn("engine: no GPU device: the model runs on the CPU", "path", path, "gpu_layers", opts.GPULayers)
	}
	return e, nil
}

// ThreadStats returns the engine's thread counts and what its controllers have seen.
func (e *Engine) ThreadStats() threadctl.Report {
	return threadctl.Report{Generation: e.genCtl.Stats(), Batch: e.batchCtl.Stats(), Poll: e.opts.Poll}
}

// Info describes the loaded model.
func (e *Engine) Info() inference.ModelInfo { return e.info }

// Close cancels running and queued generations, waits for the scheduler to stop and frees the
// model's C memory. It is safe to call more than once; later calls return nil. Afterwards
// Generate, ChatPrompt, Tokenize and Detokenize return [inference.ErrClosed].
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.quit)
	e.lctx.Abort()
	e.mu.Unlock()
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	e.freed = true
	e.lctx.Close()
	return e.model.Close()
}

// ChatPrompt renders msgs with the model's chat template (or Options.ChatTemplate) and opens
// the assistant's turn, ready for [Engine.Generate].
func (e *Engine) ChatPrompt(msgs []inference.Message) (string, error) {
	e.mu.RLock()
	closed := e.closed
	e.mu.RUnlock()
	if closed {
		return "", inference.ErrClosed
	}
	if e.tmpl == "" {
		return "", fmt.Errorf("%w: the model has no chat template (set Options.ChatTemplate)", inference.ErrInvalidRequest)
	}
	if len(msgs) == 0 {
		return "", fmt.Errorf("%w: no messages", inference.ErrInvalidRequest)
	}
	cm := make([]llama.ChatMessage, len(msgs))
	for i, m := range msgs {
		if !utf8.ValidString(m.Content) || !utf8.ValidString(m.Role) {
			return "", fmt.Errorf("%w: message %d is not valid UTF-8", inference.ErrInvalidRequest, i)
		}
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return "", fmt.Errorf("%w: message %d has role %q (want system, user or assistant)", inference.ErrInvalidRequest, i, m.Role)
		}
		cm[i] = llama.ChatMessage{Role: m.Role, Content: m.Content}
	}
	s, err := llama.ApplyChatTemplate(e.tmpl, cm, true)
	if err != nil {
		return "", fmt.Errorf("engine: chat template: %w", err)
	}
	return s, nil
}

// Tokenize converts text to tokens; addSpecial adds BOS as the model prescribes. Special-token
// text (e.g. "<|im_start|>") becomes the special token.
func (e *Engine) Tokenize(text string, addSpecial bool) ([]int32, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: text is not valid UTF-8", inference.ErrInvalidRequest)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, inference.ErrClosed
	}
	return e.model.Tokenize(text, addSpecial, true)
}

// Detokenize converts tokens to text (special tokens rendered as their text).
func (e *Engine) Detokenize(toks []int32) (string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return "", inference.ErrClosed
	}
	s, err := e.model.Detokenize(toks, false, true)
	if err != nil {
		return "", fmt.Errorf("%w: %v", inference.ErrInvalidRequest, err)
	}
	return s, nil
}

// Generate continues req.Prompt, streaming each token to onToken (which may be nil) from the
// calling goroutine. It waits for a free slot first. Cancelling ctx stops generation before
// the next token is delivered; an error from onToken stops it too and is returned. The
// result holds what was generated until then. Errors wrap [inference.ErrInvalidRequest],
// [inference.ErrPromptTooLong], [inference.ErrInvalidGrammar] or [inference.ErrClosed].
func (e *Engine) Generate(ctx context.Context, req inference.Request, onToken func(inference.Token) error) (inference.Result, error) {
	if err := req.Validate(); err != nil {
		return inference.Result{}, err
	}
	if !utf8.ValidString(req.Prompt) {
		return inference.Result{}, fmt.Errorf("%w: prompt is not valid UTF-8", inference.ErrInvalidRequest)
	}
	for i, s := range req.Stop {
		if !utf8.ValidString(s) {
			return inference.Result{}, fmt.Errorf("%w: stop[%d] is not valid UTF-8", inference.ErrInvalidRequest, i)
		}
	}
	r, err := e.prepare(req)
	if err != nil {
		return inference.Result{}, err
	}
	defer r.sampler.Close()
	select {
	case e.submit <- r:
	case <-ctx.Done():
		return inference.Result{StopReason: inference.StopCancelled}, ctx.Err()
	case <-e.quit:
		return inference.Result{}, inference.ErrClosed
	}
	return r.wait(ctx, e, onToken)
}

// prepare tokenizes the prompt and builds the sampler on the caller's goroutine.
func (e *Engine) prepare(req inference.Request) (*request, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, inference.ErrClosed
	}
	toks := slices.Clone(req.Tokens)
	for i, t := range toks {
		if t < 0 || int(t) >= e.info.VocabSize {
			return nil, fmt.Errorf("%w: tokens[%d] = %d outside the vocabulary", inference.ErrInvalidRequest, i, t)
		}
	}
	if len(toks) == 0 {
		var err error
		if toks, err = e.model.Tokenize(req.Prompt, req.AddSpecial, true); err != nil {
			return nil, fmt.Errorf("%w: tokenize: %v", inference.ErrInvalidRequest, err)
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("%w: empty prompt", inference.ErrInvalidRequest)
	}
	if len(toks) >= e.info.ContextSize {
		return nil, fmt.Errorf("%w: %d prompt tokens, context holds %d", inference.ErrPromptTooLong, len(toks), e.info.ContextSize)
	}
	s := req.Sampling
	smp, err := llama.NewSampler(e.model, llama.SamplerParams{
		Temperature: s.Temperature, TopK: s.TopK, TopP: s.TopP, MinP: s.MinP,
		RepeatPenalty: s.RepeatPenalty, RepeatLastN: s.RepeatLastN, Seed: s.Seed, Grammar: req.Grammar,
	})
	if err != nil {
		if errors.Is(err, llama.ErrInvalidGrammar) {
			return nil, grammarError(err)
		}
		return nil, fmt.Errorf("engine: sampler: %w", err)
	}
	if s.RepeatPenalty > 0 && s.RepeatPenalty != 1 {
		if err := smp.AcceptHistory(toks); err != nil {
			smp.Close()
			return nil, fmt.Errorf("engine: sampler: %w", err)
		}
	}
	return newRequest(req, toks, smp), nil
}

// grammarError turns the sampler's invalid-grammar error into inference.ErrInvalidGrammar
// with just the reason ("grammar line 2 column 7: ...") for the client.
func grammarError(err error) error {
	msg := err.Error()
	var le *llama.Error
	if errors.As(err, &le) {
		msg = le.Msg
	}
	return fmt.Errorf("%w: %s", inference.ErrInvalidGrammar, msg)
}

// elapsedMS converts a duration to milliseconds.
func elapsedMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

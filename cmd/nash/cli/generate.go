package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
)

func runGenerate(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	model := fs.String("m", "", "model file (GGUF)")
	prompt := fs.String("p", "", "prompt text")
	chat := fs.Bool("chat", false, "wrap the prompt as a user message in the model's chat template")
	system := fs.String("system", "", "system message (with --chat)")
	grammarFile := fs.String("grammar", "", "GBNF grammar file constraining the output")
	seed := fs.Uint("seed", 0, "sampling seed")
	n := fs.Int("n", 128, "maximum tokens to generate (<= 0: until end of generation or full context)")
	threads := fs.Int("threads", 0, "generation threads (0: auto, adapted to the load)")
	batchThreads := fs.Int("threads-batch", 0, "prompt-processing threads (0: --threads)")
	temp := fs.Float64("temp", 0.8, "temperature (0: greedy)")
	topK := fs.Int("top-k", 40, "top-k (0: off)")
	topP := fs.Float64("top-p", 0.95, "top-p (1: off)")
	minP := fs.Float64("min-p", 0.05, "min-p (0: off)")
	repeat := fs.Float64("repeat-penalty", 1, "repetition penalty (1: off)")
	nctx := fs.Int("ctx", 0, "context size (0: min(trained, 4096))")
	gpu := addGPUFlags(fs)
	var stops stringList
	fs.Var(&stops, "stop", "stop string (repeatable)")
	verbose := fs.Bool("v", false, "show llama.cpp's log")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *model == "" || *prompt == "" {
		return fmt.Errorf("%w: -m and -p are required", ErrUsage)
	}
	if err := gpu.check(); err != nil {
		return err
	}
	var grammar string
	if *grammarFile != "" {
		b, err := os.ReadFile(*grammarFile)
		if err != nil {
			return err
		}
		grammar = string(b)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug - 4
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	spec, err := gpu.place(config.Spec{Path: *model, ContextSize: *nctx, Slots: 1}, logger)
	if err != nil {
		return err
	}
	e, err := engine.Open(*model, engine.Options{ContextSize: *nctx, Threads: *threads, BatchThreads: *batchThreads,
		GPULayers: int(spec.GPULayers), MainGPU: spec.MainGPU, Logger: logger})
	if err != nil {
		return err
	}
	defer e.Close()
	printGPU(env.Stderr, "", e.Info())
	text := *prompt
	addSpecial := true
	if *chat {
		var msgs []inference.Message
		if *system != "" {
			msgs = append(msgs, inference.Message{Role: "system", Content: *system})
		}
		msgs = append(msgs, inference.Message{Role: "user", Content: *prompt})
		if text, err = e.ChatPrompt(msgs); err != nil {
			return err
		}
		addSpecial = false // the template carries BOS where the model wants one
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	req := inference.Request{
		Prompt: text, MaxTokens: *n, Stop: stops, Grammar: grammar, AddSpecial: addSpecial,
		Sampling: inference.Sampling{Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP),
			MinP: float32(*minP), RepeatPenalty: float32(*repeat), Seed: uint32(*seed)},
	}
	res, err := e.Generate(ctx, req, func(t inference.Token) error {
		_, werr := io.WriteString(env.Stdout, t.Text)
		return werr
	})
	if err != nil && res.Timings.PromptN == 0 && res.Timings.CacheN == 0 {
		return err // failed before generating anything
	}
	fmt.Fprintln(env.Stdout)
	tm := res.Timings
	fmt.Fprintf(env.Stderr, "prompt: %d tokens (%d cached) in %.1f ms, %.2f tokens/s\n", tm.PromptN, tm.CacheN, tm.PromptMS, tm.PromptPerSecond)
	fmt.Fprintf(env.Stderr, "generation: %d tokens in %.1f ms, %.2f tokens/s, stop: %s\n", tm.PredictedN, tm.PredictedMS, tm.PredictedPerSecond, res.StopReason)
	if errors.Is(err, context.Canceled) {
		return ExitError{130}
	}
	return err
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return fmt.Sprint(*s) }

func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

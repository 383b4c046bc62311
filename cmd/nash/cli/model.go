package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

func runModelGen(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	shape := fs.String("shape", "", "model shape: tiny (~0.6 MB F32, for tests) or bench (Qwen2.5-0.5B shape)")
	out := fs.String("o", "", "output `FILE` (written atomically)")
	vocab := fs.String("vocab", "bytes", "tokenizer: bytes (byte-fallback SentencePiece + ChatML) or llama3 (Llama 3.2's BPE, from the ollama module)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same file")
	quant := fs.String("quant", "", "weight type: Q4_K_M, Q8_0, ... (llama_model_quantize), F16, F32 or none (default: Q4_K_M for bench, none for tiny)")
	threads := fs.Int("threads", 0, "quantization threads (0: one per CPU)")
	outScale := fs.Float64("output-scale", 1, "multiply the output projection's weights (e.g. 50 for large greedy logit margins)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", ErrUsage, pos)
	}
	if *out == "" {
		return fmt.Errorf("%w: -o FILE is required", ErrUsage)
	}
	spec, err := models.ShapeSpec(*shape)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	spec.Seed = *seed
	spec.OutputScale = float32(*outScale)
	if *vocab != spec.Vocab {
		spec.Vocab, spec.VocabSize = *vocab, 0
	}
	q := *quant
	if q == "" && *shape == "bench" {
		q = "Q4_K_M"
	}
	// llama_model_quantize warns about every fallback tensor; show only its errors.
	llama.SetLogger(slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	start := time.Now()
	quantize := func(in, out, ftype string) error {
		if err := models.Validate(in); err != nil {
			return err
		}
		return llama.Quantize(in, out, ftype, *threads)
	}
	if err := models.GenerateQuantized(*out, spec, q, quantize); err != nil {
		return err
	}
	info, err := models.ReadInfo(*out)
	if err != nil {
		return fmt.Errorf("the written model does not read back: %w", err)
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %s, %s parameters, %s, vocab %s (%d tokens), seed %d, in %.1fs\n",
		info.Path, models.HumanBytes(uint64(info.SizeBytes)), models.HumanCount(info.Parameters), info.Quantization,
		spec.Vocab, info.VocabSize, spec.Seed, time.Since(start).Seconds())
	fmt.Fprintf(env.Stderr, "\n*** WARNING: %s has RANDOM WEIGHTS. It is not a trained model: its text is meaningless. ***\n"+
		"*** Use it for tests and benchmarks only; put a real GGUF model (e.g. Qwen2.5) in its place for real answers. ***\n\n", info.Path)
	return nil
}

// infoJSON is `nash model info --json`: the model's metadata and the validation result.
type infoJSON struct {
	*models.Info
	Valid bool   `json:"valid"`
	Error string `json:"error,omitempty"`
}

func runModelInfo(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one FILE", ErrUsage)
	}
	info, err := models.ReadInfo(pos[0])
	if *asJSON {
		v := infoJSON{Info: info, Valid: err == nil}
		if err != nil {
			v.Info = &models.Info{Path: pos[0]}
			v.Error = err.Error()
		}
		if e := writeIndented(env, v); e != nil {
			return e
		}
		if err != nil {
			return ExitError{1}
		}
		return nil
	}
	if err != nil {
		return err
	}
	return info.WriteText(env.Stdout)
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

func init() {
	register(&command{
		name:    "model gen",
		summary: "write a llama-architecture GGUF model with seeded RANDOM weights (tiny: tests, bench: Qwen2.5-0.5B shape)",
		usage:   "--shape tiny|bench -o FILE [--vocab bytes|llama3] [--seed N] [--quant Q4_K_M|Q8_0|F16|F32|none] [--threads N] [--output-scale X]",
		run:     runModelGen,
	})
	register(&command{
		name:    "model info",
		summary: "validate a GGUF model file and print its metadata",
		usage:   "FILE [--json]",
		run:     runModelInfo,
	})
}

func runModelGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["model gen"], stderr)
	shape := fs.String("shape", "", "model shape: tiny (~0.6 MB F32, for tests) or bench (Qwen2.5-0.5B shape)")
	out := fs.String("o", "", "output `FILE` (written atomically)")
	vocab := fs.String("vocab", "bytes", "tokenizer: bytes (byte-fallback SentencePiece + ChatML) or llama3 (Llama 3.2's BPE, from the ollama module)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same file")
	quant := fs.String("quant", "", "weight type: Q4_K_M, Q8_0, ... (llama_model_quantize), F16, F32 or none (default: Q4_K_M for bench, none for tiny)")
	threads := fs.Int("threads", 0, "quantization threads (0: one per CPU)")
	outScale := fs.Float64("output-scale", 1, "multiply the output projection's weights (e.g. 50 for large greedy logit margins)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, pos)
	}
	if *out == "" {
		return fmt.Errorf("%w: -o FILE is required", errUsage)
	}
	spec, err := models.ShapeSpec(*shape)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
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
	llama.SetLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})))
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
	fmt.Fprintf(stdout, "wrote %s: %s, %s parameters, %s, vocab %s (%d tokens), seed %d, in %.1fs\n",
		info.Path, modelHumanBytes(uint64(info.SizeBytes)), modelHumanCount(info.Parameters), info.Quantization,
		spec.Vocab, info.VocabSize, spec.Seed, time.Since(start).Seconds())
	fmt.Fprintf(stderr, "\n*** WARNING: %s has RANDOM WEIGHTS. It is not a trained model: its text is meaningless. ***\n"+
		"*** Use it for tests and benchmarks only; put a real GGUF model (e.g. Qwen2.5) in its place for real answers. ***\n\n", info.Path)
	return nil
}

// infoJSON is `nash model info --json`: the model's metadata and the validation result.
type infoJSON struct {
	*models.Info
	Valid bool   `json:"valid"`
	Error string `json:"error,omitempty"`
}

func runModelInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["model info"], stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one FILE", errUsage)
	}
	info, err := models.ReadInfo(pos[0])
	if *asJSON {
		v := infoJSON{Info: info, Valid: err == nil}
		if err != nil {
			v.Info = &models.Info{Path: pos[0]}
			v.Error = err.Error()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if e := enc.Encode(v); e != nil {
			return e
		}
		if err != nil {
			return exitError{1}
		}
		return nil
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("path", info.Path)
	row("valid", "yes")
	row("architecture", info.Architecture)
	row("name", info.Name)
	row("quantization", info.Quantization)
	row("parameters", fmt.Sprintf("%s (%d)", modelHumanCount(info.Parameters), info.Parameters))
	row("file size", fmt.Sprintf("%s (%d bytes)", modelHumanBytes(uint64(info.SizeBytes)), info.SizeBytes))
	row("context length", info.ContextLength)
	row("embedding length", info.EmbeddingLength)
	row("blocks", info.Blocks)
	row("heads / kv heads", fmt.Sprintf("%d / %d", info.Heads, info.HeadsKV))
	row("vocabulary", fmt.Sprintf("%d tokens (%s)", info.VocabSize, info.Tokenizer))
	tmpl := "none"
	if info.ChatTemplate != "" {
		tmpl = fmt.Sprintf("%d bytes", len(info.ChatTemplate))
	}
	row("chat template", tmpl)
	row("estimated RAM", fmt.Sprintf("%s (weights, KV cache and compute buffers at %d tokens, 1 slot)",
		modelHumanBytes(info.EstimatedRAM), min(models.DefaultEstimateContext, max(info.ContextLength, 1))))
	return tw.Flush()
}

func modelHumanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func modelHumanCount(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprintf("%d", n)
}

package engine

import (
	"context"
	"testing"

	"github.com/nashd/nashd/inference"
)

// BenchmarkGenerateTiny measures the engine's per-token overhead on the tiny model, where
// llama.cpp's own work is small. scripts/bench-inference.sh compares the engine with a plain C
// loop over the same libllama (package llamabench) on the bench model.
func BenchmarkGenerateTiny(b *testing.B) {
	e := openTiny(b, Options{ContextSize: 2048})
	defer e.Close()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		r, err := e.Generate(context.Background(), inference.Request{Prompt: "x", MaxTokens: 256, Sampling: inference.Sampling{Temperature: 1, Seed: uint32(i)}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		n += len(r.Tokens)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/token")
}

package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
)

// A chat turn constrained by a grammar, streamed token by token.
func Example() {
	e, err := engine.Open("model.gguf", engine.Options{Slots: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	prompt, err := e.ChatPrompt([]inference.Message{{Role: "user", Content: "Cooperate or defect?"}})
	if err != nil {
		log.Fatal(err)
	}
	res, err := e.Generate(context.Background(), inference.Request{
		Prompt:    prompt,
		MaxTokens: 16,
		Grammar:   `root ::= "cooperate" | "defect"`,
		Sampling:  inference.DefaultSampling(42),
	}, func(t inference.Token) error {
		fmt.Print(t.Text)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n%d tokens at %.1f tokens/s\n", res.Timings.PredictedN, res.Timings.PredictedPerSecond)
}

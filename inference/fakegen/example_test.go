package fakegen_test

import (
	"context"
	"fmt"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
)

// A consumer's test scripts the model's answers, then checks what the consumer sent.
func Example() {
	g := fakegen.New(fakegen.Replies(`{"action": "cooperate"}`, "Because it pays."), nil)
	defer g.Close()
	for _, q := range []string{"Cooperate or defect?", "Why?"} {
		prompt, _ := g.ChatPrompt([]inference.Message{{Role: "user", Content: q}})
		res, err := g.Generate(context.Background(), inference.Request{Prompt: prompt, MaxTokens: 64}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q (%s, %d tokens)\n", res.Text, res.StopReason, len(res.Tokens))
	}
	reqs := g.Requests()
	fmt.Printf("%d requests, the first: %q\n", len(reqs), reqs[0].Prompt)
	// Output:
	// "{\"action\": \"cooperate\"}" (stop, 23 tokens)
	// "Because it pays." (stop, 16 tokens)
	// 2 requests, the first: "<|im_start|>user\nCooperate or defect?<|im_end|>\n<|im_start|>assistant\n"
}

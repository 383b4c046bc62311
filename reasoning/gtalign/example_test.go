package gtalign_test

import (
	"context"
	"fmt"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/reasoning/gtalign"
	"github.com/nashd/nashd/reasoning/pricing"
)

// The solver's choice on a payoff block, before and after a pricing under which the user
// pays for long answers.
func ExampleDecide() {
	g := gtalign.Default()
	m, err := gtalign.ParsePayoff(g, `{"DQ_DA": {"LLM": 3, "user": 3}, "DQ_CQ": {"LLM": 1, "user": 1},
		"DQ_AQ": {"LLM": 3.5, "user": 3.5}, "VQ_DA": {"LLM": 0, "user": 0}, "VQ_CQ": {"LLM": 0, "user": 0},
		"VQ_AQ": {"LLM": 0, "user": 0}}`)
	if err != nil {
		panic(err)
	}
	d, _ := gtalign.Decide(m, gtalign.RuleWelfare, float64(g.Payoff.Min))
	fmt.Println("no pricing:", d.Choice, d.Frontier)

	c := pricing.Default() // the user pays: 0.5 in, 1.5 out per million tokens, rate 1000
	c.ExpectedCompletionTokens = map[string]int{"DA": 100, "CQ": 30, "AQ": 1000}
	plan, _ := pricing.NewPlan(c, "example", nil)
	t := gtalign.Transform(m, plan)
	d, _ = gtalign.Decide(t, gtalign.RuleWelfare, float64(g.Payoff.Min))
	fmt.Println("AQ costs the user", plan.Penalty["AQ"], "→", d.Choice)
	// Output:
	// no pricing: DQ_AQ [DQ_AQ]
	// AQ costs the user 1.6 → DQ_DA
}

// A whole GTAlign call on a scripted generator: the model's analysis disagrees with the
// solver, and the default policy overrides it.
func ExampleReasoner_Reason() {
	r, err := gtalign.New(gtalign.Default())
	if err != nil {
		panic(err)
	}
	gen := fakegen.New(fakegen.Replies(
		"<thinking>\nThe question is clear.\n</thinking>\n<payoff>\n{\n"+
			`  "DQ_DA": {"LLM": 4, "user": 4.5},`+"\n"+`  "DQ_CQ": {"LLM": 1, "user": 1},`+"\n"+
			`  "DQ_AQ": {"LLM": 3, "user": 4},`+"\n"+`  "VQ_DA": {"LLM": 0, "user": 0},`+"\n"+
			`  "VQ_CQ": {"LLM": 0, "user": 0},`+"\n"+`  "VQ_AQ": {"LLM": 0, "user": 0}`+"\n}\n</payoff>",
		"frontier: DQ_DA\nchoice: DQ_AQ\n</analyze>",
		"Paris.\n</response>"), nil)
	res, err := r.Reason(context.Background(), gen, []inference.Message{{Role: "user", Content: "Capital of France?"}}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("model:", res.ModelChoice, "solver:", res.SolverChoice, "agree:", res.Agree, "applied:", res.Applied)
	fmt.Printf("analysis in the context: %q\n", res.Analyze)
	fmt.Println("response:", res.Response)
	for _, p := range res.Passes[1:] {
		fmt.Printf("%s pass evaluated %d new prompt tokens\n", p.Name, p.PromptTokens-p.CacheN)
	}
	// The analyze pass evaluates only "\n<analyze>\n"; the response pass the solver's
	// analysis from where it departs from the model's ("…choice: DQ_"), then "<response>".

	// Output:
	// model: DQ_AQ solver: DQ_DA agree: false applied: DQ_DA
	// analysis in the context: "frontier: DQ_DA\nchoice: DQ_DA"
	// response: Paris.
	// analyze pass evaluated 11 new prompt tokens
	// response pass evaluated 25 new prompt tokens
}

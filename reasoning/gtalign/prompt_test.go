package gtalign

import (
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
)

func TestSystemPromptGolden(t *testing.T) {
	golden(t, "default_system_welfare.txt", SystemPrompt(Default(), RuleWelfare))
	golden(t, "default_system_nash_product.txt", SystemPrompt(Default(), RuleNashProduct))
	golden(t, "3x4_system_welfare.txt", SystemPrompt(game3x4(), RuleWelfare))
}

// The prompt names every configured type, strategy and key, the range and the rule, and
// says nothing may stand outside the four blocks.
func TestSystemPromptContents(t *testing.T) {
	for _, g := range []*Game{Default(), game3x4()} {
		for _, rule := range []Rule{RuleWelfare, RuleNashProduct} {
			p := SystemPrompt(g, rule)
			must := []string{"<thinking>", "<payoff>", "<analyze>", "<response>", "nothing before, between or after them",
				"frontier: ", "choice: ", strings.Join(g.Keys(), ", ")}
			for _, u := range g.UserTypes {
				must = append(must, u.ID+" ("+u.Name+"): "+u.Description)
			}
			for _, s := range g.Strategies {
				must = append(must, s.ID+" ("+s.Name+"): "+s.Description+" "+formRule(s.Form))
			}
			if rule == RuleNashProduct {
				must = append(must, "product")
			} else {
				must = append(must, "largest sum LLM + user")
			}
			for _, m := range must {
				if !strings.Contains(p, m) {
					t.Errorf("SystemPrompt(%v) lacks %q", rule, m)
				}
			}
		}
	}
}

func TestMessages(t *testing.T) {
	g := Default()
	conv := []inference.Message{{Role: "user", Content: "hi"}}
	msgs := Messages(g, RuleWelfare, conv)
	if len(msgs) != 2 || msgs[0].Role != "system" || msgs[0].Content != SystemPrompt(g, RuleWelfare) || msgs[1] != conv[0] {
		t.Errorf("Messages = %+v", msgs)
	}
	// A caller's system message is appended to nashd's, not sent as a second one.
	conv = []inference.Message{{Role: "system", Content: "Be terse."}, {Role: "user", Content: "hi"}}
	msgs = Messages(g, RuleWelfare, conv)
	if len(msgs) != 2 || !strings.HasSuffix(msgs[0].Content, "\n\nBe terse.") || msgs[1].Content != "hi" {
		t.Errorf("Messages with a system message = %+v", msgs)
	}
	if conv[0].Content != "Be terse." {
		t.Error("Messages modified its input")
	}
	// Rendered through a generator's chat template.
	gen := fakegen.New(fakegen.Replies(), nil)
	p, err := gen.ChatPrompt(Messages(g, RuleWelfare, []inference.Message{{Role: "user", Content: "What is the capital of France?"}}))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "default_chat_prompt.txt", p)
}

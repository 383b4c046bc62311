package gtalign

import (
	"fmt"
	"strings"

	"github.com/nashd/nashd/inference"
)

// SystemPrompt returns the system message that asks the model for the four blocks, built from
// the game (types, strategies, their descriptions and response forms, the payoff range) and
// the selection rule the model should apply in `<analyze>`. The wording is nashd's own
// (reasoning.md §1). The game must be valid.
func SystemPrompt(g *Game, rule Rule) string {
	var b strings.Builder
	b.WriteString("You treat every exchange with the user as a game between the two of you. Before replying, you " +
		"work out which way of answering is best for both sides, and you write your whole reply as four tagged blocks, " +
		"in this order, with nothing before, between or after them but line breaks:\n" +
		"<thinking>…</thinking>, <payoff>…</payoff>, <analyze>…</analyze>, <response>…</response>.\n\n")

	b.WriteString("The user's request is of one of these types:\n")
	for _, u := range g.UserTypes {
		fmt.Fprintf(&b, "- %s (%s): %s\n", u.ID, u.Name, u.Description)
	}
	b.WriteString("\nYou can answer with one of these strategies:\n")
	for _, s := range g.Strategies {
		fmt.Fprintf(&b, "- %s (%s): %s %s\n", s.ID, s.Name, s.Description, formRule(s.Form))
	}

	keys := g.Keys()
	fmt.Fprintf(&b, "\nThe blocks:\n"+
		"1. <thinking>: two to five sentences in plain words, without digits. Decide which type the request is, then "+
		"weigh each strategy for both sides: the risk of a wrong answer, the ambiguity left, the effort asked of the "+
		"user, the tokens spent and how satisfied the user will be.\n"+
		"2. <payoff>: one JSON object with exactly the keys %s, in this order. A key joins a request type and a "+
		"strategy; its value is {\"LLM\": x, \"user\": y}, how good that outcome is for you (x) and for the user (y): "+
		"numbers from %d to %d with at most one decimal place, higher is better.\n"+
		"3. <analyze>: the line \"frontier: \" and the keys of the Pareto frontier in the order of the payoff block, separated by \", \" (a key is on the "+
		"frontier when no other key is at least as good for both sides and better for one); then the line \"choice: \" "+
		"and the one key you pick: %s\n"+
		"4. <response>: your reply to the user, doing exactly what the chosen key's strategy asks.\n\n",
		strings.Join(keys, ", "), g.Payoff.Min, g.Payoff.Max, ruleText(rule, g.Payoff.Min))

	fmt.Fprintf(&b, "The layout, with x and y standing for numbers:\n<thinking>\n…\n</thinking>\n<payoff>\n{\n")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  %q: {\"LLM\": x, \"user\": y}", k)
	}
	fmt.Fprintf(&b, "\n}\n</payoff>\n<analyze>\nfrontier: %s, …\nchoice: %s\n</analyze>\n<response>\n…\n</response>", keys[0], keys[0])
	return b.String()
}

// formRule tells the model what a response of the form must look like.
func formRule(form string) string {
	switch form {
	case FormQuestion:
		return "Response: exactly one question and nothing else; its \"?\" ends the response."
	case FormAnswerQuestion:
		return "Response: a brief answer, then exactly one follow-up question; that question's \"?\" ends the response and is its only \"?\"."
	}
	return "Response: the answer itself."
}

// ruleText states the selection rule as the model should apply it.
func ruleText(rule Rule, lo int) string {
	if rule == RuleNashProduct {
		return fmt.Sprintf("among the frontier, the largest product of the two payoffs, each counted from the lowest "+
			"possible payoff %d, that is (LLM − (%d)) × (user − (%d)); on a tie, the higher user payoff, then the higher LLM payoff.", lo, lo, lo)
	}
	return "among the frontier, the largest sum LLM + user; on a tie, the higher user payoff, then the higher LLM payoff."
}

// Messages returns the conversation to render for pass 1: the game's system prompt, then
// conv. A system message at the start of conv is kept, appended to nashd's after a blank line
// (most chat templates take one system message).
func Messages(g *Game, rule Rule, conv []inference.Message) []inference.Message {
	sys := SystemPrompt(g, rule)
	if len(conv) > 0 && conv[0].Role == "system" {
		sys += "\n\n" + conv[0].Content
		conv = conv[1:]
	}
	return append([]inference.Message{{Role: "system", Content: sys}}, conv...)
}

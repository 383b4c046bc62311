package welfare_test

import (
	"fmt"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/welfare"
)

// GTAlign's choice: keep the Pareto-optimal cells of the (LLM, user) payoff matrix, then take
// the highest Nash product, breaking ties by the user's payoff, then the LLM's. Here clarify
// (3·3) and answer+question (2·4.5) tie at 9, and the user's payoff decides.
func ExampleSelect() {
	cells := []welfare.Point{
		{Label: "vague/direct answer", Payoffs: game.Rats("2", "1")},
		{Label: "vague/clarify", Payoffs: game.Rats("3", "3")},
		{Label: "vague/answer+question", Payoffs: game.Rats("2", "4.5")},
		{Label: "vague/long answer", Payoffs: game.Rats("1.5", "4.5")},
	}
	front, _ := welfare.Frontier(cells)
	sel, _ := welfare.Select(cells, front, welfare.ByRule(welfare.NashProduct), welfare.ByPlayer(1), welfare.ByPlayer(0))
	fmt.Println("frontier:", front)
	fmt.Println("choice:", cells[sel.Index].Label)
	// Output:
	// frontier: [1 2]
	// choice: vague/answer+question
}

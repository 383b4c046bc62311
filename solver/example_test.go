package solver_test

import (
	"context"
	"fmt"

	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/gamefile"
)

func ExampleSolve() {
	g, err := gamefile.ParseJSON("bos.json", []byte(`{
	  "name": "battle_of_sexes",
	  "players": ["Alice", "Bob"],
	  "strategies": [["c1", "c2"], ["c1", "c2"]],
	  "payoffs": [[[2, 1], [0, 0]], [[0, 0], [1, 2]]]
	}`))
	if err != nil {
		panic(err)
	}
	r, err := solver.Solve(context.Background(), g, "all")
	if err != nil {
		panic(err)
	}
	for _, e := range r.Equilibria {
		fmt.Println(e.Profile[0][0].RatString(), e.Profile[1][0].RatString(), e.Payoffs[0].RatString(), e.Payoffs[1].RatString())
	}
	// Output:
	// 0 0 1 2
	// 2/3 1/3 2/3 2/3
	// 1 1 2 1
}

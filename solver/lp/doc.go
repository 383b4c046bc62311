// Package lp solves small linear programs exactly, with the two-phase simplex method over
// math/big.Rat (Dantzig, "Linear Programming and Extensions", 1963; Chvátal, "Linear
// Programming", 1983, chapters 2–3). Pivoting uses Dantzig's largest-coefficient rule and
// switches to Bland's rule (Bland 1977), which cannot cycle, after a run of degenerate pivots.
//
// The solver is exact: the optimum it returns satisfies every constraint in rational
// arithmetic, which is what the game solvers built on it (zero-sum games, correlated
// equilibria, mixed dominance) need to report exact answers. It is meant for problems with up
// to a few hundred rows and columns.
package lp

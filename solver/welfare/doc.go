// Package welfare works on plain sets of payoff vectors ("points", for example the cells of the
// payoff matrix an assistant writes in its reasoning, or the outcomes of a game): Pareto
// frontiers, welfare rules with explicit tie-break chains, and Nash's bargaining solution.
// Everything is exact (math/big.Rat).
//
// The welfare rules are those GTAlign (ulab-uiuc, 2025) uses to pick an action from its
// payoff matrix: the utilitarian sum, the Nash product / Cobb–Douglas mutual-welfare reward
// √(U·L) (Nash 1950; the geometric mean ranks points exactly as the product does, so the
// product is compared) and the egalitarian (Rawlsian) minimum. GTAlign first keeps the
// Pareto-optimal cells, then maximises welfare: [Frontier] then [Select].
package welfare

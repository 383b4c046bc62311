// Package alloc analyses allocation games ([game.Allocation]): it enumerates every split of
// the items, tests Pareto optimality and envy-freeness (Foley 1967; Varian 1974), and finds the
// split with the largest total welfare among the envy-free ones, the reference row of the
// negotiation-games paper's Deal or No Deal evaluation (Hua et al. 2024). It also reads the Deal
// or No Deal dialogue format of Lewis et al. (2017).
package alloc

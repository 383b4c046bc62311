// Package strategic computes solution concepts of finite normal-form games ([game.Normal]) in
// exact rational arithmetic:
//
//   - [PureEquilibria]: every pure Nash equilibrium of an n-player game (best-response
//     enumeration, as gambit-enumpure).
//   - [Verify], [VerifyPure]: a profile's regrets, whether it is an equilibrium, which pure
//     outcomes Pareto-dominate it and its welfare rank.
//   - [ZeroSum]: value and optimal strategies of a two-player constant-sum game by linear
//     programming (von Neumann's minimax theorem; the LP as in gambit-lp), exact.
//   - [MaxWelfareCorrelated]: a correlated equilibrium (Aumann 1974) maximising the sum of
//     payoffs, by the linear program of Papadimitriou & Roughgarden (2008), as OpenSpiel does.
//   - [IteratedElimination]: iterated elimination of strictly or weakly dominated strategies,
//     by pure strategies and (strict dominance) by mixed strategies found by LP.
//   - [SupportEnumeration]: mixed equilibria of n-player games by support enumeration with
//     Newton's method (Porter, Nudelman & Shoham 2008), approximate, reporting its own accuracy.
//
// Two-player mixed equilibria (exact, complete) live in package solver/bimatrix.
package strategic

// Package sequential solves finite perfect-information game trees ([game.Tree]) by backward
// induction (Zermelo 1913; Selten 1965, 1975: the result is a subgame-perfect equilibrium,
// Kuhn 1953 for its existence), exactly, with chance nodes averaged by their probabilities.
package sequential

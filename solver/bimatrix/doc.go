// Package bimatrix computes Nash equilibria of two-player (bimatrix) games exactly.
//
// A bimatrix game is a pair of m×n payoff matrices (A, B) with rational entries: the row player
// chooses a row i, the column player a column j, and they receive A[i][j] and B[i][j].
//
// # Extreme equilibria
//
// [Enumerate] returns every extreme Nash equilibrium, degenerate games included: exactly the set that
// lrsnash (lrslib) prints. It follows Avis, Rosenberg, Savani and von Stengel, "Enumeration of Nash
// equilibria for two-player games", Economic Theory 42 (2010) 9–37, and von Stengel, "Computing
// equilibria for two-person games", Handbook of Game Theory vol. 3 (2002), ch. 45. After a
// positive affine change of payoffs (integers, all entries ≥ 1) the best-response polytopes
//
//	P = {x ∈ Rᵐ : x ≥ 0, Bᵀx ≤ 1},   Q = {y ∈ Rⁿ : y ≥ 0, Ay ≤ 1}
//
// are bounded. Label i ∈ {0..m-1} marks x_i = 0 in P and (Ay)_i = 1 in Q (row i is a best response);
// label m+j marks (Bᵀx)_j = 1 in P (column j is a best response) and y_j = 0 in Q. The extreme
// equilibria are the pairs of vertices (x, y) ≠ (0, 0) whose label sets cover all m+n labels,
// normalised to probability vectors. A vertex is identified by its label set (the set of its tight
// inequalities), so degenerate vertices, which have more labels than the dimension and many bases,
// are found once each.
//
// The vertices of the polytope of the player with fewer strategies are enumerated by a depth-first
// search over lexicographically feasible bases (the bases of the lexicographically perturbed,
// hence simple, polytope, whose graph is connected; Dantzig, Orden and Wolfe 1955), with exact
// fraction-free integer pivoting (Edmonds 1967; Bareiss 1968); leaving a node pivots back, which
// restores the parent's tableau exactly. Tableau entries are minors of the payoff matrix; they are
// kept in 128-bit integers (with a 64-bit fast path) and the enumeration restarts in math/big when
// an entry would not fit. For each vertex x the matching vertices y of the other polytope form the
// face where the labels x lacks are tight: when x is nondegenerate that face is at most one point,
// found by solving a square system exactly; when x is degenerate or that system is singular, the
// other polytope is enumerated too and vertices are joined by label sets (a vertex y matches x
// when its labels include every label x lacks).
//
// # Lemke–Howson
//
// [LemkeHowson] follows the complementary path of Lemke and Howson (1964) from the artificial
// equilibrium (0, 0) dropping one label, in the formulation of Shapley (1974) and von Stengel
// (2002), with lexicographic ratio tests so that it terminates in degenerate games too, and exact
// fraction-free arithmetic. It works in revised form: a basis is the set of basic strategies and
// tight constraints, and each pivot solves a system whose size is the current support size (small
// in practice) instead of updating an m×n tableau: on random 100×100 games a pivot takes tens
// of microseconds (up to about 0.2 ms at support size 16). [LemkeHowsonAll] collects the equilibria reached from every label and then,
// breadth first, from every equilibrium found (the component of the artificial equilibrium in the
// Lemke–Howson graph).
//
// # Oracle
//
// Package [github.com/nashd/nashd/solver/bimatrix/lrsnash] runs lrsnash (lrslib) for cross-checks;
// the tests compare [Enumerate] with it on hundreds of random and degenerate games, and the command
// solver/bimatrix/cmd/benchlrs compares their speed.
//
// # Errors
//
// Inputs are never modified, and no input makes Enumerate or the Lemke–Howson functions panic
// ([Payoffs] panics on mismatched shapes, a programmer error). A game with no strategies,
// ragged or mismatched matrices, or nil entries yields an error wrapping [ErrShape] (as does a game
// with more than [MaxStrategies] strategies for [Enumerate]); a label out of range one wrapping
// [ErrLabel].
// Cancelling the context of the Context variants stops the computation with ctx.Err().
package bimatrix

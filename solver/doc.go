// Package solver is nashd's referee: given a game ([game.Game], read with package gamefile or
// nfg) and a method name, [Solve] computes the requested solution exactly and returns a
// [Report], whose JSON form is the stable `nash solve --json` schema of docs/solver.md and the
// daemon's POST /v1/games/solve response. [VerifyChoice] judges a pure profile chosen by a
// model: regrets, equilibrium, Pareto domination and welfare rank.
//
// The algorithms live in sub-packages, each citing its sources: bimatrix (two-player exact
// vertex enumeration and Lemke–Howson), strategic (pure equilibria, verification, zero-sum LP,
// correlated equilibrium, dominance, n-player support enumeration), sequential (backward
// induction), welfare (Pareto frontiers, welfare rules, Nash bargaining), alloc (allocation
// games, Deal or No Deal), lp (exact simplex).
//
// # Methods
//
// The default is spe for tree games and all otherwise.
//
// all: every extreme equilibrium of a two-player game, exact and complete
// ("enummixed", bimatrix.Enumerate); for three or more players every pure equilibrium plus
// mixed ones found by support enumeration ("supportenum", not complete, each with its max
// regret); for allocation games the allocation analysis. pure: every pure equilibrium
// ("enumpure", complete). lh: one equilibrium, fast, by the Lemke–Howson path dropping the row
// player's first strategy ("lcp"; milliseconds on 100×100 games). lhall: every equilibrium
// reachable by Lemke–Howson paths from every label ("lcp", not complete; exponential in the
// worst case, seconds at 30×30). zerosum: value and optimal strategies of a constant-sum game ("lp"). ce: a
// welfare-maximising correlated equilibrium ("ce"). iesds / iewds: iterated elimination of
// strictly (pure and mixed dominators) / weakly dominated strategies. pareto: the Pareto
// frontier of the pure outcomes and the outcome each welfare rule selects from it (for an
// allocation game, the same analysis as all). spe: the
// subgame-perfect equilibrium of a tree by backward induction. Tree games are solved through
// their normal form ([game.Tree.ToNormal]) for every method but spe.
//
// # JSON
//
// Every report has the fields of docs/solver.md: game, players, strategies, method, complete,
// equilibria (profile: one probability vector per player as exact rational strings; payoffs).
// Extra fields appear only for the methods that need them: zero_sum (value, constant), correlated
// (distribution over profiles, payoffs, welfare), eliminated and remaining (dominance), pareto
// (strict and weak frontiers of pure outcomes; select: the outcome chosen by sum, nash_product
// and maxmin, ties broken by the players' payoffs in order), spe (choice at every decision node
// with ties, path, unique), allocation (split count, envy-free and Pareto-optimal splits, max
// total welfare among envy-free splits, Nash bargaining split and lottery), note (a limit the
// method hit), and, on equilibria found numerically, exact:false with max_regret (their
// probabilities are then decimal strings).
package solver

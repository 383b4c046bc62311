// Package agents has two model agents, Alice and Bob, play the complete-information games of
// the negotiation-games paper (Hua et al. 2024, "Game-theoretic LLM: Agent Workflow for
// Negotiation Games"; the suite in configs/games), with nashd's solver as the referee of
// every outcome.
//
// # Play
//
// [Play] takes a two-player game and one [Agent] per player: a generator (the agents may
// share one or use different models), a [Mode] and sampling settings. Each agent is a chat
// conversation of its own: the system message states the game as both players know it
// (nashd's wording; the game file's description, the strategies and every payoff).
//
//   - Simultaneous (normal-form) games: optional pre-play negotiation (Options.Rounds, the
//     paper's §4.3): in each round Alice then Bob writes one message of bounded length,
//     which the other reads before answering. Then each agent chooses its strategy without
//     seeing the other's choice.
//   - Sequential (tree) games: played node by node from the root; the mover's agent is told
//     the moves so far and picks one of its legal moves; chance moves are drawn with
//     Options.Seed.
//
// # Modes
//
// [Raw] gives the game only. [Prompted] has the model do the paper's workflow (§3): for a
// simultaneous game it names the opponent's best response to each of its strategies and its
// own best response to each of the opponent's, sums up a strategy and chooses; for a tree
// it works backwards from the deepest decisions still ahead, one line per node. [Verified]
// has the solver compute those facts (best responses, the pure equilibria and which are
// Pareto-optimal, the mixed equilibria; backward induction's move at every node ahead) and
// give them to the model, which still chooses.
//
// # Grammars
//
// Every answer is constrained by a GBNF grammar generated from the game and checked like
// any user grammar ([github.com/nashd/nashd/inference/gbnf]): a negotiation message is one
// line without '<'; a decision is a fixed layout of lines ending in "ACTION: " and one of
// the mover's legal strategy or move names, preceded by a one-line reason (or, prompted,
// the workflow's lines, whose strategy names are grammar-constrained too, and a one-line
// strategy). So a model's action is always legal. With Options.Unconstrained no grammar is
// sent: answers are parsed tolerantly, an answer that does not parse is asked again
// (Options.Retries), and an agent that never answers in form forfeits ([Forfeit]).
//
// # Verdicts
//
// The solver judges every outcome. [JudgeNormal]: the actions, payoffs, each player's
// regret, whether the outcome is a Nash equilibrium, whether it is a Pareto-optimal one
// among the equilibria (the paper's metric), whether any outcome Pareto-dominates it.
// [JudgeTree]: the path, payoffs and whether some subgame-perfect equilibrium produces the
// path (exactly, ties included). A prompted agent's workflow claims are graded too
// ([Claims]).
//
// # Transcript and results
//
// Each step is an [Event] (agent, phase, text, action, tokens, time) delivered to
// Options.OnEvent as it happens, so a server can stream a game (the callback and ctx are
// all a handler needs), and kept in the [Result], whose JSON is the stable output of
// `nash play --json`. Cancelling ctx ends a game promptly with ctx's error.
//
// Deal or No Deal, the paper's incomplete-information game, is in package
// [github.com/nashd/nashd/reasoning/dond].
package agents

// Package dond has two model agents, Alice and Bob, play Deal or No Deal (Lewis et al.
// 2017), the incomplete-information game of the negotiation-games paper (Hua et al. 2024,
// "Game-theoretic LLM: Agent Workflow for Negotiation Games", §5), with nashd's solver as
// the referee.
//
// # The game
//
// A pool of items (a book, hats, balls: counts from one line of the data, [ParseLine],
// [LoadLine]) is split between the two. Each player values the items privately, with whole
// numbers that make the whole pool worth [PoolValue] (10); each knows its own values and
// that the opponent's pool is worth 10 too. Alice gets the line's <input> values, Bob its
// <partner_input> values. [Play] alternates turns, Alice first: a message and either a
// proposal `<deal>book=x hat=y ball=z</deal>` naming the speaker's own share, or
// [AcceptTag], accepting the opponent's latest proposal (proposing exactly what it leaves
// the speaker accepts it too). Every answer is grammar-constrained: shares within the
// counts, acceptance only with a proposal to accept. A round is a turn of each; without a
// deal within the round limit (10 by default, at most 20) both score 0.
//
// # The workflow agent
//
// A [Workflow] agent follows the paper's workflow. It keeps a [Belief]: the set of the
// opponent's possible valuations ([Valuations]: every non-negative integer vector worth 10
// over the pool). After each rejection of its proposal (the opponent counter-proposed) it
// splits the set into the valuations under which the rejection was envy (its proposal was
// not envy-free for the opponent, the counter is) and those under which it was greed (its
// proposal was envy-free for the opponent, the counter gives the opponent strictly more),
// sets P(envy) = |envy| / (|envy| + |greed|), and keeps their union, or every valuation
// again when both are empty ([Belief.Reject]). The solver then lists the splits envy-free
// for the agent, ranked by the chance the opponent accepts under the belief
// ([Candidates], [Belief.AcceptProb]); the model writes the message and picks one of them,
// or accepts a proposal that is envy-free for it. A [Raw] agent negotiates unaided. Any
// pairing plays.
//
// # Verdict
//
// [Judge] reports the agreement, the shares, each player's score (its own values times its
// own share), the total, whether the split is Pareto-optimal and envy-free, and the best
// totals any split and any envy-free split reach (the paper's reference). The [Result]
// carries the verdict, the belief updates, the transcript (package agents' [agents.Event],
// delivered as they happen to Options.OnEvent) and the game's figures.
package dond

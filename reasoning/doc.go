// Package reasoning holds nashd's reasoning systems: the model proposes, the solver decides.
// Each lives in a subpackage that takes the generator interface
// ([github.com/nashd/nashd/inference.Generator]) and the solver, never the engine or the
// daemon, so its unit tests run against a scripted fake and its integration tests against
// the real engine.
//
//   - [github.com/nashd/nashd/reasoning/gtalign]: GTAlign mode. The model writes a payoff
//     matrix of its game with the user under a grammar; the solver, with the payoffs adapted
//     to the service's pricing, chooses the strategy the answer follows.
//   - [github.com/nashd/nashd/reasoning/pricing]: GTAlign's inference-time adaptation to
//     token prices, and the learned lengths of each strategy's answers.
//   - [github.com/nashd/nashd/reasoning/agents]: two model agents play the negotiation-games
//     paper's complete-information games (raw, prompted and verified workflows, pre-play
//     negotiation); the solver judges every outcome.
//   - [github.com/nashd/nashd/reasoning/dond]: Deal or No Deal between two agents, the
//     paper's workflow agent with its belief over the opponent's values and the solver's
//     candidate offers.
//
// This package itself has no code.
package reasoning

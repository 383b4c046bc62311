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
//
// This package itself has no code.
package reasoning

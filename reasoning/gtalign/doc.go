// Package gtalign implements GTAlign's inference (reasoning.md §1–§3): the assistant treats
// the exchange with its user as a game, writes the payoff matrix in its reasoning under a
// grammar, and the solver — not the model — picks the strategy that is mutually best, with
// the payoffs adapted to the service's pricing. The answer then follows that strategy.
//
// It depends on [inference.Generator] alone (any engine, the scripted fake, a remote
// backend), on [github.com/nashd/nashd/reasoning/pricing] and on
// [github.com/nashd/nashd/solver/welfare].
//
// # The game
//
// A [Game] lists the user types the model classifies the request as (GTAlign's DQ, a
// definite question, and VQ, a vague one), the assistant's strategies (DA, a direct answer;
// CQ, one clarifying question; AQ, a brief answer and one follow-up question), each with a
// description and, for strategies, the form the response must take ([FormAnswer],
// [FormQuestion], [FormAnswerQuestion]); the payoff range ([-5, 5]); and the block bounds
// ([Limits]). [Default] is GTAlign's 2×3 game; configs/gtalign.toml holds the same game and
// [LoadGame] / [DecodeGame] read such a file strictly (an unknown key is an error naming
// file:line), [Game.Validate] naming the bad field. The matrix has one cell per (user type,
// strategy) pair, keyed "TYPE_STRATEGY" ([Key], [SplitKey]), in the order user types ×
// strategies ([Game.Keys]).
//
// # The transcript
//
// The model answers in four blocks and nothing else:
//
//	<thinking>
//	two to five sentences, no digits
//	</thinking>
//	<payoff>
//	{
//	  "DQ_DA": {"LLM": 4.2, "user": 4.3},
//	  …
//	}
//	</payoff>
//	<analyze>
//	frontier: DQ_DA, VQ_AQ
//	choice: DQ_DA
//	</analyze>
//	<response>
//	the answer, following the chosen strategy
//	</response>
//
// [SystemPrompt] asks for it in nashd's own words, built from the game and the selection
// rule; [Messages] puts it before the conversation. [NewGrammars] generates the GBNF
// grammars that enforce it — pass 1 (thinking, then the payoff JSON with exactly the game's
// keys in order, every number with at most one decimal inside the range, generated exactly
// from the integer bounds), the analysis (the game's keys only) and one response grammar per
// strategy (for the question forms: exactly one '?', ending the response) — and runs each
// through the daemon's grammar safety check ([github.com/nashd/nashd/inference/gbnf.Parse]).
//
// # The passes
//
// [New] builds a [Reasoner] for a game (once per configuration; it caches the grammars).
// [Reasoner.Reason] answers a conversation in up to three generations, each continuing the
// previous one's context so that the generator's KV cache holds all of it:
//
//  1. "payoff": the model writes `<thinking>` and `<payoff>` under the pass-1 grammar; the
//     matrix is parsed strictly ([ParsePayoff]). A generator that cannot enforce grammars
//     (see "Generators without a grammar" below) is read tolerantly and retried.
//  2. The pricing plan ([pricing.Plan], optional) transforms every cell by its strategy
//     ([Transform]); [Decide] computes the Pareto frontier and applies the rule: that is the
//     solver's choice.
//  3. "analyze", with [AnalyzeByModel] (the default): the model writes `<analyze>` under
//     its grammar and the solver verifies it. On a mismatch of the choice, the [Policy]
//     decides: [PolicyOverride] (the default) continues from the end of `<payoff>` with the
//     solver's analysis, so the model's wrong analysis leaves the context; [PolicyAnnotate]
//     keeps the model's analysis and choice and flags them; [PolicyReject] stops with a
//     *[RejectedError] carrying the result so far. With [AnalyzeBySolver] nashd writes the
//     block itself and there is no such pass.
//  4. "response": the model writes `<response>` under the applied strategy's grammar;
//     [CheckResponse] verifies what a grammar cannot (an answer before an AQ question).
//
// Every pass after the first sends the tokens the generator already holds (the previous
// prompt's and every token the model sampled, [inference.Request.Tokens]) followed by the
// tokens of the text nashd injects, so no earlier token is evaluated again even where the
// model's tokens split the text differently from the tokenizer. Each [Pass] reports its
// prompt tokens, cache_n, generated tokens and times. [Options.OnDelta] streams the
// transcript: [KindReasoning] for the thinking, payoff and analysis blocks (tags included;
// the analysis once it stands), [KindContent] for the response text.
//
// The [Result] carries the matrix as written and transformed, the frontier, the model's and
// the solver's choices, whether they agree, what was applied, the policy, the rule, the
// pricing plan (version and costs), the blocks, the usage and each pass; its JSON field names
// are those of POST /v1/reason. [Result.ObservedLength] gives the applied strategy and the
// response length to feed [pricing.Lengths.Observe].
//
// # Selection rules
//
// [RuleWelfare] (GTAlign's prompt): among the Pareto-optimal cells, the largest LLM + user;
// ties to the higher user payoff, then the higher LLM payoff. [RuleNashProduct] (GTAlign's
// inference code): the largest (LLM − d)·(user − d), same tie-breaks, where the disagreement
// point d is the game's lowest payoff, or the lowest transformed payoff when pricing pushed a
// cell below it — so every gain is ≥ 0 and two negative payoffs never multiply into a large
// product. Remaining ties go to the earliest cell in the game's order. Payoffs are compared
// exactly, as the decimals they print as.
//
// # Parsing without a grammar
//
// For transcripts written without the grammar (another model, a file): [ParseTranscript]
// splits the four blocks; [RepairPayoff] parses strictly first, then repairs curly quotes,
// single quotes, trailing commas and prose around the object; [RepairPass1] reads pass 1's
// output loosely (tags in any case and spacing, a code fence, text after the block, keys in
// another case, numbers in quotes, a missing closing tag or thinking block) and reports the
// repairs; [ParseAnalyze] reads the analysis. Failures are *[ParseError] values naming the
// block, the field and the problem.
//
// # Generators without a grammar
//
// A generator whose [inference.ModelInfo] has NoGrammar set (a remote model of the "openai"
// dialect) takes the grammars but cannot enforce them. Every pass then ends at its block's
// closing tag as a stop string, and nashd writes the tag. Pass 1 is held back from the
// stream until it parses: it is read with [RepairPass1], and the context (and the stream, and
// the transcript) continues from the blocks in the grammar's layout ([Pass1.String]) when it
// took repairs. Output that does not parse even so is retried up to [Options.Retries] times
// (default [DefaultRetries]): each retry has the next seed, and its prompt is the
// conversation, the failed reply and a message naming the parse error. Every attempt is a
// "payoff" [Pass], a failed one with its Error; [Result.Retries] counts the retries and
// [Result.Repairs] names what the reading that stands took. When no attempt parses, the call
// fails with the last attempt's *[ParseError]. The model's analysis and response are read
// the same way: trimmed, closed by nashd. A generator that enforces the grammar is never
// retried: its output always parses, and output that does not points at a fault (a full
// context) that a retry would not mend.
//
// # Mutual welfare
//
// [ScoreTranscript] computes GTAlign's training reward for offline evaluation: W = √(U·L)
// from the terms [Measure] takes of a transcript and an optional answer quality A; without A
// it reports the terms without it and says so. The baselines are (U+L)/2, U and L.
package gtalign

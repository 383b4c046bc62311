// Package experiment runs the evaluations of the two papers nashd implements on local models
// and turns their records into tables and plots:
//
//   - [RunGames]: the complete-information suite of the negotiation-games paper (Hua et al.
//     2024): two agents of one mode play each game N times, with and without pre-play
//     negotiation; the metric is the share of runs reaching the Nash equilibrium (the
//     Pareto-optimal one where several exist; the subgame-perfect play for sequential games),
//     per game, mode and on average, in the paper's table layout.
//   - [RunDond]: Deal or No Deal over the dialogues that have an envy-free split, every
//     pairing of raw and workflow agents; per pairing rounds, agreement, each score,
//     Pareto-optimal and envy-free rates and the total, the solver's "best" reference row
//     ([BestRow]), and the meta-game (the agent kinds as strategies, the mean scores as
//     payoffs) solved by nashd's solver.
//   - [RunGtalign]: GTAlign's pipeline over a JSONL file of prompts ([LoadPrompts]) under each
//     pricing file: parse and payoff validity, model/solver agreement, the action
//     distribution per pricing, response lengths, tokens/s and the mutual-welfare terms, with
//     the answer quality A from a judge model ([GtalignConfig.SetJudge]: a score from 1 to
//     10 under a grammar) or else from reference answers ([Overlap]) where the prompts have
//     them; the summary says which.
//
// The package depends on [inference.Generator] only: a caller loads the model (in process or
// behind a daemon) and passes it in.
//
// # Output directory
//
// Every run writes into one directory:
//
//   - manifest.json: the experiment's kind, its parameters (the config, with the hashes of the
//     game, data, prompt and pricing files), their SHA-256 ([Manifest.ParamsHash]) and the
//     model file's SHA-256. A directory whose manifest differs is refused; one whose manifest
//     matches is refused too unless the run resumes ([Options.Resume]).
//   - records.jsonl: one JSON record per run (a game, a negotiation, a prompt), written and
//     flushed as each run finishes, keyed by a stable run id: the seed, the model and config
//     hashes, the inputs, the outputs and transcript, the solver's verdict, the metrics and,
//     apart in "timings", every wall-clock figure and the KV-cache reuse (both depend on
//     what the generator served before). With the same seed the records are the same
//     but for "timings" (the samplers are seeded per run from the seed and the run id).
//     Resuming reads the ids present, drops a last line cut short by a crash, and runs only
//     the missing ids.
//   - summary.md and the plots (PNG and SVG, gonum.org/v1/plot), computed by [Report] from
//     manifest.json and records.jsonl alone, so `nash experiment report DIR` recomputes them.
//
// Runs go in parallel up to [Options.Parallel]; cancelling ctx stops the runs in flight and
// keeps every finished record.
package experiment

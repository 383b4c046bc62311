// Package gamefile reads nashd's game files: a TOML schema (configs/games/*.toml) and the same
// schema as JSON (the daemon's POST /v1/games/solve body), plus Gambit .nfg through package nfg.
// Decoding is strict: unknown keys, wrong types and wrong shapes are errors that name the file,
// the line where it can be found, and the problem.
//
// # Schema
//
// Common keys: name (defaults to the file name without extension), description (free text,
// used in prompts), players (list of distinct names). Then exactly one of three game kinds:
//
// Normal form: strategies (one list of distinct labels per player) and payoffs, a nested array
// indexed by the players' strategies in player order whose innermost entries are payoff
// vectors, one number per player. For two players payoffs[row][column] = [row payoff, column
// payoff]:
//
//	name = "prisoner_dilemma"
//	description = "…"
//	players = ["Alice", "Bob"]
//	strategies = [["c1", "c2"], ["c1", "c2"]]
//	payoffs = [
//	  [[3, 3], [0, 5]],
//	  [[5, 0], [1, 1]],
//	]
//
// Sequential (perfect information) games: a [tree] table with an optional root (default: the
// first node) and [[tree.nodes]], each with a distinct id, either player = "name" (a decision
// node) or chance = true, and moves, a list of { action = "label", next = "node id" } or
// { action = "label", payoffs = [...] } (a move ending the game); chance moves also carry
// prob = "1/3" (probabilities sum to 1).
//
//	[tree]
//	root = "a"
//	[[tree.nodes]]
//	id = "a"
//	player = "Alice"
//	moves = [ { action = "A1", payoffs = [0, 2] }, { action = "A2", next = "b" } ]
//
// Allocation games: an [allocation] table with items (distinct names), counts (units of each
// item), values (one list per player: the value of one unit of each item) and an optional
// disagreement point (payoffs without a deal, default zeros).
//
// Numbers are exact: integers, decimals and fractions. A fraction must be a string ("1/3");
// TOML floats are read as their shortest decimal representation (0.1 is 1/10), so write
// decimals with more than 15 significant digits as strings. In JSON numbers are read from
// their literal text, exactly.
package gamefile

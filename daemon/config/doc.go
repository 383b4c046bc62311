// Package config loads, validates and hot-reloads nashd's configuration directory:
//
//	nashd.toml    daemon settings ([Daemon]): socket, limits, inference defaults, logging, reasoning
//	models.toml   named models and the default one ([Models])
//	pricing.toml  who pays for tokens and how much ([Pricing]; see reasoning.md §2)
//	gtalign.toml  the GTAlign game (reasoning.game: user types, strategies, payoff range, block
//	              bounds), decoded by package reasoning/gtalign into [Snapshot.GTAlign]
//	games/*.toml  game definitions, parsed by a [GameParser] (the solver's, in the daemon)
//
// # Strictness
//
// Every file is decoded strictly with github.com/BurntSushi/toml: an unknown key is an error
// "FILE:LINE: unknown key K", a wrong type names the file and line, and each file is validated
// as a whole ([Daemon.Validate], [Models.Validate], [Pricing.Validate]). The GTAlign game is
// validated with its generated grammars. A game file outside the config directory is re-read by the
// stat poll and on SIGHUP (fsnotify watches the directory only).
//
// # Snapshots and reload
//
// A [Store] holds the current [Snapshot] in an atomic.Pointer. [Store.Reload] parses and validates
// every file before swapping in a new snapshot; if any file fails, the old snapshot stays in
// force whole (never half-applied) and the error is kept per file ([Store.Errors]). Each file
// carries a content version (a SHA-256 prefix), so a reload that changes nothing bumps nothing.
// [Store.Watch] reloads on fsnotify events on the directory and its games/ subdirectory
// (write-in-place, editors' rename-over saves, Kubernetes-style "..data" symlink swaps),
// debounced, with a slow stat poll as a fallback for missed events. The store fingerprints the
// files just before each read, and [Store.Arm] compares that fingerprint with the disk once its
// watches are in place, so no edit made after a load is lost, however early it comes.
package config

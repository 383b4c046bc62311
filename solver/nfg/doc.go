// Package nfg reads and writes Gambit's normal-form game files (.nfg, format version 1) and
// writes lrsnash's input format.
//
// # Gambit .nfg
//
// Format reference: the Gambit documentation, "Game representation formats", strategic games
// (https://gambitproject.readthedocs.io/en/latest/formats.html). A file is
//
//	NFG 1 R "title" { "Player 1" "Player 2" } { { "a" "b" } { "x" "y" } } "optional comment"
//
// (strategy names may be replaced by counts, { 2 2 }), followed by either the payoff version, a
// flat list with one payoff per player for each pure profile, or the outcome version, a list of
// outcomes { "label" p1, p2 } (commas optional) and then one outcome number per profile (0 is
// the null outcome, all payoffs zero). Profiles are listed with player 1's strategy changing
// fastest. Numbers are integers, decimals (with exponents) or rationals a/b; the R/D letter is
// accepted either way. Every syntax or shape error names the line.
//
// # lrsnash
//
// [WriteLRS] writes the input of lrslib's lrsnash (Avis, lrslib documentation): "m n", a blank
// line, the m rows of A, a blank line, the m rows of B.
package nfg

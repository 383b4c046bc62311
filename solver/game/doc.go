// Package game defines the games nashd's solver works on, all with exact rational payoffs
// (math/big.Rat):
//
//   - [Normal]: finite n-player normal-form (strategic) games with named players and strategies.
//     Profiles are indexed in Gambit's order, player 1's strategy changing fastest.
//   - [Tree]: finite extensive-form games with perfect information, with chance nodes.
//   - [Allocation]: splitting a pool of indivisible items between players with private linear
//     valuations (Deal or No Deal, Lewis et al. 2017).
//
// A [Game] wraps one of them with a name and a description. Constructors validate their input,
// so every value built by them is consistent; the types are read-only after construction.
//
// [ParseRat] and [FormatRat] read and write the exact number syntax shared by the file formats:
// integers, decimals (with an optional exponent) and fractions a/b.
package game

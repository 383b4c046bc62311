package bimatrix

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// BenchmarkEnumerate times Enumerate on seeded random n×n games with payoffs 0..99 (the games of
// cmd/benchlrs, which compares with lrsnash).
func BenchmarkEnumerate(b *testing.B) {
	for _, n := range []int{6, 8, 10, 12} {
		r := rand.New(rand.NewPCG(uint64(n), 0))
		A, B := randomGame(r, n, n, 99)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Enumerate(A, B); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLemkeHowson100 times one Lemke–Howson path (missing label 0) on random 100×100 games
// with payoffs 0..99, a different game each iteration (ns/op is the time per game).
func BenchmarkLemkeHowson100(b *testing.B) {
	const n = 100
	r := rand.New(rand.NewPCG(100, 1))
	var games [][2][][]*big.Rat
	for range 8 {
		A, B := randomGame(r, n, n, 99)
		games = append(games, [2][][]*big.Rat{A, B})
	}
	i := 0
	for b.Loop() {
		g := games[i%len(games)]
		i++
		if _, err := LemkeHowson(g[0], g[1], 0); err != nil {
			b.Fatal(err)
		}
	}
}

package strategic

import (
	"context"
	"math/big"
	"math/rand"
	"testing"
)

// BenchmarkPureEquilibria: all pure equilibria of a random 3-player 30×30×30 game and a
// two-player 200×200 game (payoffs 0–9, many ties). Allocation-light: one []bool per call.
func BenchmarkPureEquilibria(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		name  string
		shape []int
	}{{"3p-30x30x30", []int{30, 30, 30}}, {"2p-200x200", []int{200, 200}}} {
		g := randomGame(rng, c.shape, 10)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				PureEquilibria(g)
			}
		})
	}
}

// BenchmarkVerify: Verify of a pure profile and of a mixed profile in a 3-player 10×10×10 game.
func BenchmarkVerify(b *testing.B) {
	rng := rand.New(rand.NewSource(2))
	g := randomGame(rng, []int{10, 10, 10}, 100)
	b.Run("pure", func(b *testing.B) {
		b.ReportAllocs()
		p := []int{3, 4, 5}
		for b.Loop() {
			if _, err := VerifyPure(g, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mixed", func(b *testing.B) {
		b.ReportAllocs()
		prof := make(Profile, 3)
		for i := range prof {
			for s := 0; s < 10; s++ {
				prof[i] = append(prof[i], big.NewRat(1, 10))
			}
		}
		for b.Loop() {
			if _, err := Verify(g, prof); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSupportEnumeration: the n-player method on a random 3×3×3 game.
func BenchmarkSupportEnumeration(b *testing.B) {
	rng := rand.New(rand.NewSource(3))
	g := randomGame(rng, []int{3, 3, 3}, 100)
	for b.Loop() {
		if _, err := SupportEnumeration(context.Background(), g, SupportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

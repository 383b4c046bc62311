package bimatrix

import (
	"math/big"
	"testing"
)

// FuzzEnumerate builds a small game from the input bytes (sizes 1..4, payoffs -2..2 so that
// degenerate games are common) and checks that Enumerate returns exact equilibria without
// duplicates, and that every Lemke–Howson path ends at one of them.
func FuzzEnumerate(f *testing.F) {
	f.Add([]byte{0x11, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0x33, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x22, 4, 0, 0, 4, 0, 4, 4, 0})
	f.Add([]byte{0x23, 2, 1, 0, 0, 1, 2, 3, 3, 3, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		m, n := 1+int(data[0]>>4)%4, 1+int(data[0]&15)%4
		data = data[1:]
		at := func(k int) *big.Rat {
			if k < len(data) {
				return big.NewRat(int64(data[k]%5)-2, 1)
			}
			return new(big.Rat)
		}
		A, B := make([][]*big.Rat, m), make([][]*big.Rat, m)
		for i := range m {
			A[i], B[i] = make([]*big.Rat, n), make([]*big.Rat, n)
			for j := range n {
				A[i][j], B[i][j] = at(i*n+j), at(m*n+i*n+j)
			}
		}
		eqs, err := Enumerate(A, B)
		if err != nil {
			t.Fatal(err)
		}
		if len(eqs) == 0 {
			t.Fatal("no equilibrium")
		}
		set := map[string]bool{}
		for _, e := range eqs {
			if err := checkNash(A, B, e); err != nil {
				t.Fatalf("%s: %v", key(e.X, e.Y), err)
			}
			k := eqKey(e)
			if set[k] {
				t.Fatalf("duplicate %s", key(e.X, e.Y))
			}
			set[k] = true
		}
		for l := range m + n {
			e, err := LemkeHowson(A, B, l)
			if err != nil {
				t.Fatal(err)
			}
			if !set[eqKey(e)] {
				t.Fatalf("LemkeHowson(%d) = %s not among Enumerate's", l, key(e.X, e.Y))
			}
		}
	})
}

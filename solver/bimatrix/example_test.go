package bimatrix_test

import (
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/bimatrix"
)

func matrix(rows ...[]int64) [][]*big.Rat {
	out := make([][]*big.Rat, len(rows))
	for i, r := range rows {
		for _, v := range r {
			out[i] = append(out[i], big.NewRat(v, 1))
		}
	}
	return out
}

func show(v []*big.Rat) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = x.RatString()
	}
	return s
}

// The battle of the sexes has two pure equilibria and one mixed.
func ExampleEnumerate() {
	A := matrix([]int64{2, 0}, []int64{0, 1})
	B := matrix([]int64{1, 0}, []int64{0, 2})
	eqs, err := bimatrix.Enumerate(A, B)
	if err != nil {
		panic(err)
	}
	for _, e := range eqs {
		fmt.Println(show(e.X), show(e.Y), e.U.RatString(), e.V.RatString())
	}
	// Output:
	// [0 1] [0 1] 1 2
	// [2/3 1/3] [1/3 2/3] 2/3 2/3
	// [1 0] [1 0] 2 1
}

// In a degenerate game (rows 2 and 3 of A are equal) Enumerate finds both extreme equilibria,
// where some methods find one.
func ExampleEnumerate_degenerate() {
	A := matrix([]int64{0, -1, 1}, []int64{-1, 0, 1}, []int64{-1, 0, 1})
	B := matrix([]int64{0, 1, -1}, []int64{1, 0, -1}, []int64{1, 0, -1})
	eqs, _ := bimatrix.Enumerate(A, B)
	for _, e := range eqs {
		fmt.Println(show(e.X), show(e.Y))
	}
	// Output:
	// [1/2 0 1/2] [1/2 1/2 0]
	// [1/2 1/2 0] [1/2 1/2 0]
}

// Lemke–Howson dropping label 0 (the row player's first strategy) in the battle of the sexes.
func ExampleLemkeHowson() {
	A := matrix([]int64{2, 0}, []int64{0, 1})
	B := matrix([]int64{1, 0}, []int64{0, 2})
	e, err := bimatrix.LemkeHowson(A, B, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(show(e.X), show(e.Y))
	// Output:
	// [1 0] [1 0]
}

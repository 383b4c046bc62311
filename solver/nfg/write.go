package nfg

import (
	"bufio"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/nashd/nashd/solver/game"
)

// Version selects how [Write] lists payoffs.
type Version int

// The two .nfg payoff layouts.
const (
	PayoffVersion  Version = iota // a flat list of payoffs, one per player per profile
	OutcomeVersion                // distinct payoff vectors as outcomes, then one outcome number per profile
)

// Write writes g in .nfg format (type R, exact rationals, strategy names). title and comment
// may be empty.
func Write(w io.Writer, title, comment string, g *game.Normal, v Version) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "NFG 1 R %s {", quote(title))
	for _, p := range g.Players() {
		fmt.Fprintf(bw, " %s", quote(p))
	}
	fmt.Fprint(bw, " }\n\n{\n")
	for i := 0; i < g.NumPlayers(); i++ {
		fmt.Fprint(bw, "{")
		for _, s := range g.Strategies(i) {
			fmt.Fprintf(bw, " %s", quote(s))
		}
		fmt.Fprint(bw, " }\n")
	}
	fmt.Fprintf(bw, "}\n%s\n\n", quote(comment))
	switch v {
	case PayoffVersion:
		for k := 0; k < g.NumProfiles(); k++ {
			for i, x := range g.Payoffs(k) {
				if i > 0 {
					bw.WriteByte(' ')
				}
				bw.WriteString(x.RatString())
			}
			bw.WriteByte('\n')
		}
	case OutcomeVersion:
		index := map[string]int{}
		var order []string
		nums := make([]int, g.NumProfiles())
		for k := range nums {
			key := vecKey(g.Payoffs(k))
			o, ok := index[key]
			if !ok {
				o = len(order) + 1
				index[key] = o
				order = append(order, key)
			}
			nums[k] = o
		}
		fmt.Fprint(bw, "{\n")
		for _, key := range order {
			fmt.Fprintf(bw, "{ \"\" %s }\n", key)
		}
		fmt.Fprint(bw, "}\n")
		for k, o := range nums {
			if k > 0 {
				bw.WriteByte(' ')
			}
			fmt.Fprint(bw, o)
		}
		bw.WriteByte('\n')
	default:
		return fmt.Errorf("nfg: unknown version %d", v)
	}
	return bw.Flush()
}

func vecKey(v []*big.Rat) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = x.RatString()
	}
	return strings.Join(parts, ", ")
}

func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// WriteLRS writes a two-player game as lrsnash input: "m n", a blank line, the m rows of the
// row player's matrix A, a blank line, the m rows of B (exact rationals).
func WriteLRS(w io.Writer, g *game.Normal) error {
	A, B, err := g.Matrices()
	if err != nil {
		return fmt.Errorf("lrsnash input: %w", err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d %d\n\n", len(A), len(A[0]))
	for _, M := range [][][]*big.Rat{A, B} {
		for _, row := range M {
			for j, x := range row {
				if j > 0 {
					bw.WriteByte(' ')
				}
				bw.WriteString(x.RatString())
			}
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

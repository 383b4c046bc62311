package alloc

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/nashd/nashd/solver/game"
)

// DoNDItems are the item types of Deal or No Deal, in the data's order.
var DoNDItems = []string{"book", "hat", "ball"}

// ErrDoND reports a malformed dialogue line.
var ErrDoND = errors.New("alloc: malformed Deal or No Deal line")

// Dialogue is one line of the Deal or No Deal data (Lewis et al. 2017).
type Dialogue struct {
	// Game has players "YOU" and "THEM" (the partner), the three item types, their counts and
	// both players' private values.
	Game *game.Allocation
	// Agreed is the split the dialogue ended with, nil when there was no agreement or no
	// <output> section.
	Agreed *Split
	// Text is the dialogue between the tags.
	Text string
}

// ParseDoND parses one line: `<input> c1 v1 c2 v2 c3 v3 </input> <dialogue> … </dialogue>
// <output> item0=a item1=b item2=c item0=d item1=e item2=f </output> <partner_input> c1 w1 …
// </partner_input>`. The output gives YOU's shares then THEM's; "<disagree>" or
// "<no_agreement>" mean no deal. Counts and values must be non-negative integers and the
// partner's counts must match. "<disconnect>" also means no deal.
func ParseDoND(line string) (*Dialogue, error) {
	in, err := section(line, "input")
	if err != nil {
		return nil, err
	}
	pin, err := section(line, "partner_input")
	if err != nil {
		return nil, err
	}
	cu, vu, err := countsValues(in)
	if err != nil {
		return nil, fmt.Errorf("%w: <input>: %v", ErrDoND, err)
	}
	cp, vp, err := countsValues(pin)
	if err != nil {
		return nil, fmt.Errorf("%w: <partner_input>: %v", ErrDoND, err)
	}
	for j := range cu {
		if cu[j] != cp[j] {
			return nil, fmt.Errorf("%w: item counts differ between <input> %v and <partner_input> %v", ErrDoND, cu, cp)
		}
	}
	a, err := game.NewAllocation([]string{"YOU", "THEM"}, DoNDItems, cu, [][]*big.Rat{vu, vp}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDoND, err)
	}
	d := &Dialogue{Game: a}
	d.Text, _ = section(line, "dialogue")
	if out, err := section(line, "output"); err == nil && !noDeal(out) {
		f := strings.Fields(out)
		if len(f) != 6 {
			return nil, fmt.Errorf("%w: <output> has %d fields, want 6", ErrDoND, len(f))
		}
		s := Split{Shares: [][]int{make([]int, 3), make([]int, 3)}}
		for k, field := range f {
			name, val, ok := strings.Cut(field, "=")
			want := fmt.Sprintf("item%d", k%3)
			n, err := strconv.Atoi(val)
			if !ok || name != want || err != nil || n < 0 || n > 10000 {
				return nil, fmt.Errorf("%w: <output> field %q, want %s=N", ErrDoND, field, want)
			}
			s.Shares[k/3][k%3] = n
		}
		for j := 0; j < 3; j++ {
			if s.Shares[0][j]+s.Shares[1][j] != cu[j] {
				return nil, fmt.Errorf("%w: <output> splits %d of %d %ss", ErrDoND, s.Shares[0][j]+s.Shares[1][j], cu[j], DoNDItems[j])
			}
		}
		s.Payoffs = []*big.Rat{Value(a, s, 0, 0), Value(a, s, 1, 1)}
		d.Agreed = &s
	}
	return d, nil
}

// noDeal reports whether an <output> section records no agreement: "<disagree>",
// "<no_agreement>" or "<disconnect>" markers.
func noDeal(out string) bool {
	for _, m := range []string{"<disagree>", "<no_agreement>", "<disconnect>"} {
		if strings.Contains(out, m) {
			return true
		}
	}
	return false
}

func section(line, tag string) (string, error) {
	open, close := "<"+tag+">", "</"+tag+">"
	i := strings.Index(line, open)
	if i < 0 {
		return "", fmt.Errorf("%w: no %s", ErrDoND, open)
	}
	rest := line[i+len(open):]
	j := strings.Index(rest, close)
	if j < 0 {
		return "", fmt.Errorf("%w: no %s", ErrDoND, close)
	}
	return strings.TrimSpace(rest[:j]), nil
}

func countsValues(s string) ([]int, []*big.Rat, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, nil, fmt.Errorf("%d numbers, want 6", len(f))
	}
	var counts []int
	var vals []*big.Rat
	for k, x := range f {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > 10000 {
			return nil, nil, fmt.Errorf("field %d: %q is not a small non-negative integer", k+1, x)
		}
		if k%2 == 0 {
			counts = append(counts, n)
		} else {
			vals = append(vals, big.NewRat(int64(n), 1))
		}
	}
	return counts, vals, nil
}

package dond

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"

	"github.com/nashd/nashd/solver/alloc"
	"github.com/nashd/nashd/solver/game"
)

// PoolValue is what the whole pool is worth to each player in Deal or No Deal (Lewis et
// al. 2017): every player's values times the counts sum to it.
const PoolValue = 10

// Players are the agents' names: Alice gets a data line's <input> values, Bob its
// <partner_input> values.
var Players = [2]string{"Alice", "Bob"}

// ErrData reports a data line or setup that cannot be played.
var ErrData = errors.New("dond: invalid data")

// Setup is one negotiation: the items, how many of each, and each player's private value of
// one unit of each item.
type Setup struct {
	Items  []string
	Counts []int
	Values [2][]int // Values[0] is Alice's, Values[1] Bob's
	// Line is the data line's number (from 1) when the setup was read from a file.
	Line int
}

// ParseLine reads one line of the Deal or No Deal data ([alloc.ParseDoND]: `<input> c1 v1 c2
// v2 c3 v3 </input> … <partner_input> … </partner_input>`): Alice gets the <input> values,
// Bob the <partner_input> values. Besides the format it checks that each player's values
// make the pool worth [PoolValue]. Errors wrap [ErrData] and name the problem.
func ParseLine(line string) (*Setup, error) {
	d, err := alloc.ParseDoND(line)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	a := d.Game
	s := &Setup{Items: append([]string(nil), a.Items...), Counts: append([]int(nil), a.Counts...)}
	for i := range 2 {
		for _, v := range a.Values[i] {
			s.Values[i] = append(s.Values[i], int(v.Num().Int64()))
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// MaxLineBytes bounds one data line.
const MaxLineBytes = 1 << 20

// ReadLine reads line n (counting from 1) of a data file and parses it. A line number out
// of range is an error that says how many lines there are.
func ReadLine(r io.Reader, n int) (*Setup, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: line %d out of range (lines count from 1)", ErrData, n)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	k := 0
	for sc.Scan() {
		k++
		if k == n {
			if strings.TrimSpace(sc.Text()) == "" {
				return nil, fmt.Errorf("%w: line %d is empty", ErrData, n)
			}
			s, err := ParseLine(sc.Text())
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			s.Line = n
			return s, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: reading line %d: %v", ErrData, k+1, err)
	}
	return nil, fmt.Errorf("%w: line %d out of range: the data has %d lines", ErrData, n, k)
}

// LoadLine reads line n (from 1) of the data file at path.
func LoadLine(path string, n int) (*Setup, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dond: %w", err)
	}
	defer f.Close()
	s, err := ReadLine(f, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// FromAllocation turns a two-player allocation game (configs/games) into a setup: values
// must be non-negative integers making the pool worth [PoolValue] to each player, and the
// item names single words.
func FromAllocation(a *game.Allocation) (*Setup, error) {
	if len(a.Players) != 2 {
		return nil, fmt.Errorf("%w: %d players, want 2", ErrData, len(a.Players))
	}
	s := &Setup{Items: append([]string(nil), a.Items...), Counts: append([]int(nil), a.Counts...)}
	for i := range 2 {
		for j, v := range a.Values[i] {
			if !v.IsInt() || !v.Num().IsInt64() {
				return nil, fmt.Errorf("%w: %s's value of %s is %s, not a whole number", ErrData, a.Players[i], a.Items[j], v.RatString())
			}
			s.Values[i] = append(s.Values[i], int(v.Num().Int64()))
		}
		if a.Disagreement[i].Sign() != 0 {
			return nil, fmt.Errorf("%w: %s's payoff without a deal is %s, not 0", ErrData, a.Players[i], a.Disagreement[i].RatString())
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// MaxSplits bounds the number of splits of a setup (the belief sets and candidate lists
// enumerate them).
const MaxSplits = 1 << 16

// Validate checks a setup: item names single words without '=' or '<', counts and values
// non-negative, at most [MaxSplits] splits, and each player's values making the pool worth
// [PoolValue].
func (s *Setup) Validate() error {
	if len(s.Items) == 0 || len(s.Counts) != len(s.Items) {
		return fmt.Errorf("%w: %d counts for %d items", ErrData, len(s.Counts), len(s.Items))
	}
	seen := map[string]bool{}
	splits := 1
	for j, it := range s.Items {
		if it == "" || strings.ContainsAny(it, " \t\r\n=<>") || seen[it] {
			return fmt.Errorf("%w: item name %q (want distinct single words without '=' or '<')", ErrData, it)
		}
		seen[it] = true
		if s.Counts[j] < 0 {
			return fmt.Errorf("%w: %d %ss", ErrData, s.Counts[j], it)
		}
		splits *= s.Counts[j] + 1
		if splits > MaxSplits {
			return fmt.Errorf("%w: more than %d ways to split the items", ErrData, MaxSplits)
		}
	}
	for i := range 2 {
		if len(s.Values[i]) != len(s.Items) {
			return fmt.Errorf("%w: %s has %d values for %d items", ErrData, Players[i], len(s.Values[i]), len(s.Items))
		}
		total := 0
		for j, v := range s.Values[i] {
			if v < 0 {
				return fmt.Errorf("%w: %s values a %s at %d", ErrData, Players[i], s.Items[j], v)
			}
			total += v * s.Counts[j]
		}
		if total != PoolValue {
			return fmt.Errorf("%w: the pool is worth %d to %s, not %d", ErrData, total, Players[i], PoolValue)
		}
	}
	return nil
}

// Allocation returns the setup as the solver's allocation game (players Alice and Bob, no
// deal worth 0).
func (s *Setup) Allocation() *game.Allocation {
	vals := make([][]*big.Rat, 2)
	for i := range 2 {
		for _, v := range s.Values[i] {
			vals[i] = append(vals[i], big.NewRat(int64(v), 1))
		}
	}
	a, err := game.NewAllocation(Players[:], s.Items, s.Counts, vals, nil)
	if err != nil {
		panic(fmt.Sprintf("dond: a validated setup is not an allocation game: %v", err)) // Validate rules this out
	}
	return a
}

// pool describes the items: "1 book, 1 hat and 3 balls".
func (s *Setup) pool() string {
	var parts []string
	for j, it := range s.Items {
		name := it
		if s.Counts[j] != 1 {
			name += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", s.Counts[j], name))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

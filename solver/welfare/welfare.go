package welfare

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
)

// Point is a labelled payoff vector, one payoff per player.
type Point struct {
	Label   string
	Payoffs []*big.Rat
}

// ErrDimension reports points of different lengths, or an empty set where one is needed.
var ErrDimension = errors.New("welfare: points of different dimensions")

func checkDim(points []Point) (int, error) {
	if len(points) == 0 {
		return 0, fmt.Errorf("%w: no points", ErrDimension)
	}
	d := len(points[0].Payoffs)
	for i, p := range points {
		if len(p.Payoffs) != d || d == 0 {
			return 0, fmt.Errorf("%w: point %d (%q) has %d payoffs, point 0 has %d", ErrDimension, i, p.Label, len(p.Payoffs), d)
		}
		for _, x := range p.Payoffs {
			if x == nil {
				return 0, fmt.Errorf("%w: point %d (%q) has a missing payoff", ErrDimension, i, p.Label)
			}
		}
	}
	return d, nil
}

// Dominates reports whether a Pareto-dominates b: a_i ≥ b_i for all i, with at least one strict.
func Dominates(a, b []*big.Rat) bool {
	strict := false
	for i := range a {
		switch a[i].Cmp(b[i]) {
		case -1:
			return false
		case 1:
			strict = true
		}
	}
	return strict
}

// StrictlyDominates reports whether a_i > b_i for every i.
func StrictlyDominates(a, b []*big.Rat) bool {
	for i := range a {
		if a[i].Cmp(b[i]) <= 0 {
			return false
		}
	}
	return true
}

// Frontier returns the indices (in order) of the Pareto-optimal points: those no other point
// Pareto-dominates (the strict, or strong, Pareto frontier). Equal points are all kept.
func Frontier(points []Point) ([]int, error) {
	return frontier(points, Dominates)
}

// WeakFrontier returns the indices of the weakly Pareto-optimal points: those no other point
// strictly improves for every player. It contains [Frontier].
func WeakFrontier(points []Point) ([]int, error) {
	return frontier(points, StrictlyDominates)
}

// frontier keeps the points no other point dominates. A dominator (weak or strict) always has
// a strictly larger payoff sum, and domination is transitive, so scanning the points by
// decreasing sum and testing each only against the frontier found so far is enough (the
// sort-and-filter idea of Kung, Luccio & Preparata, "On finding the maxima of a set of
// vectors", JACM 1975): O(P log P + P·F) comparisons for F frontier points.
func frontier(points []Point, dom func(a, b []*big.Rat) bool) ([]int, error) {
	if _, err := checkDim(points); err != nil {
		return nil, err
	}
	sums := make([]*big.Rat, len(points))
	order := make([]int, len(points))
	for i, p := range points {
		sums[i] = new(big.Rat)
		for _, x := range p.Payoffs {
			sums[i].Add(sums[i], x)
		}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sums[order[a]].Cmp(sums[order[b]]) > 0 })
	var front []int
	for _, i := range order {
		ok := true
		for _, j := range front {
			if dom(points[j].Payoffs, points[i].Payoffs) {
				ok = false
				break
			}
		}
		if ok {
			front = append(front, i)
		}
	}
	sort.Ints(front)
	return front, nil
}

// Rule is a welfare function on payoff vectors.
type Rule int

// Welfare rules.
const (
	// Utilitarian is the sum of payoffs.
	Utilitarian Rule = iota + 1
	// NashProduct is the product of payoffs, which ranks points as GTAlign's Cobb–Douglas reward
	// √(U·L) (the geometric mean) does. It is undefined when a payoff is negative; such points
	// rank below every point where it is defined.
	NashProduct
	// Egalitarian is the smallest payoff (max-min, Rawls).
	Egalitarian
)

// ParseRule accepts "sum"/"utilitarian", "nash"/"nash_product"/"product", "maxmin"/"egalitarian"/"min".
func ParseRule(s string) (Rule, error) {
	switch strings.ToLower(s) {
	case "sum", "utilitarian":
		return Utilitarian, nil
	case "nash", "nash_product", "product", "cobb_douglas":
		return NashProduct, nil
	case "maxmin", "max_min", "egalitarian", "min":
		return Egalitarian, nil
	}
	return 0, fmt.Errorf("welfare: unknown rule %q (want sum, nash_product or maxmin)", s)
}

func (r Rule) String() string {
	switch r {
	case Utilitarian:
		return "sum"
	case NashProduct:
		return "nash_product"
	case Egalitarian:
		return "maxmin"
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// Value returns the rule's welfare of payoffs; ok is false when it is undefined (a Nash
// product with a negative payoff).
func (r Rule) Value(payoffs []*big.Rat) (v *big.Rat, ok bool) {
	switch r {
	case Utilitarian:
		v = new(big.Rat)
		for _, x := range payoffs {
			v.Add(v, x)
		}
		return v, true
	case NashProduct:
		v = big.NewRat(1, 1)
		for _, x := range payoffs {
			if x.Sign() < 0 {
				return nil, false
			}
			v.Mul(v, x)
		}
		return v, true
	case Egalitarian:
		v = new(big.Rat).Set(payoffs[0])
		for _, x := range payoffs[1:] {
			if x.Cmp(v) < 0 {
				v.Set(x)
			}
		}
		return v, true
	}
	return nil, false
}

// Criterion is one link of a tie-break chain: maximise a welfare rule, or maximise one
// player's payoff.
type Criterion struct {
	Rule   Rule // when non-zero, maximise this rule
	Player int  // otherwise maximise the payoff of this player (0-based)
}

// ByRule maximises a welfare rule.
func ByRule(r Rule) Criterion { return Criterion{Rule: r} }

// ByPlayer maximises player i's payoff.
func ByPlayer(i int) Criterion { return Criterion{Player: i} }

func (c Criterion) String() string {
	if c.Rule != 0 {
		return c.Rule.String()
	}
	return fmt.Sprintf("payoff[%d]", c.Player)
}

// value returns the criterion's score; ok false ranks lowest.
func (c Criterion) value(p []*big.Rat) (*big.Rat, bool) {
	if c.Rule != 0 {
		return c.Rule.Value(p)
	}
	return p[c.Player], true
}

// Selection is the result of [Select].
type Selection struct {
	// Index is the chosen point: among the points that tie on every criterion, the first.
	Index int
	// Tied lists every candidate that ties with Index on the whole chain (Index included); more
	// than one entry means the chain did not decide and listing order did.
	Tied []int
}

// Select picks, among candidates (indices into points; nil means all points), the point that
// maximises the first criterion of chain, breaks ties by the second, and so on; remaining
// ties go to the earliest candidate. For example GTAlign's choice "highest welfare, then the
// user's payoff, then the LLM's" is Select(points, frontier, ByRule(Utilitarian), ByPlayer(user),
// ByPlayer(llm)).
func Select(points []Point, candidates []int, chain ...Criterion) (Selection, error) {
	d, err := checkDim(points)
	if err != nil {
		return Selection{}, err
	}
	if candidates == nil {
		for i := range points {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return Selection{}, fmt.Errorf("%w: no candidates", ErrDimension)
	}
	for _, c := range candidates {
		if c < 0 || c >= len(points) {
			return Selection{}, fmt.Errorf("welfare: candidate %d out of range", c)
		}
	}
	for _, c := range chain {
		if c.Rule == 0 && (c.Player < 0 || c.Player >= d) {
			return Selection{}, fmt.Errorf("welfare: criterion player %d out of range (%d players)", c.Player, d)
		}
		if c.Rule != 0 && (c.Rule < Utilitarian || c.Rule > Egalitarian) {
			return Selection{}, fmt.Errorf("welfare: unknown rule %d", c.Rule)
		}
	}
	alive := append([]int(nil), candidates...)
	for _, c := range chain {
		var best *big.Rat
		bestOK := false
		var next []int
		for _, i := range alive {
			v, ok := c.value(points[i].Payoffs)
			cmp := compare(v, ok, best, bestOK, len(next) == 0)
			switch {
			case cmp > 0:
				best, bestOK, next = v, ok, []int{i}
			case cmp == 0:
				next = append(next, i)
			}
		}
		alive = next
	}
	return Selection{Index: alive[0], Tied: alive}, nil
}

// compare orders (v, ok) against the current best; first means there is no best yet.
func compare(v *big.Rat, ok bool, best *big.Rat, bestOK, first bool) int {
	switch {
	case first:
		return 1
	case ok && !bestOK:
		return 1
	case !ok && bestOK:
		return -1
	case !ok && !bestOK:
		return 0
	}
	return v.Cmp(best)
}

// Rank returns, for each point, 1 plus the number of points with strictly higher welfare under
// rule (undefined values rank last).
func Rank(points []Point, rule Rule) ([]int, error) {
	if _, err := checkDim(points); err != nil {
		return nil, err
	}
	vals := make([]*big.Rat, len(points))
	oks := make([]bool, len(points))
	for i, p := range points {
		vals[i], oks[i] = rule.Value(p.Payoffs)
	}
	out := make([]int, len(points))
	for i := range points {
		out[i] = 1
		for j := range points {
			if compare(vals[j], oks[j], vals[i], oks[i], false) > 0 {
				out[i]++
			}
		}
	}
	return out, nil
}

// GeometricMean returns (Π payoffs)^(1/n) as a float64, GTAlign's Cobb–Douglas mutual-welfare
// reward √(U·L) for two players; ok is false when a payoff is negative. It is for reporting:
// rankings should use the exact [NashProduct].
func GeometricMean(payoffs []*big.Rat) (v float64, ok bool) {
	if len(payoffs) == 0 {
		return 0, false
	}
	logSum := 0.0
	for _, x := range payoffs {
		if x.Sign() < 0 {
			return 0, false
		}
		if x.Sign() == 0 {
			return 0, true
		}
		f, _ := x.Float64()
		logSum += math.Log(f)
	}
	return math.Exp(logSum / float64(len(payoffs))), true
}

package gbnf

import "fmt"

// The analysis models llama_grammar_advance_stack (llama-grammar.cpp). Advancing a parse
// stack whose top is position p (an Element of some alternative):
//
//   - a terminal (character set, token) ends the walk: one stack;
//   - the end of an alternative pops to the position below it;
//   - a rule reference to q replaces p by each alternative of q in turn, keeping p+1 below it,
//     and recurses.
//
// For every position p the analysis computes, with saturating arithmetic,
//
//	T(p): stacks the walk from p ends in at a terminal without popping past p's alternative,
//	N(p): walks from p that pop past the end of p's alternative,
//	D(p): calls on the deepest walk from p (the C++ recursion depth),
//
// by T(end)=0, N(end)=1; T(terminal)=1, N(terminal)=0; and for p referencing q, whose
// alternatives start at s: T(p) = Σ T(s) + N(s)·T(p+1), N(p) = Σ N(s)·N(p+1). A reference
// that leads back to its own rule before any terminal is left recursion, which makes the C++
// recursion endless. llama.cpp's own check (llama_grammar_detect_left_recursion) only counts
// a rule as possibly empty when it has an alternative written empty, and misses the rest.
//
// T(p)+N(p) is the number of stacks (and C++ calls at the bottom of the recursion) one
// advance from p makes before deduplication; llama.cpp performs it at init (from root's
// alternatives), and after every accepted character from wherever the character leaves the
// stack. The left-recursion check walks the same paths for every rule. Bounding both by
// [Limits.Fanout] and D by [Limits.Depth] bounds llama.cpp's work and stack use per step.
type analysis struct {
	g     *Grammar
	lim   Limits
	off   [][]int // off[r][k]: index of position (r,k) in the flat arrays
	t, n  []uint64
	d     []int
	done  []bool
	rule  []ruleSums // per rule: sums over its alternatives
	state []uint8    // per rule: 0 unvisited, 1 in progress, 2 done
	path  []int      // rules in progress, for the left-recursion message
	depth int
}

type ruleSums struct {
	t, n uint64
	d    int // deepest alternative
	dn   int // deepest alternative among those that can pop (N > 0)
}

// saturate keeps counts far from overflow; anything this large is over every limit.
const saturate = 1 << 62

func add(a, b uint64) uint64 { return min(a+b, saturate) }

func mul(a, b uint64) uint64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturate/b {
		return saturate
	}
	return a * b
}

// limitFailure aborts the analysis with an error.
type limitFailure struct{ err *Error }

func (g *Grammar) analyse(lim Limits) (err error) {
	a := &analysis{g: g, lim: lim, rule: make([]ruleSums, len(g.rules)), state: make([]uint8, len(g.rules))}
	a.off = make([][]int, len(g.rules))
	npos := 0
	for r, rule := range g.rules {
		a.off[r] = make([]int, len(rule))
		for k := range rule {
			a.off[r][k] = npos
			npos++
		}
	}
	a.t, a.n = make([]uint64, npos), make([]uint64, npos)
	a.d, a.done = make([]int, npos), make([]bool, npos)
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(limitFailure)
			if !ok {
				panic(r)
			}
			err = f.err
		}
	}()
	// Every rule, reachable or not: llama.cpp's left-recursion check walks them all.
	for r := range g.rules {
		a.visitRule(r)
	}
	// Every position a stack can have on top: after a character set or token, and after a
	// reference (p+1 above). Set members are not positions.
	for r, rule := range g.rules {
		for k := 0; k < len(rule); k++ {
			a.visit(r, k)
			switch rule[k].Type {
			case ElemChar, ElemCharNot, ElemCharAny:
				for k+1 < len(rule) && (rule[k+1].Type == ElemCharAlt || rule[k+1].Type == ElemCharUpper) {
					k++
				}
			}
		}
	}
	st := &g.stats
	// A rule's alternatives are walked together at init (root) and by llama.cpp's
	// left-recursion check (every rule).
	for r, s := range a.rule {
		if v := add(s.t, s.n); v > uint64(lim.Fanout) {
			return a.fanoutError(r, v)
		}
		st.Fanout = max(st.Fanout, int(add(s.t, s.n)))
	}
	for i := range a.t {
		if !a.done[i] {
			continue
		}
		st.Fanout = max(st.Fanout, int(min(add(a.t[i], a.n[i]), 1<<31)))
		st.Depth = max(st.Depth, a.d[i])
	}
	return nil
}

func (a *analysis) fanoutError(r int, v uint64) *Error {
	return &Error{
		Rule: a.g.names[r],
		Msg: fmt.Sprintf("too ambiguous: one step can create %s parse stacks in llama.cpp, limit %d "+
			"(alternatives of rules that can start at the same place multiply)", count(v), a.lim.Fanout),
		Err: ErrLimit,
	}
}

func count(v uint64) string {
	if v >= saturate {
		return "more than 4e18"
	}
	return fmt.Sprint(v)
}

// visitRule computes the sums over rule r's alternatives.
func (a *analysis) visitRule(r int) ruleSums {
	switch a.state[r] {
	case 2:
		return a.rule[r]
	case 1:
		start := 0
		for i, q := range a.path {
			if q == r {
				start = i
			}
		}
		cycle := ""
		for _, q := range a.path[start:] {
			cycle += a.g.names[q] + " -> "
		}
		panic(limitFailure{&Error{
			Rule: a.g.names[r],
			Msg: "left recursion: " + cycle + a.g.names[r] + " before consuming any input " +
				"(whatever precedes each step can match the empty string); llama.cpp would recurse forever",
			Err: ErrLeftRecursion,
		}})
	}
	a.state[r] = 1
	a.path = append(a.path, r)
	var s ruleSums
	rule := a.g.rules[r]
	for k := 0; k < len(rule); k++ {
		if k == 0 || rule[k-1].Type == ElemAlt {
			a.visit(r, k)
			i := a.off[r][k]
			s.t = add(s.t, a.t[i])
			s.n = add(s.n, a.n[i])
			s.d = max(s.d, a.d[i])
			if a.n[i] > 0 {
				s.dn = max(s.dn, a.d[i])
			}
		}
	}
	a.path = a.path[:len(a.path)-1]
	a.state[r] = 2
	a.rule[r] = s
	return s
}

// visit computes T, N and D for position (r,k).
func (a *analysis) visit(r, k int) {
	i := a.off[r][k]
	if a.done[i] {
		return
	}
	a.depth++
	if a.depth > a.lim.Depth {
		panic(limitFailure{&Error{
			Rule: a.g.names[r],
			Msg: fmt.Sprintf("rules nest more than %d deep without consuming input "+
				"(llama.cpp recurses once per level)", a.lim.Depth),
			Err: ErrLimit,
		}})
	}
	e := a.g.rules[r][k]
	var t, n uint64
	d := 1
	switch e.Type {
	case ElemEnd, ElemAlt:
		n = 1
	case ElemRuleRef:
		q := a.visitRule(int(e.Value))
		t = q.t
		d = 1 + q.d
		if q.n > 0 {
			a.visit(r, k+1)
			j := a.off[r][k+1]
			t = add(t, mul(q.n, a.t[j]))
			n = mul(q.n, a.n[j])
			d = max(d, 1+q.dn+a.d[j])
		}
	default:
		t = 1
	}
	a.depth--
	if add(t, n) > uint64(a.lim.Fanout) {
		panic(limitFailure{a.fanoutError(r, add(t, n))})
	}
	if d > a.lim.Depth {
		panic(limitFailure{&Error{
			Rule: a.g.names[r],
			Msg: fmt.Sprintf("rules nest more than %d deep without consuming input "+
				"(llama.cpp recurses once per level)", a.lim.Depth),
			Err: ErrLimit,
		}})
	}
	a.t[i], a.n[i], a.d[i], a.done[i] = t, n, d, true
}

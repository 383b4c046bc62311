package dond

import (
	"slices"
)

// Valuation is a guess at the opponent's values, one per item.
type Valuation []int

// Valuations lists every valuation the opponent may have: non-negative integer values per
// item whose sum over the pool is total (Σ_j v_j·counts_j = total), in lexicographic order.
// An item with count 0 has value 0 in every valuation (its value changes no outcome).
func Valuations(counts []int, total int) []Valuation {
	var out []Valuation
	v := make(Valuation, len(counts))
	var rec func(j, left int)
	rec = func(j, left int) {
		if j == len(counts) {
			if left == 0 {
				out = append(out, slices.Clone(v))
			}
			return
		}
		if counts[j] == 0 {
			v[j] = 0
			rec(j+1, left)
			return
		}
		for x := 0; x*counts[j] <= left; x++ {
			v[j] = x
			rec(j+1, left-x*counts[j])
		}
	}
	rec(0, total)
	return out
}

// Belief is the workflow agent's belief about the opponent's values (Hua et al. 2024, §5:
// the Deal or No Deal workflow): the set of valuations still consistent with the opponent's
// behaviour, and the probability that its last rejection came from envy rather than greed.
type Belief struct {
	counts []int
	all    []Valuation
	// Set is the valuations still considered possible, all equally likely.
	Set []Valuation
	// PEnvy is the probability that the opponent's last rejection was envy: 1/2 before any
	// rejection and after a reset.
	PEnvy float64
	// Informed reports that the last update narrowed the set (it was not a reset), so PEnvy
	// rests on evidence.
	Informed bool
}

// NewBelief starts with every valuation ([Valuations] with [PoolValue]).
func NewBelief(counts []int) *Belief {
	all := Valuations(counts, PoolValue)
	return &Belief{counts: slices.Clone(counts), all: all, Set: all, PEnvy: 0.5}
}

// Size returns the number of valuations the belief allows in all (before any update).
func (b *Belief) Size() int { return len(b.all) }

// Update is what [Belief.Reject] learnt from one rejection.
type Update struct {
	// Envy holds the valuations under which my proposal was not envy-free for the opponent
	// while its counter-proposal is; Greed those under which my proposal was envy-free for
	// it and its counter gives it strictly more.
	Envy, Greed []Valuation
	// PEnvy = |Envy| / (|Envy| + |Greed|) (1/2 when both are empty).
	PEnvy float64
	// Reset: both sets were empty, so the belief went back to every valuation.
	Reset bool
	// Before and After are the belief's sizes around the update.
	Before, After int
}

// Reject updates the belief after the opponent rejected my proposal (mine: my share in it)
// with a counter-proposal (theirs: the opponent's share in it), by the paper's rule: for
// each valuation v still in the set, the rejection is envy when the opponent, valuing by v,
// preferred my share to its own under my proposal (v·rest(mine) < v·mine) and its counter is
// envy-free for it (v·theirs ≥ v·rest(theirs)); it is greed when my proposal was envy-free
// for it (v·rest(mine) ≥ v·mine) and its counter gives it strictly more (v·theirs >
// v·rest(mine)). The belief becomes the union of the two sets, or every valuation again when
// both are empty.
func (b *Belief) Reject(mine, theirs Split) Update {
	u := Update{Before: len(b.Set)}
	offered, myPart := mine.Rest(b.counts), mine
	theirRest := theirs.Rest(b.counts)
	for _, v := range b.Set {
		got, mineV := offered.Value(v), myPart.Value(v)
		switch {
		case got < mineV && theirs.Value(v) >= theirRest.Value(v):
			u.Envy = append(u.Envy, v)
		case got >= mineV && theirs.Value(v) > got:
			u.Greed = append(u.Greed, v)
		}
	}
	if n := len(u.Envy) + len(u.Greed); n > 0 {
		u.PEnvy = float64(len(u.Envy)) / float64(n)
		b.Set = append(slices.Clone(u.Envy), u.Greed...)
		slices.SortFunc(b.Set, slices.Compare)
	} else {
		u.PEnvy, u.Reset = 0.5, true
		b.Set = b.all
	}
	b.PEnvy, b.Informed = u.PEnvy, !u.Reset
	u.After = len(b.Set)
	return u
}

// AcceptProb estimates the chance that the opponent accepts offer (my share) under the
// belief: over the valuations v of the set, equally likely, the opponent accepts out of
// envy-freeness when the offer is envy-free for it (v·rest(offer) ≥ v·offer), and a greedy
// opponent when the offer gives it at least what it last asked for (v·rest(offer) ≥
// v·lastAsk); the two weigh PEnvy and 1 − PEnvy. lastAsk is the opponent's share in its
// latest proposal, nil when it has made none (greed then has nothing to go by and counts as
// envy).
func (b *Belief) AcceptProb(offer, lastAsk Split) float64 {
	if len(b.Set) == 0 {
		return 0
	}
	rest := offer.Rest(b.counts)
	envyOK, greedOK := 0, 0
	for _, v := range b.Set {
		got := rest.Value(v)
		ef := got >= offer.Value(v)
		if ef {
			envyOK++
		}
		if (lastAsk == nil && ef) || (lastAsk != nil && got >= lastAsk.Value(v)) {
			greedOK++
		}
	}
	return (b.PEnvy*float64(envyOK) + (1-b.PEnvy)*float64(greedOK)) / float64(len(b.Set))
}

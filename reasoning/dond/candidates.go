package dond

import (
	"sort"

	"github.com/nashd/nashd/solver/alloc"
)

// Candidate is a proposal the workflow offers its agent.
type Candidate struct {
	Share  Split   `json:"share"`  // the agent's share
	Value  int     `json:"value"`  // its worth to the agent
	Accept float64 `json:"accept"` // estimated chance the opponent accepts ([Belief.AcceptProb])
}

// Candidates lists the proposals the workflow offers player i: the splits of the solver's
// enumeration ([alloc.Enumerate]) that are envy-free for i (its share worth at least the
// rest to it), ranked by the chance the opponent accepts under the belief, then by worth to
// i, then in the enumeration's order; at most k of them. lastAsk is the opponent's share in
// its latest proposal (nil if none).
func Candidates(s *Setup, i int, b *Belief, lastAsk Split, k int) []Candidate {
	a := s.Allocation()
	var out []Candidate
	for _, sp := range alloc.Enumerate(a) {
		if alloc.Value(a, sp, i, i).Cmp(alloc.Value(a, sp, i, 1-i)) < 0 {
			continue
		}
		share := Split(sp.Shares[i])
		out = append(out, Candidate{Share: share, Value: share.Value(s.Values[i]), Accept: b.AcceptProb(share, lastAsk)})
	}
	sort.SliceStable(out, func(x, y int) bool {
		if out[x].Accept != out[y].Accept {
			return out[x].Accept > out[y].Accept
		}
		return out[x].Value > out[y].Value
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

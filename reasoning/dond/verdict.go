package dond

import (
	"slices"

	"github.com/nashd/nashd/solver/alloc"
)

// Verdict is the solver's judgement of a negotiation's end (Hua et al. 2024, §5: the Deal
// or No Deal metrics).
type Verdict struct {
	Agreement bool
	// Shares are each player's items in the deal (nil without one); Scores each player's
	// value of its own share (0 without a deal), Total their sum.
	Shares [2]Split
	Scores [2]int
	Total  int
	// ParetoOptimal: no split gives both players at least as much and one more. EnvyFree:
	// neither player values the other's share above its own. Both false without a deal.
	ParetoOptimal bool
	EnvyFree      bool
	// MaxTotal is the largest total of any split; BestEnvyFreeTotal the largest total of an
	// envy-free split (the paper's reference row), -1 when no split is envy-free.
	MaxTotal          int
	BestEnvyFreeTotal int
}

// Judge judges a negotiation that ended with Alice getting aliceShare (nil: no deal) by the
// solver's analysis of every split ([alloc.Analyze]).
func Judge(s *Setup, aliceShare Split) *Verdict {
	a := s.Allocation()
	an := alloc.Analyze(a)
	v := &Verdict{MaxTotal: int(an.MaxWelfare.Num().Int64()), BestEnvyFreeTotal: -1}
	if an.MaxEnvyFreeWelfare != nil {
		v.BestEnvyFreeTotal = int(an.MaxEnvyFreeWelfare.Num().Int64())
	}
	if aliceShare == nil {
		return v
	}
	v.Agreement = true
	v.Shares = [2]Split{slices.Clone(aliceShare), aliceShare.Rest(s.Counts)}
	for i := range 2 {
		v.Scores[i] = v.Shares[i].Value(s.Values[i])
		v.Total += v.Scores[i]
	}
	for k, sp := range an.Splits {
		if slices.Equal(sp.Shares[0], aliceShare) {
			v.ParetoOptimal = slices.Contains(an.ParetoOptimal, k)
			v.EnvyFree = slices.Contains(an.EnvyFree, k)
		}
	}
	return v
}

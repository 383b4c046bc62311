package strategic

import (
	"github.com/nashd/nashd/solver/game"
)

// PureEquilibria returns the indices (see [game.Normal.Index]) of all pure-strategy Nash
// equilibria, in increasing order. For each player it scans every profile of the others once,
// finds the best payoff and keeps only the profiles where the player best-responds, as
// gambit-enumpure does (McKelvey, McLennan & Turocy, Gambit). It allocates one []bool of
// NumProfiles entries and compares payoffs without arithmetic, on the integer form of
// game.Normal.Scaled when the payoffs allow it (they almost always do).
func PureEquilibria(g *game.Normal) []int {
	P := g.NumProfiles()
	cand := make([]bool, P)
	for k := range cand {
		cand[k] = true
	}
	if sc, ok := g.Scaled(); ok {
		pureScaled(g, sc, cand)
	} else {
		pureRat(g, cand)
	}
	var out []int
	for k, ok := range cand {
		if ok {
			out = append(out, k)
		}
	}
	return out
}

// pureScaled is the scan on the integer payoffs of game.Normal.Scaled.
func pureScaled(g *game.Normal, sc []int64, cand []bool) {
	n, P := g.NumPlayers(), g.NumProfiles()
	for i := 0; i < n; i++ {
		m, st := g.NumStrategies(i), g.Stride(i)
		block := m * st
		for hi := 0; hi < P; hi += block {
			for lo := 0; lo < st; lo++ {
				base := hi + lo
				best := sc[base*n+i]
				for s := 1; s < m; s++ {
					best = max(best, sc[(base+s*st)*n+i])
				}
				for s := 0; s < m; s++ {
					if k := base + s*st; sc[k*n+i] < best {
						cand[k] = false
					}
				}
			}
		}
	}
}

func pureRat(g *game.Normal, cand []bool) {
	P := g.NumProfiles()
	for i := 0; i < g.NumPlayers(); i++ {
		m, st := g.NumStrategies(i), g.Stride(i)
		block := m * st
		for hi := 0; hi < P; hi += block {
			for lo := 0; lo < st; lo++ {
				base := hi + lo // profile with player i's strategy 0
				best := g.Payoff(base, i)
				for s := 1; s < m; s++ {
					if v := g.Payoff(base+s*st, i); v.Cmp(best) > 0 {
						best = v
					}
				}
				for s := 0; s < m; s++ {
					k := base + s*st
					if cand[k] && g.Payoff(k, i).Cmp(best) < 0 {
						cand[k] = false
					}
				}
			}
		}
	}
}

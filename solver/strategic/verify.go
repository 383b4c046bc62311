package strategic

import (
	"math/big"

	"github.com/nashd/nashd/solver/game"
)

// Verdict is the result of [Verify]: everything the referee needs to judge a profile.
type Verdict struct {
	// Payoffs holds each player's expected payoff under the profile.
	Payoffs []*big.Rat
	// Regret holds each player's gain from their best unilateral deviation (≥ 0); the profile is
	// a Nash equilibrium exactly when every regret is zero.
	Regret []*big.Rat
	// BestResponses lists each player's best pure replies to the others.
	BestResponses [][]int
	// Equilibrium reports whether every regret is zero.
	Equilibrium bool
	// DominatedBy lists the pure outcomes (profile indices) whose payoff vectors Pareto-dominate
	// Payoffs: every player at least as well off, one strictly better.
	DominatedBy []int
	// Welfare is the sum of Payoffs; WelfareRank is 1 plus the number of pure outcomes with a
	// strictly larger sum (1 means no pure outcome has higher utilitarian welfare).
	Welfare     *big.Rat
	WelfareRank int
}

// MaxRegret returns the largest regret.
func (v *Verdict) MaxRegret() *big.Rat {
	m := new(big.Rat)
	for _, r := range v.Regret {
		if r.Cmp(m) > 0 {
			m.Set(r)
		}
	}
	return m
}

// Verify checks a mixed profile exactly: regrets from [StrategyValues], best responses,
// equilibrium, Pareto domination by pure outcomes and welfare rank among pure outcomes. It
// returns [ErrProfile] for a malformed profile. Pure profiles take the cheaper path of
// [VerifyPure].
func Verify(g *game.Normal, p Profile) (*Verdict, error) {
	if err := p.Check(g); err != nil {
		return nil, err
	}
	if pure, ok := p.IsPure(); ok {
		return VerifyPure(g, pure)
	}
	vals := StrategyValues(g, p)
	n := g.NumPlayers()
	v := &Verdict{Payoffs: make([]*big.Rat, n), Regret: make([]*big.Rat, n), BestResponses: make([][]int, n)}
	t := new(big.Rat)
	for i := 0; i < n; i++ {
		u := new(big.Rat)
		for s, x := range p[i] {
			if x.Sign() != 0 {
				u.Add(u, t.Mul(x, vals[i][s]))
			}
		}
		v.Payoffs[i] = u
		v.Regret[i], v.BestResponses[i] = regret(vals[i], u)
	}
	if !v.finishMixedScaled(g) {
		v.finish(g)
	}
	return v, nil
}

// finishMixedScaled is finish on the integer payoffs of game.Normal.Scaled: with factor L, an
// integer payoff x compares with the rational q = L·u as x with floor(q) and ceil(q). It
// reports false when the game has no integer form or a bound does not fit in int64.
func (v *Verdict) finishMixedScaled(g *game.Normal) bool {
	sc, ok := g.Scaled()
	if !ok {
		return false
	}
	L := new(big.Rat).SetInt(g.ScaleFactor())
	n := g.NumPlayers()
	lo := make([]int64, n) // ceil(L·u_i): x < u_i ⟺ x < lo_i
	hi := make([]int64, n) // floor(L·u_i): x > u_i ⟺ x > hi_i
	bounds := func(r *big.Rat) (int64, int64, bool) {
		q := new(big.Rat).Mul(r, L)
		f := new(big.Int).Div(q.Num(), q.Denom()) // floor (Euclidean division, positive denominator)
		c := new(big.Int).Set(f)
		if !q.IsInt() {
			c.Add(c, big.NewInt(1))
		}
		if !f.IsInt64() || !c.IsInt64() {
			return 0, 0, false
		}
		return c.Int64(), f.Int64(), true
	}
	v.Equilibrium = true
	for _, r := range v.Regret {
		if r.Sign() != 0 {
			v.Equilibrium = false
		}
	}
	v.Welfare = new(big.Rat)
	for i, u := range v.Payoffs {
		v.Welfare.Add(v.Welfare, u)
		if lo[i], hi[i], ok = bounds(u); !ok {
			return false
		}
	}
	_, wHi, ok := bounds(v.Welfare)
	if !ok {
		return false
	}
	v.DominatedBy, v.WelfareRank = nil, 1
	for q := 0; q < g.NumProfiles(); q++ {
		ge, gt := true, false
		var w int64
		for i := 0; i < n; i++ {
			x := sc[q*n+i]
			w += x
			if x < lo[i] {
				ge = false
			} else if x > hi[i] {
				gt = true
			}
		}
		if ge && gt {
			v.DominatedBy = append(v.DominatedBy, q)
		}
		if w > wHi {
			v.WelfareRank++
		}
	}
	return true
}

func regret(vals []*big.Rat, u *big.Rat) (*big.Rat, []int) {
	best := vals[0]
	for _, x := range vals[1:] {
		if x.Cmp(best) > 0 {
			best = x
		}
	}
	var br []int
	for s, x := range vals {
		if x.Cmp(best) == 0 {
			br = append(br, s)
		}
	}
	return new(big.Rat).Sub(best, u), br
}

// VerifyPure is [Verify] for a pure profile (one strategy index per player); it does no
// arithmetic beyond the regrets and welfare sums. It returns [ErrProfile] when the profile is
// out of range.
func VerifyPure(g *game.Normal, p []int) (*Verdict, error) {
	n := g.NumPlayers()
	if len(p) != n {
		return nil, ErrProfile
	}
	for i, s := range p {
		if s < 0 || s >= g.NumStrategies(i) {
			return nil, ErrProfile
		}
	}
	k := g.Index(p)
	v := &Verdict{Payoffs: make([]*big.Rat, n), Regret: make([]*big.Rat, n), BestResponses: make([][]int, n)}
	sc, scaled := g.Scaled()
	for i := 0; i < n; i++ {
		u := g.Payoff(k, i)
		v.Payoffs[i] = new(big.Rat).Set(u)
		st := g.Stride(i)
		base := k - p[i]*st
		m := g.NumStrategies(i)
		best := k
		if scaled {
			for s := 0; s < m; s++ {
				if q := base + s*st; sc[q*n+i] > sc[best*n+i] {
					best = q
				}
			}
			for s := 0; s < m; s++ {
				if sc[(base+s*st)*n+i] == sc[best*n+i] {
					v.BestResponses[i] = append(v.BestResponses[i], s)
				}
			}
		} else {
			for s := 0; s < m; s++ {
				if q := base + s*st; g.Payoff(q, i).Cmp(g.Payoff(best, i)) > 0 {
					best = q
				}
			}
			for s := 0; s < m; s++ {
				if g.Payoff(base+s*st, i).Cmp(g.Payoff(best, i)) == 0 {
					v.BestResponses[i] = append(v.BestResponses[i], s)
				}
			}
		}
		v.Regret[i] = new(big.Rat).Sub(g.Payoff(best, i), u)
	}
	if scaled {
		v.finishScaled(g, sc, k)
	} else {
		v.finish(g)
	}
	return v, nil
}

// finishScaled is finish for a pure profile k using the integer payoffs of game.Normal.Scaled.
func (v *Verdict) finishScaled(g *game.Normal, sc []int64, k int) {
	n := g.NumPlayers()
	v.Equilibrium = true
	for _, r := range v.Regret {
		if r.Sign() != 0 {
			v.Equilibrium = false
		}
	}
	v.Welfare = new(big.Rat)
	for _, u := range v.Payoffs {
		v.Welfare.Add(v.Welfare, u)
	}
	var w0 int64
	for i := 0; i < n; i++ {
		w0 += sc[k*n+i]
	}
	v.WelfareRank = 1
	for q := 0; q < g.NumProfiles(); q++ {
		ge, gt := true, false
		var w int64
		for i := 0; i < n; i++ {
			x, y := sc[q*n+i], sc[k*n+i]
			w += x
			if x < y {
				ge = false
			} else if x > y {
				gt = true
			}
		}
		if ge && gt {
			v.DominatedBy = append(v.DominatedBy, q)
		}
		if w > w0 {
			v.WelfareRank++
		}
	}
}

// finish fills Equilibrium, DominatedBy, Welfare and WelfareRank from Payoffs and Regret.
func (v *Verdict) finish(g *game.Normal) {
	v.Equilibrium = true
	for _, r := range v.Regret {
		if r.Sign() != 0 {
			v.Equilibrium = false
		}
	}
	v.Welfare = new(big.Rat)
	for _, u := range v.Payoffs {
		v.Welfare.Add(v.Welfare, u)
	}
	v.WelfareRank = 1
	w := new(big.Rat)
	n := g.NumPlayers()
	for k := 0; k < g.NumProfiles(); k++ {
		ge, gt := true, false
		w.SetInt64(0)
		for i := 0; i < n; i++ {
			x := g.Payoff(k, i)
			w.Add(w, x)
			switch x.Cmp(v.Payoffs[i]) {
			case -1:
				ge = false
			case 1:
				gt = true
			}
		}
		if ge && gt {
			v.DominatedBy = append(v.DominatedBy, k)
		}
		if w.Cmp(v.Welfare) > 0 {
			v.WelfareRank++
		}
	}
}

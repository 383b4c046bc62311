package strategic

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"math/rand"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/nashd/nashd/solver/game"
)

// SupportOptions tunes [SupportEnumeration]; the zero value gives the defaults.
type SupportOptions struct {
	// Starts is the number of Newton starting points per support profile where two or more
	// players mix (default 16: the uniform mixture and 15 seeded random mixtures). When at most
	// one player mixes the system is linear and one start suffices.
	Starts int
	// MaxSupports bounds the number of support profiles examined (default 20000, a few
	// seconds); the search stops there and the result says so.
	MaxSupports int
	// Tol is the acceptance threshold on the maximum regret, relative to the largest absolute
	// payoff (default DefaultSupportTol).
	Tol float64
	// Seed seeds the random starting points (results are deterministic for a seed).
	Seed int64
}

// DefaultSupportTol is the default relative regret threshold of [SupportEnumeration].
const DefaultSupportTol = 1e-9

// Numerical constants of the Newton solver.
const (
	minStartWeight = 0.05  // random starting mixtures draw weights in [minStartWeight, 1+minStartWeight)
	newtonIters    = 60    // iterations per start
	newtonResidual = 1e-13 // convergence: max |F| on payoffs scaled to [-1, 1]
	// A start is abandoned when the residual exceeds newtonDiverged, or is still above
	// newtonSlowResidual after newtonSlowIter iterations.
	newtonDiverged     = 1e6
	newtonSlowIter     = 25
	newtonSlowResidual = 1e-4
	supportNegTol      = 1e-9 // probabilities above −supportNegTol count as non-negative
	dedupeDist         = 1e-6 // equilibria closer than this (max norm) are the same
	maxDenominator     = 1 << 20
	ratMatchTol        = 1e-9 // a rational must be this close to the float to be tried
)

// Approx is an equilibrium found numerically.
type Approx struct {
	// Profile holds the mixed strategies in float64.
	Profile [][]float64
	// Payoffs holds the expected payoffs under Profile.
	Payoffs []float64
	// MaxRegret is the largest gain any player gets from a pure deviation, computed in float64
	// against Profile: the method's own accuracy report.
	MaxRegret float64
	// Exact is non-nil when rounding Profile to nearby rationals gave a profile that [Verify]
	// confirms as an exact equilibrium (regret exactly zero); ExactPayoffs are its payoffs.
	Exact        Profile
	ExactPayoffs []*big.Rat
}

// SupportResult is the outcome of [SupportEnumeration].
type SupportResult struct {
	Equilibria []Approx
	// Supports is the number of support profiles solved; Exhausted reports whether every
	// support profile was examined (false when MaxSupports stopped the search).
	Supports  int
	Exhausted bool
}

// SupportEnumeration looks for mixed Nash equilibria of an n-player game by enumerating support
// profiles, smallest and most balanced first, discarding supports containing a strategy that is
// conditionally strictly dominated given the others' supports, and solving the indifference
// equations on each support (every supported strategy earns the player's value v_i,
// probabilities sum to one) with Newton's method from several starting points (Porter,
// Nudelman & Shoham, "Simple search methods for finding a Nash equilibrium", Games and Economic
// Behavior 63, 2008, whose feasibility program this solves with equalities plus a posteriori
// checks). A solution is kept when its probabilities are non-negative and no strategy outside
// the support does better (max regret ≤ Tol·max|payoff|).
//
// Limits: the result is never guaranteed complete: Newton's method may miss isolated solutions
// of the polynomial system, and equilibria in continua (singular Jacobians) are usually
// missed; equilibria with irrational probabilities (they exist for three or more players) are
// reported to float64 accuracy. Each reported equilibrium carries its MaxRegret, and Exact when
// it could be confirmed in rational arithmetic. Cost grows as the product over players of
// 2^(strategies), so the method is for small games (tens of strategies in total).
func SupportEnumeration(ctx context.Context, g *game.Normal, opts SupportOptions) (*SupportResult, error) {
	if opts.Starts <= 0 {
		opts.Starts = 16
	}
	if opts.MaxSupports <= 0 {
		opts.MaxSupports = 20000
	}
	if opts.Tol <= 0 {
		opts.Tol = DefaultSupportTol
	}
	n := g.NumPlayers()
	for i := 0; i < n; i++ {
		if g.NumStrategies(i) > 24 {
			return nil, fmt.Errorf("%w: support enumeration needs at most 24 strategies per player", ErrTooLarge)
		}
	}
	s := newSolver(g)
	rng := rand.New(rand.NewSource(opts.Seed))
	res := &SupportResult{Exhausted: true}
	// Support sizes per player, enumerated by (total size, imbalance).
	sizes := sizeProfiles(g.Shape())
	for _, sz := range sizes {
		done, err := s.forSupports(sz, func(supp [][]int) (bool, error) {
			if res.Supports%64 == 0 {
				if err := ctx.Err(); err != nil {
					return false, err
				}
			}
			if res.Supports >= opts.MaxSupports {
				res.Exhausted = false
				return false, nil
			}
			res.Supports++
			if s.conditionallyDominated(supp) {
				return true, nil
			}
			starts, mixing := opts.Starts, 0
			for _, si := range supp {
				if len(si) > 1 {
					mixing++
				}
			}
			if mixing <= 1 {
				starts = 1
			}
			for st := 0; st < starts; st++ {
				x, ok := s.newton(supp, st, rng)
				if !ok {
					continue
				}
				a, ok := s.accept(x, opts.Tol)
				if !ok {
					continue
				}
				if !duplicate(res.Equilibria, a) { // a support can hold several equilibria
					s.rationalize(&a)
					res.Equilibria = append(res.Equilibria, a)
				}
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		if !done {
			break
		}
	}
	return res, nil
}

type nsolver struct {
	g     *game.Normal
	n     int
	pf    []float64 // payoffs scaled to [-1, 1]
	scale float64
}

func newSolver(g *game.Normal) *nsolver {
	n := g.NumPlayers()
	s := &nsolver{g: g, n: n, pf: make([]float64, g.NumProfiles()*n)}
	for k := 0; k < g.NumProfiles(); k++ {
		for i := 0; i < n; i++ {
			f, _ := g.Payoff(k, i).Float64()
			s.pf[k*n+i] = f
			s.scale = math.Max(s.scale, math.Abs(f))
		}
	}
	if s.scale == 0 {
		s.scale = 1
	}
	for k := range s.pf {
		s.pf[k] /= s.scale
	}
	return s
}

func sizeProfiles(shape []int) [][]int {
	var out [][]int
	cur := make([]int, len(shape))
	var rec func(i int)
	rec = func(i int) {
		if i == len(shape) {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for k := 1; k <= shape[i]; k++ {
			cur[i] = k
			rec(i + 1)
		}
	}
	rec(0)
	key := func(z []int) (int, int) {
		tot, lo, hi := 0, z[0], z[0]
		for _, x := range z {
			tot += x
			lo, hi = min(lo, x), max(hi, x)
		}
		return tot, hi - lo
	}
	sort.SliceStable(out, func(a, b int) bool {
		ta, da := key(out[a])
		tb, db := key(out[b])
		if ta != tb {
			return ta < tb
		}
		return da < db
	})
	return out
}

// forSupports calls f for every support profile with the given sizes; it stops when f
// returns false (and then returns false).
func (s *nsolver) forSupports(sz []int, f func([][]int) (bool, error)) (bool, error) {
	masks := make([][]uint32, s.n)
	for i, k := range sz {
		m := s.g.NumStrategies(i)
		for b := uint32(0); b < 1<<m; b++ {
			if bits.OnesCount32(b) == k {
				masks[i] = append(masks[i], b)
			}
		}
	}
	idx := make([]int, s.n)
	supp := make([][]int, s.n)
	for {
		for i := range supp {
			supp[i] = supp[i][:0]
			for b, m := 0, masks[i][idx[i]]; m != 0; b, m = b+1, m>>1 {
				if m&1 != 0 {
					supp[i] = append(supp[i], b)
				}
			}
		}
		cont, err := f(supp)
		if err != nil || !cont {
			return false, err
		}
		i := 0
		for ; i < s.n; i++ {
			idx[i]++
			if idx[i] < len(masks[i]) {
				break
			}
			idx[i] = 0
		}
		if i == s.n {
			return true, nil
		}
	}
}

// others enumerates the base indices (player i's term omitted) of the others' support profiles.
func (s *nsolver) others(supp [][]int, i int) []int {
	bases := []int{0}
	for j := 0; j < s.n; j++ {
		if j == i {
			continue
		}
		var next []int
		for _, b := range bases {
			for _, t := range supp[j] {
				next = append(next, b+t*s.g.Stride(j))
			}
		}
		bases = next
	}
	return bases
}

// conditionallyDominated reports whether some supported strategy of some player is strictly
// dominated by another strategy against every profile of the others' supports.
func (s *nsolver) conditionallyDominated(supp [][]int) bool {
	for i := 0; i < s.n; i++ {
		bases := s.others(supp, i)
		st := s.g.Stride(i)
		for _, a := range supp[i] {
			for b := 0; b < s.g.NumStrategies(i); b++ {
				if b == a {
					continue
				}
				all := true
				for _, o := range bases {
					if s.g.Payoff(o+b*st, i).Cmp(s.g.Payoff(o+a*st, i)) <= 0 {
						all = false
						break
					}
				}
				if all {
					return true
				}
			}
		}
	}
	return false
}

// newton solves the indifference system on supp from start number st. It returns the full
// mixed profile (zeros off the support) when it converged.
func (s *nsolver) newton(supp [][]int, st int, rng *rand.Rand) ([][]float64, bool) {
	n := s.n
	off := make([]int, n+1)
	for i := 0; i < n; i++ {
		off[i+1] = off[i] + len(supp[i])
	}
	N := off[n] + n // unknowns: probabilities, then values
	z := make([]float64, N)
	for i := 0; i < n; i++ {
		sum := 0.0
		for c := range supp[i] {
			w := 1.0
			if st > 0 {
				w = minStartWeight + rng.Float64()
			}
			z[off[i]+c] = w
			sum += w
		}
		for c := range supp[i] {
			z[off[i]+c] /= sum
		}
	}
	sig := make([][]float64, n)
	for i := range sig {
		sig[i] = make([]float64, s.g.NumStrategies(i))
	}
	F := make([]float64, N)
	J := mat.NewDense(N, N, nil)
	var dz mat.VecDense
	prof := make([]int, n)
	pos := make([]int, n) // position of prof[j] within supp[j]
	for it := 0; it < newtonIters; it++ {
		for i := 0; i < n; i++ {
			for c, t := range supp[i] {
				sig[i][t] = z[off[i]+c]
			}
		}
		// initial value of v_i: set at the first iteration to the mean of U_i
		for r := range F {
			F[r] = 0
		}
		J.Zero()
		// Walk every profile in the product of supports.
		for i := range pos {
			pos[i] = 0
		}
		for {
			for j := 0; j < n; j++ {
				prof[j] = supp[j][pos[j]]
			}
			k := s.g.Index(prof)
			for i := 0; i < n; i++ {
				u := s.pf[k*n+i]
				if u == 0 {
					continue
				}
				w := 1.0
				for j := 0; j < n; j++ {
					if j != i {
						w *= sig[j][prof[j]]
					}
				}
				row := off[i] + pos[i]
				F[row] += u * w
				for j := 0; j < n; j++ {
					if j == i {
						continue
					}
					d := u
					for l := 0; l < n; l++ {
						if l != i && l != j {
							d *= sig[l][prof[l]]
						}
					}
					J.Set(row, off[j]+pos[j], J.At(row, off[j]+pos[j])+d)
				}
			}
			j := 0
			for ; j < n; j++ {
				pos[j]++
				if pos[j] < len(supp[j]) {
					break
				}
				pos[j] = 0
			}
			if j == n {
				break
			}
		}
		if it == 0 {
			for i := 0; i < n; i++ {
				m := 0.0
				for c := range supp[i] {
					m += F[off[i]+c]
				}
				z[off[n]+i] = m / float64(len(supp[i]))
			}
		}
		res := 0.0
		for i := 0; i < n; i++ {
			sum := -1.0
			for c := range supp[i] {
				F[off[i]+c] -= z[off[n]+i]
				J.Set(off[i]+c, off[n]+i, -1)
				sum += z[off[i]+c]
				res = math.Max(res, math.Abs(F[off[i]+c]))
			}
			// The sum-to-one equation replaces nothing: it gets its own row, the value row.
			F[off[n]+i] = sum
			res = math.Max(res, math.Abs(sum))
			for c := range supp[i] {
				J.Set(off[n]+i, off[i]+c, 1)
			}
		}
		if res > newtonDiverged || (it >= newtonSlowIter && res > newtonSlowResidual) {
			return nil, false // diverging or not converging quadratically: give up on this start
		}
		if res < newtonResidual {
			out := make([][]float64, n)
			for i := range out {
				out[i] = make([]float64, s.g.NumStrategies(i))
				for c, t := range supp[i] {
					out[i][t] = z[off[i]+c]
				}
			}
			return out, true
		}
		if err := dz.SolveVec(J, mat.NewVecDense(N, F)); err != nil {
			return nil, false
		}
		for r := range z {
			z[r] -= dz.AtVec(r)
			if math.IsNaN(z[r]) || math.IsInf(z[r], 0) {
				return nil, false
			}
		}
	}
	return nil, false
}

// values returns each player's expected payoff (scaled) for each pure strategy against sig.
func (s *nsolver) values(sig [][]float64) [][]float64 {
	n := s.n
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, s.g.NumStrategies(i))
	}
	prof := make([]int, n)
	for k := 0; k < s.g.NumProfiles(); k++ {
		s.g.Profile(k, prof)
		for i := 0; i < n; i++ {
			w := s.pf[k*n+i]
			for j := 0; j < n && w != 0; j++ {
				if j != i {
					w *= sig[j][prof[j]]
				}
			}
			out[i][prof[i]] += w
		}
	}
	return out
}

func (s *nsolver) accept(sig [][]float64, tol float64) (Approx, bool) {
	for i := range sig {
		sum := 0.0
		for t, x := range sig[i] {
			if x < -supportNegTol {
				return Approx{}, false
			}
			if x < 0 {
				sig[i][t] = 0
			}
			sum += sig[i][t]
		}
		for t := range sig[i] {
			sig[i][t] /= sum
		}
	}
	vals := s.values(sig)
	a := Approx{Profile: sig, Payoffs: make([]float64, s.n)}
	for i := range sig {
		u, best := 0.0, math.Inf(-1)
		for t, x := range sig[i] {
			u += x * vals[i][t]
			best = math.Max(best, vals[i][t])
		}
		a.Payoffs[i] = u * s.scale
		a.MaxRegret = math.Max(a.MaxRegret, (best-u)*s.scale)
	}
	return a, a.MaxRegret <= tol*s.scale
}

func duplicate(list []Approx, a Approx) bool {
	for _, b := range list {
		d := 0.0
		for i := range a.Profile {
			for t := range a.Profile[i] {
				d = math.Max(d, math.Abs(a.Profile[i][t]-b.Profile[i][t]))
			}
		}
		if d < dedupeDist {
			return true
		}
	}
	return false
}

// rationalize tries the best rational approximations (continued fractions, denominators up to
// maxDenominator) of each probability and keeps the profile if Verify confirms it exactly.
func (s *nsolver) rationalize(a *Approx) {
	p := make(Profile, len(a.Profile))
	for i, d := range a.Profile {
		p[i] = make([]*big.Rat, len(d))
		for t, x := range d {
			r, ok := approxRat(x)
			if !ok {
				return
			}
			p[i][t] = r
		}
	}
	if p.Check(s.g) != nil {
		return
	}
	v, err := Verify(s.g, p)
	if err != nil || !v.Equilibrium {
		return
	}
	a.Exact, a.ExactPayoffs = p, v.Payoffs
}

// approxRat returns the continued-fraction convergent of x closest to it with denominator at
// most maxDenominator, if it lies within ratMatchTol.
func approxRat(x float64) (*big.Rat, bool) {
	if x < 0 || x > 1 || math.IsNaN(x) {
		return nil, false
	}
	h0, h1 := int64(0), int64(1) // numerators
	k0, k1 := int64(1), int64(0) // denominators
	f := x
	for iter := 0; iter < 64; iter++ {
		a := math.Floor(f)
		h0, h1 = h1, int64(a)*h1+h0
		k0, k1 = k1, int64(a)*k1+k0
		if k1 > maxDenominator {
			break
		}
		if math.Abs(float64(h1)/float64(k1)-x) < 1e-15 {
			break
		}
		if f-a < 1e-15 {
			break
		}
		f = 1 / (f - a)
	}
	// h1/k1 may have overshot maxDenominator; fall back to the previous convergent.
	h, k := h1, k1
	if k > maxDenominator {
		h, k = h0, k0
	}
	if k == 0 || math.Abs(float64(h)/float64(k)-x) > ratMatchTol {
		return nil, false
	}
	return big.NewRat(h, k), true
}

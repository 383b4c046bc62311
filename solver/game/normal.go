package game

import (
	"errors"
	"fmt"
	"math/big"
)

// MaxProfiles bounds the number of pure-strategy profiles of a [Normal] game (the payoff table
// holds NumProfiles × NumPlayers rationals).
const MaxProfiles = 1 << 22

// ErrShape reports inconsistent dimensions in a game definition.
var ErrShape = errors.New("game: inconsistent game shape")

// Normal is a finite n-player normal-form game with exact payoffs. Pure profiles are indexed in
// Gambit's order: player 1's strategy changes fastest, so profile (s_1,…,s_n) has index
// Σ s_i·stride_i with stride_1 = 1 and stride_{i+1} = stride_i·m_i.
type Normal struct {
	players    []string
	strategies [][]string
	strides    []int
	nprof      int
	pay        []*big.Rat // pay[k*n+i]: payoff of player i at profile k
	scaled     *scaledCache
}

// NewNormal builds a game from player names, strategy labels and payoffs, where payoffs[k] is the
// payoff vector (one entry per player) of the profile with index k (see [Normal]). It checks the
// shapes and that there are at least one player and one strategy per player. Names may repeat
// (Gambit files do that); [UniqueNames] checks them where a format requires it. Payoff values
// are copied.
func NewNormal(players []string, strategies [][]string, payoffs [][]*big.Rat) (*Normal, error) {
	g, err := newShape(players, strategies)
	if err != nil {
		return nil, err
	}
	if len(payoffs) != g.nprof {
		return nil, fmt.Errorf("%w: %d payoff vectors for %d profiles", ErrShape, len(payoffs), g.nprof)
	}
	n := len(players)
	g.pay = make([]*big.Rat, g.nprof*n)
	for k, v := range payoffs {
		if len(v) != n {
			return nil, fmt.Errorf("%w: profile %d has %d payoffs for %d players", ErrShape, k, len(v), n)
		}
		for i, x := range v {
			if x == nil {
				return nil, fmt.Errorf("%w: profile %d: missing payoff for player %d", ErrShape, k, i+1)
			}
			g.pay[k*n+i] = new(big.Rat).Set(x)
		}
	}
	return g, nil
}

func newShape(players []string, strategies [][]string) (*Normal, error) {
	if len(players) == 0 {
		return nil, fmt.Errorf("%w: no players", ErrShape)
	}
	if len(strategies) != len(players) {
		return nil, fmt.Errorf("%w: %d strategy lists for %d players", ErrShape, len(strategies), len(players))
	}
	g := &Normal{players: append([]string(nil), players...), strides: make([]int, len(players)), scaled: new(scaledCache)}
	nprof := 1
	for i, s := range strategies {
		if len(s) == 0 {
			return nil, fmt.Errorf("%w: player %q has no strategies", ErrShape, players[i])
		}
		g.strides[i] = nprof
		if nprof > MaxProfiles/len(s) {
			return nil, fmt.Errorf("%w: more than %d pure profiles", ErrShape, MaxProfiles)
		}
		nprof *= len(s)
		g.strategies = append(g.strategies, append([]string(nil), s...))
	}
	if nprof*len(players) > MaxProfiles {
		return nil, fmt.Errorf("%w: payoff table larger than %d entries", ErrShape, MaxProfiles)
	}
	g.nprof = nprof
	return g, nil
}

// UniqueNames returns an error naming the first repeated name in names; what describes the list.
func UniqueNames(what string, names []string) error {
	seen := make(map[string]bool, len(names))
	for _, s := range names {
		if seen[s] {
			return fmt.Errorf("%w: duplicate %s name %q", ErrShape, what, s)
		}
		seen[s] = true
	}
	return nil
}

// NewBimatrix builds a two-player game from the row player's payoff matrix A and the column
// player's B (both m×n). Players are named "1" and "2", strategies "1".."m" and "1".."n" unless
// names are given later with [Normal.Rename].
func NewBimatrix(A, B [][]*big.Rat) (*Normal, error) {
	m := len(A)
	if m == 0 || len(B) != m {
		return nil, fmt.Errorf("%w: A has %d rows, B %d", ErrShape, len(A), len(B))
	}
	n := len(A[0])
	for i := range A {
		if len(A[i]) != n || len(B[i]) != n {
			return nil, fmt.Errorf("%w: row %d of A or B does not have %d columns", ErrShape, i+1, n)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no columns", ErrShape)
	}
	pay := make([][]*big.Rat, m*n)
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			pay[j*m+i] = []*big.Rat{A[i][j], B[i][j]}
		}
	}
	return NewNormal([]string{"1", "2"}, [][]string{numbered(m), numbered(n)}, pay)
}

func numbered(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i + 1)
	}
	return s
}

// Rename returns a copy of g (sharing its payoffs) with new player and strategy names; the
// counts must match.
func (g *Normal) Rename(players []string, strategies [][]string) (*Normal, error) {
	h, err := newShape(players, strategies)
	if err != nil {
		return nil, err
	}
	if h.nprof != g.nprof || len(players) != len(g.players) {
		return nil, fmt.Errorf("%w: renaming changes the game's dimensions", ErrShape)
	}
	for i := range strategies {
		if len(strategies[i]) != len(g.strategies[i]) {
			return nil, fmt.Errorf("%w: player %d has %d strategies, not %d", ErrShape, i+1, len(g.strategies[i]), len(strategies[i]))
		}
	}
	h.pay, h.scaled = g.pay, g.scaled
	return h, nil
}

// NumPlayers returns the number of players.
func (g *Normal) NumPlayers() int { return len(g.players) }

// Players returns the player names (do not modify).
func (g *Normal) Players() []string { return g.players }

// Strategies returns the strategy labels of player i (do not modify).
func (g *Normal) Strategies(i int) []string { return g.strategies[i] }

// AllStrategies returns every player's strategy labels (do not modify).
func (g *Normal) AllStrategies() [][]string { return g.strategies }

// NumStrategies returns the number of strategies of player i.
func (g *Normal) NumStrategies(i int) int { return len(g.strategies[i]) }

// Shape returns the strategy counts of all players.
func (g *Normal) Shape() []int {
	s := make([]int, len(g.strategies))
	for i := range s {
		s[i] = len(g.strategies[i])
	}
	return s
}

// NumProfiles returns the number of pure-strategy profiles.
func (g *Normal) NumProfiles() int { return g.nprof }

// Stride returns the index step of player i's strategy (see [Normal]).
func (g *Normal) Stride(i int) int { return g.strides[i] }

// Index returns the index of a pure profile; it panics if the profile is out of range.
func (g *Normal) Index(profile []int) int {
	if len(profile) != len(g.players) {
		panic("game: profile length mismatch")
	}
	k := 0
	for i, s := range profile {
		if s < 0 || s >= len(g.strategies[i]) {
			panic("game: strategy out of range")
		}
		k += s * g.strides[i]
	}
	return k
}

// Profile writes the pure profile with index k into dst (allocated when nil) and returns it.
func (g *Normal) Profile(k int, dst []int) []int {
	if dst == nil {
		dst = make([]int, len(g.players))
	}
	for i := range g.strategies {
		m := len(g.strategies[i])
		dst[i] = k % m
		k /= m
	}
	return dst
}

// Payoff returns player i's payoff at the profile with index k (do not modify it).
func (g *Normal) Payoff(k, i int) *big.Rat { return g.pay[k*len(g.players)+i] }

// Payoffs returns the payoff vector at profile index k (a view; do not modify).
func (g *Normal) Payoffs(k int) []*big.Rat {
	n := len(g.players)
	return g.pay[k*n : (k+1)*n : (k+1)*n]
}

// Matrices returns the payoff matrices A (row player) and B (column player) of a two-player
// game; the entries are shared with g (do not modify).
func (g *Normal) Matrices() (A, B [][]*big.Rat, err error) {
	if len(g.players) != 2 {
		return nil, nil, fmt.Errorf("%w: %d players, not 2", ErrShape, len(g.players))
	}
	m, n := len(g.strategies[0]), len(g.strategies[1])
	A = make([][]*big.Rat, m)
	B = make([][]*big.Rat, m)
	for i := 0; i < m; i++ {
		A[i] = make([]*big.Rat, n)
		B[i] = make([]*big.Rat, n)
		for j := 0; j < n; j++ {
			k := i + j*m
			A[i][j], B[i][j] = g.pay[2*k], g.pay[2*k+1]
		}
	}
	return A, B, nil
}

// IsConstantSum reports whether the payoffs of all players sum to the same constant c at every
// profile, and returns c.
func (g *Normal) IsConstantSum() (bool, *big.Rat) {
	n := len(g.players)
	var c *big.Rat
	s := new(big.Rat)
	for k := 0; k < g.nprof; k++ {
		s.SetInt64(0)
		for i := 0; i < n; i++ {
			s.Add(s, g.pay[k*n+i])
		}
		if c == nil {
			c = new(big.Rat).Set(s)
		} else if c.Cmp(s) != 0 {
			return false, nil
		}
	}
	return true, c
}

// Restrict returns the subgame in which player i keeps only the strategies listed in keep[i]
// (indices into the original lists, in order). It is used by dominance elimination.
func (g *Normal) Restrict(keep [][]int) (*Normal, error) {
	if len(keep) != len(g.players) {
		return nil, fmt.Errorf("%w: keep lists for %d players", ErrShape, len(keep))
	}
	strats := make([][]string, len(keep))
	for i, ks := range keep {
		for _, s := range ks {
			if s < 0 || s >= len(g.strategies[i]) {
				return nil, fmt.Errorf("%w: strategy %d of player %d out of range", ErrShape, s, i+1)
			}
			strats[i] = append(strats[i], g.strategies[i][s])
		}
	}
	h, err := newShape(g.players, strats)
	if err != nil {
		return nil, err
	}
	n := len(g.players)
	h.pay = make([]*big.Rat, h.nprof*n)
	prof := make([]int, n)
	orig := make([]int, n)
	for k := 0; k < h.nprof; k++ {
		h.Profile(k, prof)
		for i := range prof {
			orig[i] = keep[i][prof[i]]
		}
		copy(h.pay[k*n:(k+1)*n], g.Payoffs(g.Index(orig)))
	}
	return h, nil
}

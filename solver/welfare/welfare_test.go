package welfare

import (
	"errors"
	"math/big"
	"math/rand"
	"testing"

	"github.com/nashd/nashd/solver/game"
)

func pts(vals ...[2]string) []Point {
	out := make([]Point, len(vals))
	for i, v := range vals {
		out[i] = Point{Label: v[0] + "," + v[1], Payoffs: game.Rats(v[0], v[1])}
	}
	return out
}

func eq(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFrontier(t *testing.T) {
	// prisoner's dilemma outcomes (3,3) (0,5) (5,0) (1,1), plus a duplicate and a weak point.
	p := pts([2]string{"3", "3"}, [2]string{"0", "5"}, [2]string{"5", "0"}, [2]string{"1", "1"}, [2]string{"3", "3"}, [2]string{"3", "0"})
	f, err := Frontier(p)
	if err != nil || !eq(f, []int{0, 1, 2, 4}) {
		t.Errorf("Frontier = %v, %v", f, err)
	}
	w, _ := WeakFrontier(p)
	if !eq(w, []int{0, 1, 2, 4, 5}) { // (3,0): nothing beats it in both coordinates
		t.Errorf("WeakFrontier = %v", w)
	}
	// (0,5) Pareto-dominates (0,3), but nothing is strictly better than (0,3) for both players.
	q := pts([2]string{"0", "5"}, [2]string{"0", "3"}, [2]string{"2", "2"})
	f, _ = Frontier(q)
	w, _ = WeakFrontier(q)
	if !eq(f, []int{0, 2}) || !eq(w, []int{0, 1, 2}) {
		t.Errorf("Frontier = %v, WeakFrontier = %v", f, w)
	}
	if _, err := Frontier([]Point{{Payoffs: game.Rats("1")}, {Payoffs: game.Rats("1", "2")}}); !errors.Is(err, ErrDimension) {
		t.Errorf("mixed dimensions: %v", err)
	}
}

// TestFrontierProperty checks Frontier against its definition on random point sets.
func TestFrontierProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.Intn(12)
		d := 1 + rng.Intn(3)
		p := make([]Point, n)
		for i := range p {
			for j := 0; j < d; j++ {
				p[i].Payoffs = append(p[i].Payoffs, big.NewRat(rng.Int63n(4), 1))
			}
		}
		f, _ := Frontier(p)
		w, _ := WeakFrontier(p)
		in := map[int]bool{}
		for _, i := range f {
			in[i] = true
		}
		inw := map[int]bool{}
		for _, i := range w {
			inw[i] = true
		}
		for i := range p {
			dominated, strictly := false, false
			for j := range p {
				all, strict, allStrict := true, false, true
				for k := 0; k < d; k++ {
					c := p[j].Payoffs[k].Cmp(p[i].Payoffs[k])
					all = all && c >= 0
					strict = strict || c > 0
					allStrict = allStrict && c > 0
				}
				dominated = dominated || (all && strict)
				strictly = strictly || allStrict
			}
			if in[i] == dominated || inw[i] == strictly || (in[i] && !inw[i]) {
				t.Fatalf("trial %d: point %d: frontier %v weak %v, dominated %v strictly %v", trial, i, in[i], inw[i], dominated, strictly)
			}
		}
	}
}

func TestSelect(t *testing.T) {
	// GTAlign-style matrix (LLM, user): welfare ties between (3,4) and (4,3) broken by the user's
	// payoff (player 1), then between equal points by order.
	p := pts([2]string{"3", "4"}, [2]string{"4", "3"}, [2]string{"1", "5"}, [2]string{"3", "4"}, [2]string{"-1", "9"})
	s, err := Select(p, nil, ByRule(Utilitarian), ByPlayer(1), ByPlayer(0))
	if err != nil || s.Index != 4 || !eq(s.Tied, []int{4}) {
		t.Errorf("Select(sum) = %+v, %v", s, err)
	}
	s, _ = Select(p, []int{0, 1, 2, 3}, ByRule(Utilitarian), ByPlayer(1))
	if s.Index != 0 || !eq(s.Tied, []int{0, 3}) {
		t.Errorf("Select(sum, user) = %+v", s)
	}
	// Nash product: (-1, 9) is undefined and ranks last; 3·4 = 12 is best.
	s, _ = Select(p, nil, ByRule(NashProduct))
	if s.Index != 0 || !eq(s.Tied, []int{0, 1, 3}) {
		t.Errorf("Select(nash) = %+v", s)
	}
	s, _ = Select(p, nil, ByRule(Egalitarian), ByPlayer(0))
	if s.Index != 1 {
		t.Errorf("Select(maxmin, llm) = %+v", s)
	}
	if _, err := Select(p, nil, ByPlayer(2)); err == nil {
		t.Error("Select accepted player 2 of 2")
	}
	r, _ := Rank(p, Utilitarian)
	if !eq(r, []int{2, 2, 5, 2, 1}) { // sums 7 7 6 7 8
		t.Errorf("Rank = %v", r)
	}
}

func TestNashBargaining(t *testing.T) {
	p := pts([2]string{"3", "3"}, [2]string{"0", "5"}, [2]string{"5", "0"}, [2]string{"1", "1"})
	s, err := NashBargaining(p, game.Rats("1", "1"))
	if err != nil || s.Index != 0 {
		t.Errorf("NashBargaining = %+v, %v", s, err)
	}
	if _, err := NashBargaining(p, []*big.Rat{nil, nil}); !errors.Is(err, ErrDimension) {
		t.Errorf("nil disagreement: %v", err)
	}
	if _, err := NashBargainingHull(p, game.Rats("1")); !errors.Is(err, ErrDimension) {
		t.Errorf("short disagreement: %v", err)
	}
	if _, err := NashBargaining(p, game.Rats("5", "5")); !errors.Is(err, ErrNoGain) {
		t.Errorf("no gain: %v", err)
	}
	// Hull of (0,5), (5,0) with d = 0: the segment's midpoint (5/2, 5/2), product 25/4 > 3·3.
	h, err := NashBargainingHull(p, game.Rats("0", "0"))
	if err != nil {
		t.Fatal(err)
	}
	// (3,3) lies above the segment (0,5)-(5,0), so the hull frontier is (0,5)-(3,3)-(5,0) and
	// the solution is (3,3) itself (product 9 > 25/4).
	if h.Payoffs[0].Cmp(big.NewRat(3, 1)) != 0 || h.A != 0 || h.B != 0 {
		t.Errorf("hull solution %+v", h)
	}
	q := pts([2]string{"0", "4"}, [2]string{"4", "0"}, [2]string{"1", "1"})
	h, err = NashBargainingHull(q, game.Rats("0", "0"))
	if err != nil || h.Payoffs[0].Cmp(big.NewRat(2, 1)) != 0 || h.Payoffs[1].Cmp(big.NewRat(2, 1)) != 0 || h.T.Cmp(big.NewRat(1, 2)) != 0 {
		t.Errorf("hull solution %+v, %v", h, err)
	}
	// Asymmetric disagreement point: d = (1, 0) on the segment (0,4)-(4,0): maximise
	// (u−1)(4−u) → u = 5/2.
	h, _ = NashBargainingHull(q, game.Rats("1", "0"))
	if h.Payoffs[0].Cmp(big.NewRat(5, 2)) != 0 {
		t.Errorf("asymmetric hull solution %+v", h)
	}
	// The hull solution is never worse than the finite one (random check).
	rng := rand.New(rand.NewSource(9))
	for trial := 0; trial < 100; trial++ {
		var r []Point
		for i := 0; i < 1+rng.Intn(8); i++ {
			r = append(r, Point{Payoffs: []*big.Rat{big.NewRat(rng.Int63n(10), 1), big.NewRat(rng.Int63n(10), 1)}})
		}
		d := []*big.Rat{big.NewRat(rng.Int63n(3), 1), big.NewRat(rng.Int63n(3), 1)}
		fs, ferr := NashBargaining(r, d)
		hs, herr := NashBargainingHull(r, d)
		if (ferr == nil) != (herr == nil) {
			// the hull may contain improving lotteries even when no outcome improves for both
			if ferr == nil {
				t.Fatalf("trial %d: finite ok but hull %v", trial, herr)
			}
			continue
		}
		if ferr != nil {
			continue
		}
		fv, _ := gainProduct(r[fs.Index].Payoffs, d)
		if hs.Product.Cmp(fv) < 0 {
			t.Fatalf("trial %d: hull product %v < finite %v", trial, hs.Product, fv)
		}
	}
}

func TestGeometricMean(t *testing.T) {
	tests := []struct {
		in   []string
		want float64
		ok   bool
	}{
		{[]string{"4", "9"}, 6, true},
		{[]string{"1/4", "1"}, 0.5, true},
		{[]string{"0", "5"}, 0, true},
		{[]string{"-1", "5"}, 0, false},
		{[]string{"2", "4", "8"}, 4, true},
	}
	for _, tt := range tests {
		v, ok := GeometricMean(game.Rats(tt.in...))
		if ok != tt.ok || (ok && (v-tt.want > 1e-12 || tt.want-v > 1e-12)) {
			t.Errorf("GeometricMean(%v) = %v, %v; want %v, %v", tt.in, v, ok, tt.want, tt.ok)
		}
	}
}

package dond

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// bruteValuations enumerates valuations by nested loops over every value up to 10.
func bruteValuations(c [3]int) [][3]int {
	var out [][3]int
	for a := 0; a <= 10; a++ {
		for b := 0; b <= 10; b++ {
			for d := 0; d <= 10; d++ {
				if a*c[0]+b*c[1]+d*c[2] == 10 && (c[0] > 0 || a == 0) && (c[1] > 0 || b == 0) && (c[2] > 0 || d == 0) {
					out = append(out, [3]int{a, b, d})
				}
			}
		}
	}
	return out
}

func asArrays(vs []Valuation) [][3]int {
	out := make([][3]int, len(vs))
	for i, v := range vs {
		out[i] = [3]int{v[0], v[1], v[2]}
	}
	return out
}

func TestValuations(t *testing.T) {
	for _, c := range [][3]int{{1, 1, 3}, {2, 2, 2}, {1, 4, 1}, {3, 1, 1}, {1, 1, 1}, {0, 2, 5}, {4, 2, 1}} {
		got, want := asArrays(Valuations(c[:], 10)), bruteValuations(c)
		if !slices.Equal(got, want) {
			t.Errorf("counts %v: %d valuations %v, want %d %v", c, len(got), got, len(want), want)
		}
	}
}

// dot is the worth of share under valuation v.
func dot(v [3]int, share [3]int) int { return v[0]*share[0] + v[1]*share[1] + v[2]*share[2] }

// Belief updates on hand-made exchanges equal the envy and greed sets enumerated here
// from the definitions, including a narrowing over two rejections and a reset.
func TestBeliefReject(t *testing.T) {
	c := [3]int{1, 1, 3}
	rest := func(s [3]int) [3]int { return [3]int{c[0] - s[0], c[1] - s[1], c[2] - s[2]} }
	type exchange struct{ mine, theirs [3]int } // my share in my proposal, their share in their counter
	for _, tt := range []struct {
		name      string
		exchanges []exchange
		reset     []bool
	}{
		{"greedy me, fair counter", []exchange{{[3]int{1, 1, 2}, [3]int{0, 0, 3}}}, []bool{false}},
		{"two rejections narrow", []exchange{{[3]int{1, 1, 2}, [3]int{0, 1, 2}}, {[3]int{0, 1, 2}, [3]int{1, 0, 2}}}, []bool{false, false}},
		// I offer them everything: never envy (they get all), never greed (nothing beats all).
		{"reset", []exchange{{[3]int{0, 0, 0}, [3]int{1, 1, 3}}}, []bool{true}},
		{"reset then update", []exchange{{[3]int{0, 0, 0}, [3]int{1, 1, 3}}, {[3]int{1, 1, 1}, [3]int{0, 1, 2}}}, []bool{true, false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBelief(c[:])
			set := bruteValuations(c)
			for k, x := range tt.exchanges {
				var envy, greed [][3]int
				for _, v := range set {
					offered := rest(x.mine)
					switch {
					case dot(v, offered) < dot(v, x.mine) && dot(v, x.theirs) >= dot(v, rest(x.theirs)):
						envy = append(envy, v)
					case dot(v, offered) >= dot(v, x.mine) && dot(v, x.theirs) > dot(v, offered):
						greed = append(greed, v)
					}
				}
				u := b.Reject(Split(x.mine[:]), Split(x.theirs[:]))
				if !slices.Equal(asArrays(u.Envy), envy) || !slices.Equal(asArrays(u.Greed), greed) {
					t.Fatalf("exchange %d: envy %v greed %v, want %v %v", k, u.Envy, u.Greed, envy, greed)
				}
				reset := len(envy)+len(greed) == 0
				if u.Reset != reset || reset != tt.reset[k] {
					t.Fatalf("exchange %d: reset %v, computed %v, want %v", k, u.Reset, reset, tt.reset[k])
				}
				if reset {
					set = bruteValuations(c)
					if u.PEnvy != 0.5 {
						t.Errorf("P(envy) after a reset = %v, want 1/2", u.PEnvy)
					}
				} else {
					set = append(envy, greed...)
					slices.SortFunc(set, func(a, b [3]int) int { return slices.Compare(a[:], b[:]) })
					if want := float64(len(envy)) / float64(len(envy)+len(greed)); u.PEnvy != want || b.PEnvy != want {
						t.Errorf("exchange %d: P(envy) = %v, want %v", k, u.PEnvy, want)
					}
				}
				if !slices.Equal(asArrays(b.Set), set) || u.After != len(set) {
					t.Fatalf("exchange %d: belief %v, want %v", k, b.Set, set)
				}
				t.Logf("exchange %d: envy %d, greed %d, %d left", k, len(envy), len(greed), len(set))
			}
		})
	}
}

// Candidates equal a ranking computed here: splits envy-free for the player, by the
// acceptance formula over the belief, then worth, then enumeration order.
func TestCandidates(t *testing.T) {
	s := &Setup{Items: []string{"book", "hat", "ball"}, Counts: []int{1, 1, 3}, Values: [2][]int{{1, 3, 2}, {1, 0, 3}}}
	b := NewBelief(s.Counts)
	b.Reject(Split{1, 1, 2}, Split{0, 1, 2})
	lastAsk := [3]int{0, 1, 2}
	c := [3]int{1, 1, 3}
	for i := range 2 {
		my := [3]int{s.Values[i][0], s.Values[i][1], s.Values[i][2]}
		type cand struct {
			share    [3]int
			value    int
			p        float64
			position int
		}
		var want []cand
		pos := 0
		// The solver's enumeration order: Alice's share of each item largest first.
		for x := c[0]; x >= 0; x-- {
			for y := c[1]; y >= 0; y-- {
				for z := c[2]; z >= 0; z-- {
					alice := [3]int{x, y, z}
					share := alice
					if i == 1 {
						share = [3]int{c[0] - x, c[1] - y, c[2] - z}
					}
					other := [3]int{c[0] - share[0], c[1] - share[1], c[2] - share[2]}
					pos++
					if dot(my, share) < dot(my, other) {
						continue
					}
					var nEnvy, nGreed int
					for _, v := range b.Set {
						w := [3]int{v[0], v[1], v[2]}
						if dot(w, other) >= dot(w, share) {
							nEnvy++
						}
						if dot(w, other) >= dot(w, lastAsk) {
							nGreed++
						}
					}
					p := (b.PEnvy*float64(nEnvy) + (1-b.PEnvy)*float64(nGreed)) / float64(len(b.Set))
					want = append(want, cand{share, dot(my, share), p, pos})
				}
			}
		}
		slices.SortStableFunc(want, func(a, b cand) int {
			switch {
			case a.p != b.p:
				return -cmpFloat(a.p, b.p)
			case a.value != b.value:
				return b.value - a.value
			}
			return a.position - b.position
		})
		got := Candidates(s, i, b, Split(lastAsk[:]), 100)
		if len(got) != len(want) {
			t.Fatalf("player %d: %d candidates, want %d", i, len(got), len(want))
		}
		for k := range got {
			g, w := got[k], want[k]
			if fmt.Sprint(g.Share) != fmt.Sprint(w.share[:]) || g.Value != w.value || math.Abs(g.Accept-w.p) > 1e-12 {
				t.Errorf("player %d candidate %d: %+v, want %+v", i, k, g, w)
			}
		}
		if top := Candidates(s, i, b, Split(lastAsk[:]), 3); len(top) != 3 || fmt.Sprint(top) != fmt.Sprint(got[:3]) {
			t.Errorf("player %d: top 3 %v, want %v", i, top, got[:3])
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

package game

import (
	"fmt"
	"math/big"
	"strings"
)

// StrategySeparator joins a player's actions, one per own decision node in preorder, into the
// name of a pure strategy of the induced normal form (for example "A2/A1").
const StrategySeparator = "/"

// ToNormal returns the normal form of the tree: a pure strategy of player i picks one action at
// each of i's decision nodes (preorder), named by joining the actions with [StrategySeparator];
// payoffs are exact expectations over chance moves. A player without decision nodes gets the
// single strategy "-". It fails when the normal form would exceed [MaxProfiles].
func (t *Tree) ToNormal() (*Normal, [][]*Node, error) {
	n := len(t.Players)
	own := make([][]*Node, n)
	strategies := make([][]string, n)
	for i := range own {
		own[i] = t.DecisionNodes(i)
		count := 1
		for _, d := range own[i] {
			if count > MaxProfiles/len(d.Children) {
				return nil, nil, fmt.Errorf("%w: player %q has more than %d pure strategies", ErrShape, t.Players[i], MaxProfiles)
			}
			count *= len(d.Children)
		}
		strategies[i] = make([]string, 0, count)
		choice := make([]int, len(own[i]))
		for c := 0; c < count; c++ {
			r := c
			parts := make([]string, len(own[i]))
			for j := len(own[i]) - 1; j >= 0; j-- { // first node changes slowest
				m := len(own[i][j].Children)
				choice[j] = r % m
				r /= m
				parts[j] = own[i][j].Actions[choice[j]]
			}
			name := strings.Join(parts, StrategySeparator)
			if len(parts) == 0 {
				name = "-"
			}
			strategies[i] = append(strategies[i], name)
		}
	}
	g, err := newShape(t.Players, strategies)
	if err != nil {
		return nil, nil, err
	}
	// index of each decision node within its owner's list, for decoding strategies
	pos := map[*Node]int{}
	for i := range own {
		for j, d := range own[i] {
			pos[d] = j
		}
	}
	g.pay = make([]*big.Rat, g.nprof*n)
	prof := make([]int, n)
	acts := make([][]int, n)
	for i := range acts {
		acts[i] = make([]int, len(own[i]))
	}
	for k := 0; k < g.nprof; k++ {
		g.Profile(k, prof)
		for i := range own {
			r := prof[i]
			for j := len(own[i]) - 1; j >= 0; j-- {
				m := len(own[i][j].Children)
				acts[i][j] = r % m
				r /= m
			}
		}
		v := t.value(t.Root, func(d *Node) int { return acts[d.Player][pos[d]] })
		copy(g.pay[k*n:(k+1)*n], v)
	}
	return g, own, nil
}

// value returns the expected payoff vector of the subtree at nd when decision nodes choose
// move choose(d).
func (t *Tree) value(nd *Node, choose func(*Node) int) []*big.Rat {
	if nd.Terminal() {
		out := make([]*big.Rat, len(nd.Payoffs))
		for i, p := range nd.Payoffs {
			out[i] = new(big.Rat).Set(p)
		}
		return out
	}
	if nd.Player != Chance {
		return t.value(nd.Children[choose(nd)], choose)
	}
	out := make([]*big.Rat, len(t.Players))
	for i := range out {
		out[i] = new(big.Rat)
	}
	tmp := new(big.Rat)
	for c, ch := range nd.Children {
		if nd.Probs[c].Sign() == 0 {
			continue
		}
		v := t.value(ch, choose)
		for i := range out {
			out[i].Add(out[i], tmp.Mul(v[i], nd.Probs[c]))
		}
	}
	return out
}

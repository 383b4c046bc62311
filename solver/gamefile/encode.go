package gamefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/BurntSushi/toml"

	"github.com/nashd/nashd/solver/game"
)

// MarshalText writes the number as "p/q" (or "p"); TOML and JSON encoders use it, and both
// decoders read it back exactly.
func (n Number) MarshalText() ([]byte, error) {
	if n.R == nil {
		return nil, fmt.Errorf("gamefile: nil number")
	}
	return []byte(n.R.RatString()), nil
}

// FromGame converts a game back to the file schema (for example a Gambit .nfg game to TOML).
// Numbers are written as exact strings.
func FromGame(g *game.Game) (*File, error) {
	f := &File{Name: g.Name, Description: g.Description, Players: append([]string(nil), g.Players()...)}
	switch g.Kind() {
	case game.KindNormal:
		nf := g.Normal
		f.Strategies = nf.AllStrategies()
		prof := make([]int, nf.NumPlayers())
		var build func(depth int) Table
		build = func(depth int) Table {
			if depth == nf.NumPlayers() {
				t := make(Table, nf.NumPlayers())
				for i, x := range nf.Payoffs(nf.Index(prof)) {
					t[i] = x
				}
				return t
			}
			t := make(Table, nf.NumStrategies(depth))
			for s := range t {
				prof[depth] = s
				t[s] = build(depth + 1)
			}
			return t
		}
		f.Payoffs = build(0)
	case game.KindTree:
		tr := g.Tree
		f.Tree = &TreeFile{Root: tr.Root.ID}
		for _, nd := range tr.Nodes() {
			if nd.Terminal() {
				continue
			}
			nfile := NodeFile{ID: nd.ID}
			if nd.Player == game.Chance {
				nfile.Chance = true
			} else {
				nfile.Player = tr.Players[nd.Player]
			}
			for c, ch := range nd.Children {
				mv := MoveFile{Action: nd.Actions[c]}
				if ch.Terminal() {
					mv.Payoffs = numbers(ch.Payoffs)
				} else {
					mv.Next = ch.ID
				}
				if nd.Player == game.Chance {
					mv.Prob = &Number{R: nd.Probs[c]}
				}
				nfile.Moves = append(nfile.Moves, mv)
			}
			f.Tree.Nodes = append(f.Tree.Nodes, nfile)
		}
		if tr.Root.Terminal() {
			return nil, fmt.Errorf("gamefile: a tree whose root is terminal has no file form")
		}
	case game.KindAllocation:
		a := g.Allocation
		af := &AllocFile{Items: a.Items, Counts: a.Counts, Disagreement: numbers(a.Disagreement)}
		for _, row := range a.Values {
			af.Values = append(af.Values, numbers(row))
		}
		f.Allocation = af
	default:
		return nil, fmt.Errorf("gamefile: empty game")
	}
	return f, nil
}

func numbers(v []*big.Rat) []Number {
	out := make([]Number, len(v))
	for i, x := range v {
		out[i] = Number{R: x}
	}
	return out
}

// EncodeTOML writes g in the TOML schema.
func EncodeTOML(g *game.Game) ([]byte, error) {
	f, err := FromGame(g)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeJSON writes g in the JSON form of the schema.
func EncodeJSON(g *game.Game) ([]byte, error) {
	f, err := FromGame(g)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(f, "", "  ")
}

package gamefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/nfg"
)

// ErrInvalid is wrapped by every error about a malformed game file.
var ErrInvalid = errors.New("gamefile: invalid game file")

// Error locates a problem in a game file. Line is 0 when it could not be determined.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// File is the schema of a game file (see the package documentation). The same struct decodes
// TOML and JSON.
type File struct {
	Name        string     `toml:"name" json:"name,omitempty"`
	Description string     `toml:"description,omitempty" json:"description,omitempty"`
	Players     []string   `toml:"players" json:"players"`
	Strategies  [][]string `toml:"strategies,omitempty" json:"strategies,omitempty"`
	Payoffs     Table      `toml:"payoffs,omitempty" json:"payoffs,omitempty"`
	Tree        *TreeFile  `toml:"tree,omitempty" json:"tree,omitempty"`
	Allocation  *AllocFile `toml:"allocation,omitempty" json:"allocation,omitempty"`
}

// TreeFile is the [tree] table.
type TreeFile struct {
	Root  string     `toml:"root,omitempty" json:"root,omitempty"`
	Nodes []NodeFile `toml:"nodes" json:"nodes"`
}

// NodeFile is one [[tree.nodes]] entry.
type NodeFile struct {
	ID     string     `toml:"id" json:"id"`
	Player string     `toml:"player,omitempty" json:"player,omitempty"`
	Chance bool       `toml:"chance,omitempty" json:"chance,omitempty"`
	Moves  []MoveFile `toml:"moves" json:"moves"`
}

// MoveFile is one move of a node: to another node (Next) or ending the game (Payoffs).
type MoveFile struct {
	Action  string   `toml:"action" json:"action"`
	Next    string   `toml:"next,omitempty" json:"next,omitempty"`
	Payoffs []Number `toml:"payoffs,omitempty" json:"payoffs,omitempty"`
	Prob    *Number  `toml:"prob,omitempty" json:"prob,omitempty"`
}

// AllocFile is the [allocation] table.
type AllocFile struct {
	Items        []string   `toml:"items" json:"items"`
	Counts       []int      `toml:"counts" json:"counts"`
	Values       [][]Number `toml:"values" json:"values"`
	Disagreement []Number   `toml:"disagreement,omitempty" json:"disagreement,omitempty"`
}

// fieldError is a validation problem at a key path (for line lookup).
type fieldError struct {
	path  []string // e.g. ["tree", "nodes", "moves"]
	nth   int      // which occurrence of an array-of-tables element (tree.nodes), 0-based
	index []int    // element of the key's array value (payoffs[1][0]), if any
	msg   string
}

func (e *fieldError) Error() string { return e.msg }

func ferr(path []string, nth int, format string, args ...any) error {
	return &fieldError{path: path, nth: nth, msg: fmt.Sprintf(format, args...)}
}

// typeErrRE matches BurntSushi/toml's type errors, which carry the line in the message only.
var typeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*?)"\): (.*)$`)

// ParseTOML decodes a game from TOML; name (the file path) is used in errors and, without its
// directory and extension, as the default game name.
func ParseTOML(name string, data []byte) (*game.Game, error) {
	var f File
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.LastKey != "" {
				msg = fmt.Sprintf("%s: %s", pe.LastKey, msg)
			}
			return nil, &Error{File: name, Line: pe.Position.Line, Msg: msg}
		}
		if m := typeErrRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: name, Line: line, Msg: m[2] + ": " + m[3]}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, &Error{File: name, Line: locateTOML(data, k, -1), Msg: fmt.Sprintf("unknown key %q", k.String())}
	}
	g, err := f.Game(defaultName(name))
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, &Error{File: name, Line: locateElement(data, locateTOML(data, fe.path, fe.nth), fe.index), Msg: fe.msg}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	return g, nil
}

// ParseJSON decodes a game from the JSON form of the schema (same keys, same validation).
func ParseJSON(name string, data []byte) (*game.Game, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, &Error{File: name, Line: jsonErrorLine(data, err, dec), Msg: strings.TrimPrefix(err.Error(), "json: ")}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{File: name, Line: lineAt(data, int(dec.InputOffset())), Msg: "unexpected data after the game object"}
	}
	g, err := f.Game(defaultName(name))
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, &Error{File: name, Line: locateJSON(data, fe.path), Msg: fe.msg}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	return g, nil
}

// Load reads a game file by extension: .toml, .json or .nfg (Gambit).
func Load(path string) (*game.Game, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load game: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		return ParseTOML(path, data)
	case ".json":
		return ParseJSON(path, data)
	case ".nfg":
		g, err := nfg.Read(path, data)
		if err != nil {
			return nil, err
		}
		if g.Name == "" {
			g.Name = defaultName(path)
		}
		return g, nil
	}
	return nil, fmt.Errorf("load game %s: unknown extension (want .toml, .json or .nfg)", path)
}

func defaultName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// Game validates the decoded file and builds the game. defaultName is used when Name is empty.
func (f *File) Game(defaultName string) (*game.Game, error) {
	g := &game.Game{Name: f.Name, Description: f.Description}
	if g.Name == "" {
		g.Name = defaultName
	}
	if len(f.Players) == 0 {
		return nil, ferr([]string{"players"}, 0, "players: at least one player is required")
	}
	if len(f.Players) > 64 {
		return nil, ferr([]string{"players"}, 0, "players: at most 64 players")
	}
	for _, p := range f.Players {
		if strings.TrimSpace(p) == "" {
			return nil, ferr([]string{"players"}, 0, "players: empty player name")
		}
	}
	if err := game.UniqueNames("player", f.Players); err != nil {
		return nil, ferr([]string{"players"}, 0, "players: %v", err)
	}
	kinds := 0
	if f.Strategies != nil || f.Payoffs != nil {
		kinds++
	}
	if f.Tree != nil {
		kinds++
	}
	if f.Allocation != nil {
		kinds++
	}
	if kinds != 1 {
		return nil, ferr([]string{"players"}, 0, "need exactly one of strategies+payoffs (normal form), [tree] or [allocation]; found %d", kinds)
	}
	var err error
	switch {
	case f.Tree != nil:
		g.Tree, err = f.tree()
	case f.Allocation != nil:
		g.Allocation, err = f.allocation()
	default:
		g.Normal, err = f.normal()
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (f *File) normal() (*game.Normal, error) {
	n := len(f.Players)
	if len(f.Strategies) != n {
		return nil, ferr([]string{"strategies"}, 0, "strategies: %d lists for %d players", len(f.Strategies), n)
	}
	shape := make([]int, n)
	total := 1
	for i, s := range f.Strategies {
		if len(s) == 0 {
			return nil, ferr([]string{"strategies"}, 0, "strategies: player %q has none", f.Players[i])
		}
		if err := game.UniqueNames(fmt.Sprintf("strategy of player %q", f.Players[i]), s); err != nil {
			return nil, ferr([]string{"strategies"}, 0, "strategies: %v", err)
		}
		shape[i] = len(s)
		if total > game.MaxProfiles/len(s) {
			return nil, ferr([]string{"strategies"}, 0, "strategies: more than %d profiles", game.MaxProfiles)
		}
		total *= len(s)
	}
	if f.Payoffs == nil {
		return nil, ferr([]string{"strategies"}, 0, "payoffs: missing (a normal-form game needs strategies and payoffs)")
	}
	pay := make([][]*big.Rat, total)
	idx := make([]int, n)
	var walk func(t Table, depth int) error
	walk = func(t Table, depth int) error {
		where := func() string {
			var b strings.Builder
			b.WriteString("payoffs")
			for _, x := range idx[:depth] {
				fmt.Fprintf(&b, "[%d]", x)
			}
			return b.String()
		}
		at := func(err error) error {
			err.(*fieldError).index = append([]int(nil), idx[:depth]...)
			return err
		}
		if depth == n {
			if len(t) != n {
				return at(ferr([]string{"payoffs"}, 0, "%s: %d payoffs for %d players", where(), len(t), n))
			}
			v := make([]*big.Rat, n)
			for i, e := range t {
				r, ok := e.(*big.Rat)
				if !ok {
					return at(ferr([]string{"payoffs"}, 0, "%s[%d]: expected a number, found an array", where(), i))
				}
				v[i] = r
			}
			k := 0
			stride := 1
			for i := 0; i < n; i++ {
				k += idx[i] * stride
				stride *= shape[i]
			}
			pay[k] = v
			return nil
		}
		if len(t) != shape[depth] {
			return at(ferr([]string{"payoffs"}, 0, "%s: %d entries, want %d (strategies of %q)", where(), len(t), shape[depth], f.Players[depth]))
		}
		for s, e := range t {
			sub, ok := e.(Table)
			if !ok {
				idx[depth] = s
				return at(ferr([]string{"payoffs"}, 0, "%s: expected an array (one level per player, then a payoff vector), found a number", where()))
			}
			idx[depth] = s
			if err := walk(sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(f.Payoffs, 0); err != nil {
		return nil, err
	}
	g, err := game.NewNormal(f.Players, f.Strategies, pay)
	if err != nil {
		return nil, ferr([]string{"payoffs"}, 0, "%v", err)
	}
	return g, nil
}

func (f *File) tree() (*game.Tree, error) {
	t := f.Tree
	if len(t.Nodes) == 0 {
		return nil, ferr([]string{"tree"}, 0, "tree: no nodes")
	}
	player := map[string]int{}
	for i, p := range f.Players {
		player[p] = i
	}
	nodes := map[string]*game.Node{}
	index := map[string]int{}
	for k, nf := range t.Nodes {
		if nf.ID == "" {
			return nil, ferr([]string{"tree", "nodes"}, k, "tree.nodes[%d]: missing id", k)
		}
		if _, dup := nodes[nf.ID]; dup {
			return nil, ferr([]string{"tree", "nodes", "id"}, k, "tree.nodes[%d]: duplicate id %q", k, nf.ID)
		}
		nodes[nf.ID] = &game.Node{ID: nf.ID}
		index[nf.ID] = k
	}
	one := big.NewRat(1, 1)
	for k, nf := range t.Nodes {
		nd := nodes[nf.ID]
		path := []string{"tree", "nodes", "moves"}
		switch {
		case nf.Chance && nf.Player != "":
			return nil, ferr([]string{"tree", "nodes", "chance"}, k, "node %q: a node has either player or chance = true, not both", nf.ID)
		case nf.Chance:
			nd.Player = game.Chance
		default:
			i, ok := player[nf.Player]
			if !ok {
				return nil, ferr([]string{"tree", "nodes", "player"}, k, "node %q: player %q is not one of %q", nf.ID, nf.Player, f.Players)
			}
			nd.Player = i
		}
		if len(nf.Moves) == 0 {
			return nil, ferr([]string{"tree", "nodes", "id"}, k, "node %q: no moves", nf.ID)
		}
		for m, mv := range nf.Moves {
			if mv.Action == "" {
				return nil, ferr(path, k, "node %q: move %d has no action label", nf.ID, m+1)
			}
			nd.Actions = append(nd.Actions, mv.Action)
			switch {
			case mv.Next != "" && mv.Payoffs != nil:
				return nil, ferr(path, k, "node %q, move %q: give next or payoffs, not both", nf.ID, mv.Action)
			case mv.Next != "":
				child, ok := nodes[mv.Next]
				if !ok {
					return nil, ferr(path, k, "node %q, move %q: next = %q is not a node id", nf.ID, mv.Action, mv.Next)
				}
				nd.Children = append(nd.Children, child)
			case mv.Payoffs != nil:
				if len(mv.Payoffs) != len(f.Players) {
					return nil, ferr(path, k, "node %q, move %q: %d payoffs for %d players", nf.ID, mv.Action, len(mv.Payoffs), len(f.Players))
				}
				leaf := &game.Node{ID: nf.ID + "." + mv.Action}
				for _, x := range mv.Payoffs {
					leaf.Payoffs = append(leaf.Payoffs, x.R)
				}
				nd.Children = append(nd.Children, leaf)
			default:
				return nil, ferr(path, k, "node %q, move %q: needs next or payoffs", nf.ID, mv.Action)
			}
			if nf.Chance {
				if mv.Prob == nil {
					return nil, ferr(path, k, "node %q, move %q: chance moves need prob", nf.ID, mv.Action)
				}
				nd.Probs = append(nd.Probs, mv.Prob.R)
			} else if mv.Prob != nil {
				return nil, ferr(path, k, "node %q, move %q: prob is only for chance nodes", nf.ID, mv.Action)
			}
		}
		if nf.Chance {
			sum := new(big.Rat)
			for _, p := range nd.Probs {
				if p.Sign() < 0 {
					return nil, ferr(path, k, "node %q: negative probability %s", nf.ID, p.RatString())
				}
				sum.Add(sum, p)
			}
			if sum.Cmp(one) != 0 {
				return nil, ferr(path, k, "node %q: probabilities sum to %s, not 1", nf.ID, sum.RatString())
			}
		}
	}
	root := t.Nodes[0].ID
	if t.Root != "" {
		root = t.Root
	}
	r, ok := nodes[root]
	if !ok {
		return nil, ferr([]string{"tree", "root"}, 0, "tree.root: %q is not a node id", root)
	}
	tr, err := game.NewTree(f.Players, r)
	if err != nil {
		return nil, ferr([]string{"tree"}, 0, "tree: %v", err)
	}
	// Every listed node must be reachable from the root.
	reach := map[*game.Node]bool{}
	for _, nd := range tr.Nodes() {
		reach[nd] = true
	}
	for _, nf := range t.Nodes {
		if !reach[nodes[nf.ID]] {
			return nil, ferr([]string{"tree", "nodes", "id"}, index[nf.ID], "node %q is not reachable from the root %q", nf.ID, root)
		}
	}
	return tr, nil
}

func (f *File) allocation() (*game.Allocation, error) {
	a := f.Allocation
	path := []string{"allocation"}
	vals := make([][]*big.Rat, len(a.Values))
	for i, row := range a.Values {
		for _, x := range row {
			vals[i] = append(vals[i], x.R)
		}
	}
	var d []*big.Rat
	for _, x := range a.Disagreement {
		d = append(d, x.R)
	}
	if a.Disagreement != nil && len(d) == 0 {
		return nil, ferr(append(path, "disagreement"), 0, "allocation.disagreement: empty")
	}
	al, err := game.NewAllocation(f.Players, a.Items, a.Counts, vals, d)
	if err != nil {
		return nil, ferr(path, 0, "allocation: %v", err)
	}
	return al, nil
}

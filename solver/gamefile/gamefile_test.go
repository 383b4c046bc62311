package gamefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/nashd/nashd/solver/game"
)

const gamesDir = "../../configs/games"

func seedFiles(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	if len(files) == 0 {
		t.Fatalf("no game files in %s", gamesDir)
	}
	return files
}

func TestSeedSuiteParses(t *testing.T) {
	kinds := map[game.Kind]int{}
	for _, f := range seedFiles(t) {
		g, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if g.Description == "" || g.Name != strings.TrimSuffix(filepath.Base(f), ".toml") {
			t.Errorf("%s: name %q, description %q", f, g.Name, g.Description)
		}
		kinds[g.Kind()]++
	}
	// 5 simultaneous + 8 perturbed + 3 others; 5 sequential; 1 allocation example.
	if kinds[game.KindNormal] != 16 || kinds[game.KindTree] != 5 || kinds[game.KindAllocation] != 1 {
		t.Errorf("kinds = %v", kinds)
	}
}

func TestPayoffLayout(t *testing.T) {
	g, err := Load(filepath.Join(gamesDir, "prisoner_dilemma.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// Alice c2 (defect) vs Bob c1: [5, 0].
	k := g.Normal.Index([]int{1, 0})
	if g.Normal.Payoff(k, 0).Cmp(game.MustRat("5")) != 0 || g.Normal.Payoff(k, 1).Sign() != 0 {
		t.Errorf("payoffs at (c2,c1) = %v", g.Normal.Payoffs(k))
	}
	src := `players = ["A", "B", "C"]
strategies = [["x", "y"], ["p"], ["u", "v", "w"]]
payoffs = [
  [[[1, 2, 3], [4, 5, 6], ["1/3", 0.1, -2.5e1]]],
  [[[0, 0, 0], [0, 0, 0], [7, 8, 9]]],
]
`
	g, err = ParseTOML("three.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	k = g.Normal.Index([]int{0, 0, 2})
	want := game.Rats("1/3", "1/10", "-25")
	for i, w := range want {
		if g.Normal.Payoff(k, i).Cmp(w) != 0 {
			t.Errorf("payoff %d = %v, want %v", i, g.Normal.Payoff(k, i), w)
		}
	}
	if g.Normal.Payoff(g.Normal.Index([]int{1, 0, 2}), 2).Cmp(game.MustRat("9")) != 0 {
		t.Error("payoffs[1][0][2][2] misplaced")
	}
}

func TestParseErrors(t *testing.T) {
	const pd = "players = [\"A\", \"B\"]\nstrategies = [[\"x\", \"y\"], [\"x\", \"y\"]]\n"
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"syntax", "players = [\"A\"\n\nx = ", 3, ""},
		{"unknown key", pd + "payoffs = [[[1,1],[1,1]],[[1,1],[1,1]]]\ncolour = \"red\"\n", 4, `unknown key "colour"`},
		{"short row", pd + "payoffs = [\n  [[1,1],[1,1]],\n  [[1,1]],\n]\n", 5, "payoffs[1]: 1 entries, want 2"},
		{"short cell", pd + "payoffs = [\n  [[1,1],[1,1]], # row c1\n  [[1,1], \"1/2\",\n  [1]],\n]\n", 5, "payoffs[1]: 3 entries, want 2"},
		{"short cell 2", pd + "payoffs = [\n  [[1,1],\n   [1,1]],\n  [[1,1],\n   [1]],\n]\n", 7, "payoffs[1][1]: 1 payoffs for 2 players"},
		{"short vector", pd + "payoffs = [[[1,1],[1]],[[1,1],[1,1]]]\n", 3, "payoffs[0][1]: 1 payoffs for 2 players"},
		{"bad number", pd + "payoffs = [[[1,1],[1,\"x\"]],[[1,1],[1,1]]]\n", 3, "invalid number"},
		{"bool", pd + "payoffs = [[[1,1],[1,true]],[[1,1],[1,1]]]\n", 3, "a boolean"},
		{"dup strategy", "players = [\"A\", \"B\"]\nstrategies = [[\"x\", \"x\"], [\"y\"]]\npayoffs = [[[1,1]],[[1,1]]]\n", 2, "duplicate"},
		{"dup player", "players = [\"A\", \"A\"]\nstrategies = [[\"x\"], [\"y\"]]\npayoffs = [[[1,1]]]\n", 1, "duplicate player"},
		{"no kind", "players = [\"A\"]\n", 1, "exactly one of"},
		{"two kinds", pd + "payoffs = [[[1,1],[1,1]],[[1,1],[1,1]]]\n[allocation]\nitems = [\"a\"]\ncounts = [1]\nvalues = [[1],[1]]\n", 1, "exactly one of"},
		{"wrong type", "players = \"A\"\n", 1, "players"},
		{"tree player", "players = [\"A\", \"B\"]\n[tree]\n[[tree.nodes]]\nid = \"r\"\nplayer = \"C\"\nmoves = [{ action = \"a\", payoffs = [1, 2] }]\n", 5, `player "C"`},
		{"tree next", "players = [\"A\", \"B\"]\n[tree]\n[[tree.nodes]]\nid = \"r\"\nplayer = \"A\"\nmoves = [{ action = \"a\", next = \"q\" }]\n", 6, `next = "q"`},
		{"tree prob", "players = [\"A\"]\n[tree]\n[[tree.nodes]]\nid = \"r\"\nchance = true\nmoves = [{ action = \"a\", payoffs = [1], prob = \"1/2\" }, { action = \"b\", payoffs = [1], prob = 0.25 }]\n", 6, "sum to 3/4"},
		{"tree unreachable", "players = [\"A\"]\n[tree]\n[[tree.nodes]]\nid = \"r\"\nplayer = \"A\"\nmoves = [{ action = \"a\", payoffs = [1] }]\n[[tree.nodes]]\nid = \"s\"\nplayer = \"A\"\nmoves = [{ action = \"a\", payoffs = [1] }]\n", 8, "not reachable"},
		{"tree cycle", "players = [\"A\"]\n[tree]\n[[tree.nodes]]\nid = \"r\"\nplayer = \"A\"\nmoves = [{ action = \"a\", next = \"r\" }]\n", 2, "reached twice"},
		{"alloc shape", "players = [\"A\", \"B\"]\n[allocation]\nitems = [\"a\", \"b\"]\ncounts = [1, 1]\nvalues = [[1, 2], [3]]\n", 2, "has 1 values for 2 items"},
		{"move key", "players = [\"A\"]\n[tree]\n[[tree.nodes]]\nid = \"r\"\nplayer = \"A\"\nmoves = [{ action = \"a\", payoffs = [1], colour = 1 }]\n", 6, "unknown key"},
	}
	for _, tt := range tests {
		_, err := ParseTOML("g.toml", []byte(tt.src))
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want *Error", tt.name, err)
			continue
		}
		if fe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) || fe.File != "g.toml" {
			t.Errorf("%s: err = %q (line %d), want line %d containing %q", tt.name, err, fe.Line, tt.line, tt.msg)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error does not wrap ErrInvalid", tt.name)
		}
	}
}

// TestJSONMatchesTOML decodes every seed file as TOML into File, re-encodes it as JSON and
// checks that ParseJSON gives the same game.
func TestJSONMatchesTOML(t *testing.T) {
	for _, f := range seedFiles(t) {
		data, _ := os.ReadFile(f)
		var file File
		if _, err := toml.Decode(string(data), &file); err != nil {
			t.Fatal(err)
		}
		js, err := json.MarshalIndent(file, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseTOML(f, data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseJSON(f+".json", js)
		if err != nil {
			t.Fatalf("%s as JSON: %v\n%s", f, err, js)
		}
		if a.Name != b.Name || a.Kind() != b.Kind() || a.Description != b.Description {
			t.Errorf("%s: JSON game differs", f)
		}
		if a.Normal != nil {
			for k := 0; k < a.Normal.NumProfiles(); k++ {
				for i := 0; i < a.Normal.NumPlayers(); i++ {
					if a.Normal.Payoff(k, i).Cmp(b.Normal.Payoff(k, i)) != 0 {
						t.Errorf("%s: payoff differs at %d", f, k)
					}
				}
			}
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"syntax", "{\n\"players\": [\"A\",\n}", 3, "invalid character"},
		{"unknown", "{\n\"players\": [\"A\"],\n\"colour\": 1\n}", 3, "unknown field"},
		{"type", "{\n\"players\": [\"A\"],\n\"strategies\": 3\n}", 3, "strategies"},
		{"shape", "{\"players\": [\"A\", \"B\"],\n\"strategies\": [[\"x\"], [\"y\"]],\n\"payoffs\": [[[1]]]\n}", 3, "1 payoffs for 2 players"},
		{"exact", "{\"players\": [\"A\"], \"strategies\": [[\"x\"]], \"payoffs\": [[1e99999]]}", 1, "exponent"},
		{"trailing", "{\"players\": [\"A\"], \"strategies\": [[\"x\"]], \"payoffs\": [[1]]} {}", 1, "after the game"},
	}
	for _, tt := range tests {
		_, err := ParseJSON("g.json", []byte(tt.src))
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want *Error", tt.name, err)
			continue
		}
		if fe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %q (line %d), want line %d containing %q", tt.name, err, fe.Line, tt.line, tt.msg)
		}
	}
	// JSON numbers are exact: 0.1 stays 1/10 and long decimals keep every digit.
	g, err := ParseJSON("g.json", []byte(`{"players": ["A"], "strategies": [["x", "y"]], "payoffs": [[0.1], ["0.12345678901234567890123"]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.Normal.Payoff(0, 0).Cmp(game.MustRat("1/10")) != 0 || g.Normal.Payoff(1, 0).Cmp(game.MustRat("0.12345678901234567890123")) != 0 {
		t.Errorf("JSON numbers not exact: %v %v", g.Normal.Payoff(0, 0), g.Normal.Payoff(1, 0))
	}
}

func FuzzParseTOML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("players = [\"A\"]\nstrategies = [[\"x\"]]\npayoffs = [[1]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseTOML("fuzz.toml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if g.Kind() == 0 {
			t.Fatal("game without a kind")
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	for _, file := range files {
		data, _ := os.ReadFile(file)
		var fl File
		if _, err := toml.Decode(string(data), &fl); err == nil {
			if js, err := json.Marshal(fl); err == nil {
				f.Add(js)
			}
		}
	}
	f.Add([]byte(`{"players": ["A"], "strategies": [["x"]], "payoffs": [["1/2"]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseJSON("fuzz.json", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if g.Kind() == 0 {
			t.Fatal("game without a kind")
		}
	})
}

// TestEncodeRoundTrip writes every seed game and every Gambit game as TOML and JSON and reads
// them back unchanged.
func TestEncodeRoundTrip(t *testing.T) {
	files := seedFiles(t)
	nfgs, err := filepath.Glob("../testdata/gambit/*.nfg")
	if err != nil || len(nfgs) == 0 {
		t.Fatalf("no .nfg files under ../testdata/gambit (%v)", err)
	}
	files = append(files, nfgs...)
	files = append(files, "../testdata/chance.toml")
	for _, f := range files {
		g, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if g.Normal != nil && (game.UniqueNames("", g.Normal.Players()) != nil || hasDupStrategies(g.Normal)) {
			continue // Gambit allows repeated names; the TOML schema does not
		}
		tm, err := EncodeTOML(g)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		js, err := EncodeJSON(g)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, h := range []struct {
			name string
			data []byte
			p    func(string, []byte) (*game.Game, error)
		}{{"toml", tm, ParseTOML}, {"json", js, ParseJSON}} {
			back, err := h.p(f+"."+h.name, h.data)
			if err != nil {
				t.Fatalf("%s as %s: %v\n%s", f, h.name, err, h.data)
			}
			a, _ := EncodeJSON(g)
			b, _ := EncodeJSON(back)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: %s round trip changed the game", f, h.name)
			}
		}
	}
}

func hasDupStrategies(g *game.Normal) bool {
	for i := 0; i < g.NumPlayers(); i++ {
		if game.UniqueNames("", g.Strategies(i)) != nil {
			return true
		}
	}
	return false
}

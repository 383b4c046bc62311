package nfg

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/solver/game"
)

// gambitDir is the Gambit project's suite of .nfg files (see its README.md).
const gambitDir = "../testdata/gambit"

func gambitFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(gambitDir, "*.nfg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .nfg files under %s (%v)", gambitDir, err)
	}
	return files
}

func TestReadGambitSuite(t *testing.T) {
	files := gambitFiles(t)
	if len(files) != 60 {
		t.Errorf("found %d gambit files, want 60", len(files))
	}
	twoPlayer := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Read(f, data)
		if err != nil {
			t.Errorf("Read(%s): %v", filepath.Base(f), err)
			continue
		}
		if g.Normal.NumPlayers() == 2 {
			twoPlayer++
		}
	}
	// The data README: 44 two-player games, 16 with three or more players.
	if twoPlayer != 44 {
		t.Errorf("%d two-player games, want 44", twoPlayer)
	}
}

func TestReadKnownFiles(t *testing.T) {
	tests := []struct {
		file    string
		shape   []int
		profile []int
		want    []string // payoffs at profile
	}{
		{"contrib_2x2.nfg", []int{2, 2}, []int{1, 0}, []string{"0", "1"}},
		{"contrib_perfect1.nfg", []int{3, 3}, []int{1, 0}, []string{"3/2", "1"}},         // profile 2 uses outcome 4, "21"
		{"contrib_e04.nfg", []int{3, 2}, []int{1, 0}, []string{"-1", "2"}},               // decimals, counts
		{"contrib_cent2.nfg", []int{3, 3}, []int{0, 0}, []string{"811/1000", "137/500"}}, // outcomes without commas
		{"contrib_coord2.nfg", []int{2, 2}, []int{1, 1}, []string{"2", "2"}},
		{"tests_coordination_4x4_outcome.nfg", []int{4, 4}, []int{1, 1}, []string{"1", "1"}},
		{"tests_coordination_4x4_outcome.nfg", []int{4, 4}, []int{1, 0}, []string{"0", "0"}},
		{"contrib_5x4x3.nfg", []int{5, 4, 3}, []int{0, 0, 0}, []string{"1131/1000", "121/100", "1213/500"}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join(gambitDir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		g, err := Read(tt.file, data)
		if err != nil {
			t.Fatalf("Read(%s): %v", tt.file, err)
		}
		if got := g.Normal.Shape(); !equalInts(got, tt.shape) {
			t.Errorf("%s: shape %v, want %v", tt.file, got, tt.shape)
		}
		k := g.Normal.Index(tt.profile)
		for i, w := range tt.want {
			if got := g.Normal.Payoff(k, i).RatString(); got != w {
				t.Errorf("%s: payoff of player %d at %v = %s, want %s", tt.file, i+1, tt.profile, got, w)
			}
		}
	}
}

func equalInts(a, b []int) bool {
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

func sameGame(a, b *game.Normal) bool {
	if !equalInts(a.Shape(), b.Shape()) {
		return false
	}
	for i := 0; i < a.NumPlayers(); i++ {
		if a.Players()[i] != b.Players()[i] {
			return false
		}
		for j, s := range a.Strategies(i) {
			if b.Strategies(i)[j] != s {
				return false
			}
		}
	}
	for k := 0; k < a.NumProfiles(); k++ {
		for i := 0; i < a.NumPlayers(); i++ {
			if a.Payoff(k, i).Cmp(b.Payoff(k, i)) != 0 {
				return false
			}
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	for _, f := range gambitFiles(t) {
		data, _ := os.ReadFile(f)
		g, err := Read(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []Version{PayoffVersion, OutcomeVersion} {
			var buf bytes.Buffer
			if err := Write(&buf, g.Name, g.Description, g.Normal, v); err != nil {
				t.Fatal(err)
			}
			h, err := Read("roundtrip", buf.Bytes())
			if err != nil {
				t.Fatalf("%s version %d: re-read: %v\n%s", filepath.Base(f), v, err, buf.String())
			}
			if !sameGame(g.Normal, h.Normal) || h.Name != g.Name || h.Description != g.Description {
				t.Errorf("%s version %d: round trip changed the game", filepath.Base(f), v)
			}
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"empty", "", 1, "expected NFG header"},
		{"version", `NFG 2 R "" { "a" } { 1 }`, 1, "unsupported format version"},
		{"type", `NFG 1 X "" { "a" } { 1 }`, 1, "number type"},
		{"noplayers", `NFG 1 R "" { } { }`, 1, "no players"},
		{"short", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 2 2 }\n1 2 3 4\n5 6", 4, "end of file"},
		{"badnum", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 1 1 }\n1 x", 3, "payoff of player 2"},
		{"zeroden", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 1 1 }\n1 2/0", 3, "denominator"},
		{"trailing", "NFG 1 R \"\" { \"a\" }\n{ 1 }\n1\n2", 4, "after the last profile"},
		{"outcome range", "NFG 1 R \"\" { \"a\" }\n{ 2 }\n{ { \"\" 1 } }\n1\n2", 5, "not in 0..1"},
		{"outcome short", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 1 1 }\n{ { \"\" 1 } }\n1", 3, "payoff of player 2 in outcome 1"},
		{"strategies", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 2 }\n1 2", 2, "1 strategy lists for 2 players"},
		{"count", "NFG 1 R \"\" { \"a\" }\n{ -2 }", 2, "positive integer"},
		{"huge", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 100000 100000 }", 2, "pure profiles"},
		{"unterminated", "NFG 1 R \"abc", 1, "unterminated string"},
		{"exponent", "NFG 1 R \"\" { \"a\" }\n{ 1 }\n1e999999", 3, "exponent"},
	}
	for _, tt := range tests {
		_, err := Read("x.nfg", []byte(tt.src))
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want *Error", tt.name, err)
			continue
		}
		if fe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "x.nfg:") {
			t.Errorf("%s: err = %q (line %d), want line %d containing %q", tt.name, err, fe.Line, tt.line, tt.msg)
		}
	}
}

func TestWriteLRS(t *testing.T) {
	g, err := game.NewBimatrix(
		[][]*big.Rat{game.Rats("1", "1/2", "0"), game.Rats("-3", "2", "7")},
		[][]*big.Rat{game.Rats("0", "1", "2"), game.Rats("3", "4", "5")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteLRS(&buf, g); err != nil {
		t.Fatal(err)
	}
	want := "2 3\n\n1 1/2 0\n-3 2 7\n\n0 1 2\n3 4 5\n\n"
	if buf.String() != want {
		t.Errorf("WriteLRS = %q, want %q", buf.String(), want)
	}
}

func FuzzReadNFG(f *testing.F) {
	for _, file := range gambitFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`NFG 1 R "t" { "a" "b" } { 2 2 } 1 2 3 4 5 6 7 8`))
	f.Add([]byte(`NFG 1 R "t" { "a\"" } { { "x" "y" } } "" { { "o" 1/2 } } 1 0`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Read("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, g.Name, g.Description, g.Normal, PayoffVersion); err != nil {
			t.Fatal(err)
		}
		h, err := Read("again", buf.Bytes())
		if err != nil {
			t.Fatalf("re-read of written game: %v", err)
		}
		if !sameGame(g.Normal, h.Normal) {
			t.Fatal("round trip changed the game")
		}
	})
}

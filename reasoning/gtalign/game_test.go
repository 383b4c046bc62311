package gtalign

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// game3x4 is a bigger game: three user types, four strategies, payoffs in [0, 10].
func game3x4() *Game {
	return &Game{
		UserTypes: []UserType{
			{ID: "N", Name: "novice", Description: "New to the topic; needs background."},
			{ID: "E", Name: "expert", Description: "Knows the field; wants precision."},
			{ID: "U", Name: "unclear", Description: "The goal itself is not stated."},
		},
		Strategies: []Strategy{
			{ID: "A", Name: "answer", Form: FormAnswer, Description: "Answer directly."},
			{ID: "Q", Name: "question", Form: FormQuestion, Description: "Ask one question."},
			{ID: "AQ", Name: "answer and question", Form: FormAnswerQuestion, Description: "Answer briefly, then ask."},
			{ID: "R", Name: "refer", Form: FormAnswer, Description: "Point to a source instead of answering."},
		},
		Payoff: Range{Min: 0, Max: 10},
		Limits: Limits{ThinkingChars: 300, ResponseChars: 500, QuestionChars: 120},
	}
}

func TestDefaultMatchesConfigFile(t *testing.T) {
	g, err := LoadGame(filepath.Join("..", "..", "configs", "gtalign.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(g, want) {
		t.Errorf("configs/gtalign.toml = %+v\nDefault() = %+v", g, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	if got := strings.Join(Default().Keys(), " "); got != "DQ_DA DQ_CQ DQ_AQ VQ_DA VQ_CQ VQ_AQ" {
		t.Errorf("Keys() = %s", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Game)
		field string // "" = valid
	}{
		{"default", func(*Game) {}, ""},
		{"zero limits take defaults", func(g *Game) { g.Limits = Limits{} }, ""},
		{"no strategies", func(g *Game) { g.Strategies = nil }, "strategies: no strategies"},
		{"no user types", func(g *Game) { g.UserTypes = nil }, "user_types: no user types"},
		{"duplicate strategy", func(g *Game) { g.Strategies[2].ID = "DA" }, "strategies[2].id: duplicate id \"DA\""},
		{"duplicate user type", func(g *Game) { g.UserTypes[1].ID = "DQ" }, "user_types[1].id: duplicate"},
		{"type and strategy share an id", func(g *Game) { g.UserTypes[0].ID = "DA" }, ""},
		{"underscore in id", func(g *Game) { g.Strategies[0].ID = "D_A" }, "strategies[0].id"},
		{"id starts with a digit", func(g *Game) { g.UserTypes[0].ID = "1Q" }, "user_types[0].id"},
		{"empty id", func(g *Game) { g.Strategies[1].ID = "" }, "strategies[1].id"},
		{"long id", func(g *Game) { g.Strategies[1].ID = strings.Repeat("A", 17) }, "strategies[1].id"},
		{"empty description", func(g *Game) { g.Strategies[1].Description = "" }, "strategies[1].description: empty"},
		{"empty name", func(g *Game) { g.UserTypes[0].Name = "" }, "user_types[0].name: empty"},
		{"tag in description", func(g *Game) { g.UserTypes[0].Description = "see </thinking>" }, "user_types[0].description"},
		{"control character", func(g *Game) { g.Strategies[0].Name = "a\x00b" }, "strategies[0].name"},
		{"bad form", func(g *Game) { g.Strategies[0].Form = "essay" }, "strategies[0].form"},
		{"empty form", func(g *Game) { g.Strategies[0].Form = "" }, "strategies[0].form"},
		{"empty range", func(g *Game) { g.Payoff = Range{3, 3} }, "payoff: min 3 is not below max 3"},
		{"reversed range", func(g *Game) { g.Payoff = Range{5, -5} }, "payoff"},
		{"huge range", func(g *Game) { g.Payoff.Max = 2_000_000 }, "payoff.max"},
		{"huge negative range", func(g *Game) { g.Payoff.Min = -2_000_000 }, "payoff.min"},
		{"negative limit", func(g *Game) { g.Limits.ThinkingChars = -1 }, "limits.thinking_chars"},
		{"limit over llama.cpp's repetition bound", func(g *Game) { g.Limits.ResponseChars = 2001 }, "limits.response_chars"},
		{"too many cells", func(g *Game) {
			for i := range 30 {
				g.Strategies = append(g.Strategies, Strategy{ID: "S" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Name: "n", Description: "d", Form: FormAnswer})
			}
		}, "strategies: 2 user types × 33 strategies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Default()
			tt.edit(g)
			err := g.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidGame) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Validate() = %v, want ErrInvalidGame naming %q", err, tt.field)
			}
		})
	}
}

func TestDecodeGame(t *testing.T) {
	const good = `
[[user_types]]
id = "N"
name = "novice"
description = "new"

[[strategies]]
id = "A"
name = "answer"
description = "answer it"
form = "answer"

[[strategies]]
id = "Q"
name = "question"
description = "ask"
form = "question"
`
	g, err := DecodeGame("g.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if g.Payoff != (Range{-5, 5}) || g.Limits != DefaultLimits || len(g.Keys()) != 2 {
		t.Errorf("defaults not applied: %+v", g)
	}
	g, err = DecodeGame("g.toml", []byte(good+"[payoff]\nmin = 0\nmax = 3\n[limits]\nthinking_chars = 50\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Payoff != (Range{0, 3}) || g.Limits.ThinkingChars != 50 || g.Limits.ResponseChars != DefaultLimits.ResponseChars {
		t.Errorf("explicit values: %+v", g)
	}

	tests := []struct {
		name, text, want string
	}{
		{"unknown top-level key", "colour = \"red\"\n" + good, "g.toml:1: unknown key colour"},
		{"key after an array table belongs to it", good + "colour = \"red\"\n", "g.toml:18: unknown key strategies.colour"},
		{"unknown key in a strategy", strings.Replace(good, `form = "question"`, "form = \"question\"\ncost = 3", 1), "g.toml:18: unknown key strategies.cost"},
		{"unknown table", good + "[extra]\nx = 1\n", "g.toml:18: unknown key extra"},
		{"type error", good + "[payoff]\nmin = \"low\"\n", "g.toml:19"},
		{"syntax error", good + "[payoff\n", "g.toml:19"},
		{"invalid game", strings.Replace(good, `id = "Q"`, `id = "A"`, 1), "g.toml: gtalign: invalid game: strategies[1].id: duplicate id \"A\""},
		{"only max given", good + "[payoff]\nmax = -6\n", "payoff: min -5 is not below max -6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeGame("g.toml", []byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DecodeGame() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := LoadGame(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("LoadGame(missing file) = nil error")
	}
}

func TestSplitKey(t *testing.T) {
	for _, tt := range []struct {
		key, u, s string
		ok        bool
	}{{"DQ_DA", "DQ", "DA", true}, {"_DA", "", "DA", false}, {"DQ_", "DQ", "", false}, {"DQDA", "", "", false}} {
		u, s, ok := SplitKey(tt.key)
		if u != tt.u || s != tt.s || ok != tt.ok {
			t.Errorf("SplitKey(%q) = %q, %q, %v; want %q, %q, %v", tt.key, u, s, ok, tt.u, tt.s, tt.ok)
		}
	}
}

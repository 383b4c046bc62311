package agents

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/reasoning/internal/gbnfmatch"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const gamesDir = "../../configs/games"

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

// grammarScript answers each request with a random string of its grammar, as a
// grammar-constrained model would: the fake generator does not enforce grammars, so this is
// the stand-in for a model under nashd's grammars.
func grammarScript(t testing.TB, seed uint64) fakegen.Script {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 7))
	cache := map[string]*gbnfmatch.Matcher{}
	return func(req inference.Request) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if req.Grammar == "" {
			t.Errorf("request without a grammar: %q", req.Prompt)
			return "", nil
		}
		m, ok := cache[req.Grammar]
		if !ok {
			var err error
			if m, err = gbnfmatch.New(req.Grammar); err != nil {
				t.Fatalf("grammar: %v\n%s", err, req.Grammar)
			}
			cache[req.Grammar] = m
		}
		s, err := m.Sample(rng, 0.5, 10000)
		if err != nil {
			t.Fatalf("sample: %v", err)
		}
		return s, nil
	}
}

// shippedGames loads configs/games, by name.
func shippedGames(t testing.TB) map[string]*game.Game {
	files, err := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no games in %s: %v", gamesDir, err)
	}
	out := map[string]*game.Game{}
	for _, f := range files {
		g, err := gamefile.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".toml")] = g
	}
	return out
}

func loadGame(t testing.TB, name string) *game.Game {
	g, err := gamefile.Load(filepath.Join(gamesDir, name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

package solver

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/nashd/nashd/solver/gamefile"
)

// FuzzSolve decodes a game from JSON (the daemon's input path) and runs every method on it:
// no input may panic, and every exact equilibrium reported must verify.
func FuzzSolve(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	for _, file := range files {
		g, err := gamefile.Load(file)
		if err != nil {
			continue
		}
		if js, err := gamefile.EncodeJSON(g); err == nil {
			f.Add(js)
		}
	}
	f.Add([]byte(`{"players":["A","B","C"],"strategies":[["x","y"],["u"],["p","q"]],"payoffs":[[[[1,2,3],[0,0,"1/2"]]],[[[2,2,2],[1,1,1]]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := gamefile.ParseJSON("fuzz.json", data)
		if err != nil {
			return
		}
		if g.Normal != nil && g.Normal.NumProfiles() > 64 {
			return
		}
		if g.Tree != nil && len(g.Tree.Nodes()) > 64 {
			return
		}
		for _, m := range Methods {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			r, err := Solve(ctx, g, m)
			cancel()
			if err != nil {
				continue
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("%s: marshal: %v", m, err)
			}
			if g.Normal != nil {
				checkExact(t, m, g.Normal, r)
			}
		}
	})
}

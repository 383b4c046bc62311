package dond

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/models"
)

// tinyModel generates the tiny random-weight model once per test binary.
var tinyModel = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dond-test-")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "tiny.gguf")
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		return "", err
	}
	return p, models.Generate(p, spec)
})

func TestMain(m *testing.M) {
	code := m.Run()
	if p, err := tinyModel(); err == nil && p != "" {
		os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

// A full game per pairing on the real engine with a tiny random-weight model: the grammars
// alone keep every answer legal, and the verdict equals the replay by hand. Messages are
// short to keep the test quick; nothing is tuned to the model.
func TestEngineGames(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	path, err := tinyModel()
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(path, engine.Options{ContextSize: 4096, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for k, kinds := range [][2]Kind{{Workflow, Workflow}, {Workflow, Raw}, {Raw, Raw}} {
		t.Run(fmt.Sprintf("%s-%s", kinds[0], kinds[1]), func(t *testing.T) {
			s := sampleLine(t, 1+k)
			ag := [2]Agent{
				{Gen: e, Kind: kinds[0], Sampling: inference.Sampling{Temperature: 1, Seed: uint32(k + 1)}},
				{Gen: e, Kind: kinds[1], Sampling: inference.Sampling{Temperature: 1, Seed: uint32(k + 101)}},
			}
			t0 := time.Now()
			res, err := Play(context.Background(), s, ag, &Options{Rounds: 4, MessageChars: 8})
			if err != nil {
				t.Fatal(err)
			}
			if res.Forfeit != nil {
				t.Fatalf("forfeit under a grammar: %+v", res.Forfeit)
			}
			checkVerdict(t, s, res)
			st := res.Stats
			t.Logf("agreement %v after %d turns; %d generations, %d prompt tokens (%d cached), %d generated; model %.0f of %.0f ms (outside %.1f%%); wall %v",
				res.Verdict.Agreement, res.Turns, st.Generations, st.PromptTokens, st.CacheN, st.GeneratedTokens, st.ModelMS, st.TotalMS, 100*st.OutsideShare, time.Since(t0).Round(time.Millisecond))
		})
	}
}

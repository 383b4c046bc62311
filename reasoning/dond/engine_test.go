package dond

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/enginetest"
)

func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

// A full game per pairing on the real engine with a tiny random-weight model: the grammars
// alone keep every answer legal, and the verdict equals the replay by hand. Messages are
// short to keep the test quick; nothing is tuned to the model.
func TestEngineGames(t *testing.T) {
	e := enginetest.OpenTiny(t, engine.Options{})
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

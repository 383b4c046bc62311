package agents

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/enginetest"
	"github.com/nashd/nashd/solver/game"
)

func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

// openTiny opens the tiny model on one thread.
func openTiny(t *testing.T) inference.Generator { return enginetest.OpenTiny(t, engine.Options{}) }

// The real engine with a tiny random-weight model: its grammar-constrained answers are
// always legal, the games end, and the verdicts equal the computation by hand. Text lengths
// are small to keep the test short; nothing is tuned to the model.
func TestEngineGames(t *testing.T) {
	gen := openTiny(t)
	counts := map[string]int{}
	for k, tt := range []struct {
		game   string
		modes  [2]Mode
		rounds int
	}{
		{"prisoner_dilemma", [2]Mode{Verified, Prompted}, 1},
		{"duopolistic_competition", [2]Mode{Raw, Verified}, 0},
		{"escalation", [2]Mode{Prompted, Raw}, 0},
		{"trigame", [2]Mode{Verified, Prompted}, 0},
	} {
		t.Run(fmt.Sprintf("%s/%s-%s", tt.game, tt.modes[0], tt.modes[1]), func(t *testing.T) {
			g := loadGame(t, tt.game)
			agents := [2]Agent{
				{Gen: gen, Mode: tt.modes[0], Sampling: inference.Sampling{Temperature: 1, Seed: uint32(10 * k)}},
				{Gen: gen, Mode: tt.modes[1], Sampling: inference.Sampling{Temperature: 1, Seed: uint32(10*k + 5)}},
			}
			t0 := time.Now()
			res, err := Play(context.Background(), g, agents, &Options{Rounds: tt.rounds, MessageChars: 8, ReasonChars: 8})
			if err != nil {
				t.Fatal(err)
			}
			if res.Forfeit != nil {
				t.Fatalf("forfeit under a grammar: %+v", res.Forfeit)
			}
			var acted []string
			for _, e := range res.Transcript {
				if e.Phase == PhaseAction {
					acted = append(acted, e.Action)
				}
			}
			if g.Kind() == game.KindNormal {
				checkNormal(t, g.Normal, res, acted, counts)
			} else {
				checkTree(t, g.Tree, res, acted, counts)
			}
			s := res.Stats
			t.Logf("%d turns, %d generations, %d prompt tokens (%d cached), %d generated, model %.0f ms of %.0f ms (outside %.1f%%), wall %v",
				s.Turns, s.Generations, s.PromptTokens, s.CacheN, s.GeneratedTokens, s.ModelMS, s.TotalMS, 100*s.OutsideShare, time.Since(t0).Round(time.Millisecond))
		})
	}
}

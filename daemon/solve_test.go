package daemon_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/solver/gamefile"
)

func TestGamesSolve(t *testing.T) {
	// No model configured: the solver must work anyway.
	h := startDaemon(t, map[string]string{"models.toml": "", "games/prisoner_dilemma.toml": seedGame(t, "prisoner_dilemma")})
	if st := h.status(); st.Model.State != "none" {
		t.Fatalf("model state %q, want none", st.Model.State)
	}
	type report struct {
		Report struct {
			Players    []string
			Complete   bool
			Equilibria []struct {
				Profile [][]string
				Payoffs []string
			}
		}
		Nashd struct {
			GameFile    string `json:"game_file"`
			GameVersion string `json:"game_version"`
		}
	}
	check := func(name string, body string) {
		t.Run(name, func(t *testing.T) {
			code, _, b := h.do("POST", "/v1/games/solve", []byte(body))
			if code != 200 {
				t.Fatalf("%d %s", code, b)
			}
			var r report
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			eq := r.Report.Equilibria
			// Defection (c2) strictly dominates: the unique equilibrium is (c2, c2) paying 1 each.
			if !r.Report.Complete || len(eq) != 1 || strings.Join(eq[0].Profile[0], ",") != "0,1" || strings.Join(eq[0].Profile[1], ",") != "0,1" ||
				strings.Join(eq[0].Payoffs, ",") != "1,1" {
				t.Errorf("prisoner's dilemma solved as %s", b)
			}
		})
	}
	check("named game", `{"game":"prisoner_dilemma"}`)
	check("inline game", `{"game":{"name":"pd","players":["A","B"],"strategies":[["c","d"],["c","d"]],"payoffs":[[[3,3],[0,5]],[[5,0],[1,1]]]},"method":"all"}`)

	// include_game: the answer carries the solved game, which parses back to the configured one.
	code, _, b := h.do("POST", "/v1/games/solve", []byte(`{"game":"prisoner_dilemma","include_game":true}`))
	var withGame api.SolveResponse
	if code != 200 || json.Unmarshal(b, &withGame) != nil || withGame.Game == nil {
		t.Fatalf("include_game: %d %s", code, b)
	}
	if g, err := gamefile.ParseJSON("game", withGame.Game); err != nil || g.Normal == nil || strings.Join(g.Normal.Strategies(0), ",") != "c1,c2" {
		t.Errorf("include_game: the answer's game %s parses as %+v, %v", withGame.Game, g, err)
	}
	var top map[string]json.RawMessage
	if code, _, b = h.do("POST", "/v1/games/solve", []byte(`{"game":"prisoner_dilemma"}`)); json.Unmarshal(b, &top) != nil || top["game"] != nil {
		t.Errorf("the answer carries the game without include_game: %s", b)
	}

	code, _, b = h.do("POST", "/v1/games/solve", []byte(`{"game":"prisoner_dilemma","method":"magic"}`))
	if code != 400 || !strings.Contains(string(b), `"param":"method"`) || !strings.Contains(string(b), `"code":"method_not_applicable"`) {
		t.Errorf("bad method: %d %s", code, b)
	}
	code, _, b = h.do("POST", "/v1/games/solve", []byte(`{"game":"prisoner_dilemma","method":"zerosum"}`))
	if code != 422 || !strings.Contains(string(b), `"code":"unsolvable"`) {
		t.Errorf("zerosum on a general-sum game: %d %s", code, b)
	}
	code, _, b = h.do("POST", "/v1/games/solve", []byte(`{"game":{"players":["A"],"bogus":1}}`))
	if code != 400 || !strings.Contains(string(b), "bogus") {
		t.Errorf("bad inline game: %d %s", code, b)
	}
	// Chat without a model: 503 naming the cause.
	code, hdr, b := h.do("POST", "/v1/chat/completions", h.chatBody(""))
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(string(b), "no model") {
		t.Errorf("chat without a model: %d %s", code, b)
	}
	// A game file with an error keeps the old config and names file and line.
	writeFile(t, filepath.Join(h.dir, "games", "prisoner_dilemma.toml"), seedGame(t, "prisoner_dilemma")+"\nextra = 1\n")
	h.waitFor("game error", reloadDeadline, func(s api.StatusResponse) bool {
		return strings.Contains(s.Config.Errors["games/prisoner_dilemma.toml"], "unknown key \"extra\"")
	})
	check("old game kept", `{"game":"prisoner_dilemma"}`)
}

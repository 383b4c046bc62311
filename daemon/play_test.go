package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/dond"
	"github.com/nashd/nashd/solver/game"
)

// The agents' prompts need a larger context than testNashd's 256 tokens.
const playNashd = `
[server]
request_timeout = "120s"
shutdown_timeout = "20s"
[inference]
threads = 1
context_size = 4096
slots = 2
queue_size = 32
[log]
level = "warn"
`

const gamesDir = "../configs/games"

// startPlayDaemon serves the tiny model with three shipped games configured.
func startPlayDaemon(t *testing.T) *harness {
	t.Helper()
	files := map[string]string{"nashd.toml": playNashd}
	for _, name := range []string{"prisoner_dilemma", "escalation", "deal_or_no_deal_example"} {
		b, err := os.ReadFile(filepath.Join(gamesDir, name+".toml"))
		if err != nil {
			t.Fatal(err)
		}
		files["games/"+name+".toml"] = string(b)
	}
	return startDaemon(t, files)
}

// playStream posts body with stream set and returns the events before the result, the
// result, and every data line in order.
func (h *harness) playStream(body string) ([]agents.Event, *api.PlayResult, []string) {
	h.t.Helper()
	code, hdr, b := h.do("POST", "/v1/games/play", []byte(body))
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
		h.t.Fatalf("%s: %d %s %s", body, code, hdr.Get("Content-Type"), b)
	}
	var events []agents.Event
	var res *api.PlayResult
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(l, "data: ")
		if !ok {
			continue
		}
		lines = append(lines, data)
		if data == "[DONE]" {
			continue
		}
		ev, r, ae, err := api.DecodePlayEvent([]byte(data))
		switch {
		case err != nil:
			h.t.Fatalf("%s: %v", data, err)
		case ae != nil:
			h.t.Fatalf("error event: %+v", ae)
		case r != nil:
			res = r
		case res != nil:
			h.t.Fatalf("event after the result: %s", data)
		default:
			events = append(events, *ev)
		}
	}
	return events, res, lines
}

func loadGame(t *testing.T, name string) *game.Game {
	t.Helper()
	g, err := agents.FindGame(gamesDir, name)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// jsonEqual compares two values by their JSON.
func jsonEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	a, err1 := json.Marshal(got)
	b, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v %v", what, err1, err2)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s:\n got %s\nwant %s", what, a, b)
	}
}

// A normal-form game, a tree and Deal or No Deal lines (the shipped sample, inline text, a
// configured allocation game) end with the solver's verdict on the same actions, computed
// here with the library's judges; streamed games send every event, then the result, then
// [DONE].
func TestPlayVerdicts(t *testing.T) {
	h := startPlayDaemon(t)
	sample, err := os.ReadFile("../reasoning/dond/data/sampled_50_deal_no_deal.txt")
	if err != nil {
		t.Fatal(err)
	}
	line7 := strings.Split(string(sample), "\n")[6]
	lineJSON, _ := json.Marshal(line7)
	for _, tt := range []struct {
		name, body string
		stream     bool
	}{
		{"normal", `{"game":"prisoner_dilemma","rounds":1,"alice_mode":"verified","bob_mode":"prompted","message_chars":8,"reason_chars":8,"seed":2}`, false},
		{"normal-stream", `{"game":"prisoner_dilemma","rounds":1,"mode":"raw","message_chars":8,"reason_chars":-1,"seed":3,"temperature":0}`, true},
		{"tree", `{"game":"escalation","mode":"prompted","reason_chars":8,"seed":2}`, true},
		{"dond-sample", `{"game":"dond","line":3,"alice":"workflow","rounds":2,"message_chars":8}`, true},
		{"dond-inline", `{"game":"dond","line_text":` + string(lineJSON) + `,"line":7,"bob":"workflow","rounds":2,"message_chars":8}`, false},
		{"allocation", `{"game":"deal_or_no_deal_example","bob":"workflow","rounds":1,"message_chars":8}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			var res *api.PlayResult
			var events []agents.Event
			if tt.stream {
				var lines []string
				events, res, lines = h.playStream(strings.TrimSuffix(tt.body, "}") + `,"stream":true}`)
				if res == nil || len(lines) < 3 || lines[len(lines)-1] != "[DONE]" {
					t.Fatalf("stream: %d lines, result %v; last %q", len(lines), res != nil, lines[len(lines)-1])
				}
				jsonEqual(t, "streamed events", events, res.Transcript())
			} else {
				code, _, b := h.do("POST", "/v1/games/play", []byte(tt.body))
				if code != 200 {
					t.Fatalf("%d %s", code, b)
				}
				res = new(api.PlayResult)
				if err := json.Unmarshal(b, res); err != nil {
					t.Fatal(err)
				}
			}
			tr := res.Transcript()
			if len(tr) == 0 || tr[len(tr)-1].Phase != agents.PhaseVerdict {
				t.Fatalf("transcript does not end with the verdict: %+v", tr)
			}
			switch {
			case res.Game != nil && res.Game.Forfeit != nil:
				t.Fatalf("forfeit with grammars: %+v", res.Game.Forfeit)
			case res.Game != nil && res.Game.Kind == game.KindNormal:
				g := loadGame(t, "prisoner_dilemma").Normal
				var profile [2]int
				for i, a := range res.Game.Normal.Actions {
					if profile[i] = slices.Index(g.Strategies(i), a); profile[i] < 0 {
						t.Fatalf("illegal action %q", a)
					}
				}
				want, err := agents.JudgeNormal(g, profile)
				if err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, "normal verdict", res.Game.Normal, want)
			case res.Game != nil && res.Game.Kind == game.KindTree:
				tree := loadGame(t, "escalation").Tree
				var moves []int
				n := tree.Root
				for _, st := range res.Game.Tree.Path {
					k := slices.Index(n.Actions, st.Action)
					if n.ID != st.Node || k < 0 {
						t.Fatalf("step %+v at node %s %v", st, n.ID, n.Actions)
					}
					moves = append(moves, k)
					n = n.Children[k]
				}
				if !n.Terminal() {
					t.Fatalf("path ends at %s, not a terminal node", n.ID)
				}
				want, err := agents.JudgeTree(tree, moves)
				if err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, "tree verdict", res.Game.Tree, want)
			case res.Dond != nil:
				r := res.Dond
				var setup *dond.Setup
				switch tt.name {
				case "dond-sample":
					setup, err = dond.ReadLine(bytes.NewReader(sample), 3)
				case "dond-inline":
					setup, err = dond.ParseLine(line7)
					if r.Setup.Line != 7 {
						t.Errorf("line %d, want 7", r.Setup.Line)
					}
				default:
					setup, err = dond.FromAllocation(loadGame(t, "deal_or_no_deal_example").Allocation)
				}
				if err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, "setup values", r.Setup.Values, setup.Values)
				jsonEqual(t, "dond verdict", r.Verdict, dond.Judge(setup, r.Verdict.Shares[0]))
				for i := range 2 {
					if v := r.Verdict; v.Agreement && v.Scores[i] != v.Shares[i].Value(setup.Values[i]) {
						t.Errorf("score %d ≠ values · share", v.Scores[i])
					}
				}
			default:
				t.Fatalf("empty result")
			}
		})
	}
}

// A client that goes away mid-game stops it: the lease is released at once and the next
// game is served.
func TestPlayDisconnect(t *testing.T) {
	h := startPlayDaemon(t)
	ctx, cancel := context.WithCancel(context.Background())
	body := `{"game":"prisoner_dilemma","rounds":20,"message_chars":2000,"reason_chars":2000,"stream":true}`
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url("/v1/games/play"), strings.NewReader(body))
	resp, err := h.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: ") {
	}
	if !strings.Contains(sc.Text(), `"phase":"message"`) {
		t.Fatalf("first event: %q", sc.Text())
	}
	if st := h.status(); st.Model.InFlight != 1 {
		t.Fatalf("in flight during the game: %d", st.Model.InFlight)
	}
	cancel()
	resp.Body.Close()
	d := h.waitFor("the game's lease released", 10*time.Second, func(s api.StatusResponse) bool { return s.Model.InFlight == 0 })
	t.Logf("lease released %v after the disconnect", d)
	code, _, b := h.do("POST", "/v1/games/play", []byte(`{"game":"prisoner_dilemma","reason_chars":-1}`))
	if code != 200 {
		t.Fatalf("next game: %d %s", code, b)
	}
}

// Bad input is a 400 (or 404 for an unknown game) naming the field, before any model work.
func TestPlayBadInput(t *testing.T) {
	h := startPlayDaemon(t)
	for _, tt := range []struct {
		body  string
		code  int
		param string
	}{
		{`{}`, 400, "game"},
		{`{"game":"prisoners_dilemma"}`, 404, "game"},
		{`{"game":"dond"}`, 400, "line"},
		{`{"game":"dond","line":51}`, 400, "line"},
		{`{"game":"dond","line":-1}`, 400, "line"},
		{`{"game":"dond","line_text":"<input> 1 2 3 </input>"}`, 400, "line_text"},
		{`{"game":"dond","line":1,"alice":"smart"}`, 400, "alice"},
		{`{"game":"dond","line":1,"mode":"raw"}`, 400, "mode"},
		{`{"game":"dond","line":1,"rounds":21}`, 400, "rounds"},
		{`{"game":"prisoner_dilemma","mode":"clever"}`, 400, "mode"},
		{`{"game":"prisoner_dilemma","bob_mode":"clever"}`, 400, "bob_mode"},
		{`{"game":"prisoner_dilemma","rounds":21}`, 400, "rounds"},
		{`{"game":"prisoner_dilemma","rounds":-1}`, 400, "rounds"},
		{`{"game":"prisoner_dilemma","line":3}`, 400, "line"},
		{`{"game":"prisoner_dilemma","bob":"workflow"}`, 400, "bob"},
		{`{"game":"prisoner_dilemma","temperature":3}`, 400, "temperature"},
		{`{"game":"prisoner_dilemma","seed":-1}`, 400, "seed"},
		{`{"game":"prisoner_dilemma","model":"nope"}`, 404, "model"},
		{`{"game":"deal_or_no_deal_example","alice_mode":"raw"}`, 400, "alice_mode"},
	} {
		code, _, b := h.do("POST", "/v1/games/play", []byte(tt.body))
		var eb api.ErrorBody
		json.Unmarshal(b, &eb)
		if code != tt.code || eb.Error == nil || eb.Error.Param != tt.param {
			t.Errorf("%s: %d %s; want %d naming %q", tt.body, code, b, tt.code, tt.param)
		}
	}
}

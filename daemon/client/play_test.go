package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/reasoning/agents"
)

// Play reads a streamed game: events in order, then the result; an error event after some
// events is the game's error; a non-streamed answer is the result.
func TestPlay(t *testing.T) {
	const result = `{"game":"deal_or_no_deal","line":3,"items":["book","hat","ball"],"counts":{"book":1,"hat":2,"ball":2},"values":{"Alice":{"book":4,"hat":1,"ball":2},"Bob":{"book":0,"hat":2,"ball":3}},"kinds":{"Alice":"raw","Bob":"raw"},"max_rounds":1,"rounds":1,"turns":2,"agreement":false,"shares":null,"scores":{"Alice":0,"Bob":0},"total":0,"pareto_optimal":false,"envy_free":false,"max_total":16,"best_envy_free_total":14,"transcript":[],"stats":{"turns":2,"generations":2,"prompt_tokens":0,"cache_n":0,"generated_tokens":0,"model_ms":0,"total_ms":0,"outside_share":0}}`
	for _, tt := range []struct {
		name, body string
		events     int
		err        string
	}{
		{"result", `data: {"seq":1,"turn":1,"agent":"Alice","phase":"proposal","text":"hi"}` + "\n\n" + `data: {"seq":2,"turn":0,"phase":"verdict","text":"no deal"}` + "\n\n" + "data: " + result + "\n\ndata: [DONE]\n\n", 2, ""},
		{"error", `data: {"seq":1,"turn":1,"agent":"Alice","phase":"message","text":"hi"}` + "\n\n" + `data: {"error":{"message":"request timed out","type":"timeout"}}` + "\n\ndata: [DONE]\n\n", 1, "request timed out"},
		{"no result", "data: [DONE]\n\n", 0, "without a result"},
		{"cut", `data: {"seq":1,"turn":1,"agent":"Alice","phase":"message","text":"hi"}` + "\n\n", 1, "without [DONE]"},
	} {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/games/play" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, tt.body)
		})
		var got []agents.Event
		res, err := c.Play(context.Background(), api.PlayRequest{Game: "dond", Line: 3}, func(e agents.Event) error { got = append(got, e); return nil })
		if len(got) != tt.events {
			t.Errorf("%s: %d events, want %d", tt.name, len(got), tt.events)
		}
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || res == nil || res.Dond == nil || res.Dond.Setup.Line != 3 || res.Dond.Verdict.MaxTotal != 16 {
			t.Errorf("%s: %+v, %v", tt.name, res, err)
		}
	}
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, result) })
	res, err := c.Play(context.Background(), api.PlayRequest{Game: "dond", Line: 3}, nil)
	if err != nil || res.Dond == nil || res.Dond.Verdict.BestEnvyFreeTotal != 14 {
		t.Errorf("non-streamed: %+v, %v", res, err)
	}
	stop := errors.New("stop")
	c = serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `data: {"seq":1,"turn":1,"agent":"Alice","phase":"message","text":"hi"}`+"\n\n")
	})
	if _, err := c.Play(context.Background(), api.PlayRequest{Game: "dond", Line: 3}, func(agents.Event) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("onEvent's error: %v", err)
	}
}

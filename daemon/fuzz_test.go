package daemon

import (
	"encoding/json"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/reasoning/agents"
)

// FuzzChatRequest: any body decodes to a request or a 4xx error, never a panic.
func FuzzChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}],"max_tokens":5,"stop":["a","b"],"temperature":0.5}`,
		`{"messages":[{"role":"system","content":[{"type":"text","text":"x"}]}],"stop":"x","seed":-1}`,
		`{"messages":[{"role":"user","content":null}],"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}}`,
		`{"messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_object"},"n":1,"top_p":1,"min_p":0.1,"top_k":3,"repeat_penalty":1.1}`,
		`{"messages":"x"}`, `[]`, `{"stop":{}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req api.ChatRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			if ae := AsAPIError(jsonError(err)); ae.Status != 400 {
				t.Fatalf("decode error mapped to %d", ae.Status)
			}
			return
		}
		if _, err := chatMessages(&req); err != nil {
			if ae := AsAPIError(err); ae.Status != 400 {
				t.Fatalf("messages error mapped to %d: %v", ae.Status, err)
			}
		}
		g, err := chatGeneration(&req)
		if err != nil {
			if ae := AsAPIError(err); ae.Status != 400 {
				t.Fatalf("generation error mapped to %d: %v", ae.Status, err)
			}
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("chatGeneration accepted a request the engine rejects: %v (%s)", err, body)
		}
	})
}

// FuzzReasonRequest: any body for /v1/reason (or a chat completion in GTAlign mode) decodes
// to a valid reasoning call or a 400/404 error naming a field, never a panic.
func FuzzReasonRequest(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}],"rule":"nash_product","policy":"reject","analyze_by":"solver","max_tokens":5}`,
		`{"model":"tiny@gtalign","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"seed":3}`,
		`{"model":"tiny@none","reasoning":"gtalign","messages":[{"role":"user","content":"a"}]}`,
		`{"messages":[{"role":"user","content":"a"}],"stop":"x","grammar":"root ::= \"a\""}`,
		`{"messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_object"},"policy":"x"}`,
		`{"model":"a@b@c","messages":[],"rule":5}`, `{"temperature":1e999}`,
	} {
		f.Add(s)
	}
	snap := &config.Snapshot{Daemon: config.DefaultDaemon()}
	f.Fuzz(func(t *testing.T, body string) {
		var req api.ReasonRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			if ae := AsAPIError(jsonError(err)); ae.Status != 400 {
				t.Fatalf("decode error mapped to %d", ae.Status)
			}
			return
		}
		fieldErr := func(what string, err error) {
			ae := AsAPIError(err)
			if (ae.Status != 400 && ae.Status != 404) || (ae.Param == "" && ae.Status == 400) {
				t.Fatalf("%s error mapped to %d (param %q): %v", what, ae.Status, ae.Param, err)
			}
		}
		mode, model, err := chatMode(&req, api.ReasoningNone)
		if err != nil {
			fieldErr("chat mode", err)
			return
		}
		if mode != api.ReasoningGTAlign && (req.Rule != "" || req.Policy != "" || req.AnalyzeBy != "") {
			t.Fatalf("mode %q accepted GTAlign options", mode)
		}
		call, err := parseReason(&req, model, snap)
		if err != nil {
			fieldErr("reason", err)
			return
		}
		o := call.opts
		if o.Rule == "" || o.Policy == "" || o.AnalyzeBy == "" || o.MaxResponseTokens < 0 || len(call.msgs) == 0 {
			t.Fatalf("accepted an incomplete call: %+v", call)
		}
		g := inference.Request{Sampling: o.Sampling}
		if err := g.Validate(); err != nil {
			t.Fatalf("parseReason accepted sampling the engine rejects: %v (%s)", err, body)
		}
	})
}

// FuzzPlayRequest: any body for /v1/games/play decodes to a valid game call or a 400/404
// error naming a field, never a panic.
func FuzzPlayRequest(f *testing.F) {
	for _, s := range []string{
		`{"game":"prisoner_dilemma","rounds":2,"alice_mode":"verified","bob_mode":"prompted","seed":3,"temperature":0.5}`,
		`{"game":"escalation","mode":"prompted","reason_chars":-1}`,
		`{"game":"dond","line":3,"alice":"workflow","rounds":20,"candidates":10}`,
		`{"game":"dond","line_text":"<input> 1 4 2 1 2 2 </input> <partner_input> 1 0 2 2 2 3 </partner_input>","line":9}`,
		`{"game":"deal_or_no_deal_example","bob":"workflow"}`,
		`{"game":"dond","line":51}`, `{"game":"x"}`, `{"game":"prisoner_dilemma","top_k":-1,"min_p":2}`, `{"seed":-1}`,
	} {
		f.Add(s)
	}
	snap := &config.Snapshot{Daemon: config.DefaultDaemon(), Games: map[string]*config.Game{}}
	for _, name := range []string{"prisoner_dilemma", "escalation", "deal_or_no_deal_example"} {
		g, err := agents.FindGame("../configs/games", name)
		if err != nil {
			f.Fatal(err)
		}
		snap.Games[name] = &config.Game{Name: name, Value: g}
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req api.PlayRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			if ae := AsAPIError(jsonError(err)); ae.Status != 400 {
				t.Fatalf("decode error mapped to %d", ae.Status)
			}
			return
		}
		call, err := parsePlay(&req, snap)
		if err != nil {
			if ae := AsAPIError(err); (ae.Status != 400 && ae.Status != 404) || ae.Param == "" {
				t.Fatalf("error mapped to %d (param %q): %v", ae.Status, ae.Param, err)
			}
			return
		}
		if (call.g == nil) == (call.setup == nil) {
			t.Fatalf("accepted a call with game %v and setup %v", call.g, call.setup)
		}
		if call.setup != nil {
			if err := call.setup.Validate(); err != nil {
				t.Fatalf("accepted an invalid setup: %v (%s)", err, body)
			}
		}
		for _, s := range call.sampling {
			g := inference.Request{Sampling: s}
			if err := g.Validate(); err != nil {
				t.Fatalf("parsePlay accepted sampling the engine rejects: %v (%s)", err, body)
			}
		}
	})
}

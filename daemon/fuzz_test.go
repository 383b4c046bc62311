package daemon

import (
	"encoding/json"
	"testing"
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
		var req ChatRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			if ae := AsAPIError(jsonError(err)); ae.Status != 400 {
				t.Fatalf("decode error mapped to %d", ae.Status)
			}
			return
		}
		if _, err := req.messages(); err != nil {
			if ae := AsAPIError(err); ae.Status != 400 {
				t.Fatalf("messages error mapped to %d: %v", ae.Status, err)
			}
		}
		g, err := req.generation()
		if err != nil {
			if ae := AsAPIError(err); ae.Status != 400 {
				t.Fatalf("generation error mapped to %d: %v", ae.Status, err)
			}
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("generation() accepted a request the engine rejects: %v (%s)", err, body)
		}
	})
}

package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
)

// A result as the daemon encodes it (the fields the client reads back).
const resultJSON = `{"id":"reason-1","object":"nashd.reasoning","created":1,"model":"m",
"matrix":{"Q_DA":{"LLM":1.5,"user":2},"Q_CQ":{"LLM":0,"user":-1}},"frontier":["Q_DA"],
"model_choice":"Q_CQ","solver_choice":"Q_DA","agree":false,"applied":"Q_DA","policy":"override","rule":"welfare",
"pricing":{"version":"pricing.toml@abc","transform":"cost","payer":"user"},"response":"Paris.",
"passes":[{"name":"payoff","prompt_tokens":10,"cache_n":0},{"name":"response","prompt_tokens":30,"cache_n":29}],
"nashd":{"reasoning":"gtalign","config_generation":2,"pricing_version":"pricing.toml@abc","game_version":"gtalign.toml@def"}}`

func checkResult(t *testing.T, res *api.ReasonResponse) {
	t.Helper()
	if res == nil || res.Result == nil {
		t.Fatalf("no result: %+v", res)
	}
	switch {
	case res.ID != "reason-1" || res.Model != "m" || res.Nashd.GameVersion != "gtalign.toml@def" || res.Nashd.ConfigGeneration != 2:
		t.Errorf("envelope: %+v", res)
	case len(res.Matrix) != 2 || res.Matrix[0].Key != "Q_DA" || res.Matrix[0].LLM != 1.5 || res.Matrix[1].User != -1:
		t.Errorf("matrix: %+v", res.Matrix)
	case res.SolverChoice != "Q_DA" || res.ModelChoice != "Q_CQ" || res.Agree || res.Pricing == nil || res.Pricing.Version != "pricing.toml@abc":
		t.Errorf("choices: %+v", res.Result)
	case len(res.Passes) != 2 || res.Passes[1].CacheN != 29:
		t.Errorf("passes: %+v", res.Passes)
	}
}

func TestReason(t *testing.T) {
	var got api.ReasonRequest
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/v1/reason" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got = api.ReasonRequest{}
		json.Unmarshal(b, &got)
		switch {
		case got.Policy == "reject":
			w.WriteHeader(422)
			fmt.Fprintf(w, `{"error":{"message":"gtalign: analysis rejected","type":"reasoning_error","param":"policy","code":"analysis_rejected"},"result":%s}`, resultJSON)
		case got.Rule == "bogus":
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"message":"rule: \"bogus\" is not \"welfare\" or \"nash_product\"","type":"invalid_request_error","param":"rule"}}`))
		case got.Stream:
			w.Header().Set("Content-Type", "text/event-stream")
			for _, ev := range []string{`{"kind":"reasoning","text":"<thinking>\nx"}`, `{"kind":"reasoning","text":"\n</analyze>"}`,
				`{"kind":"content","text":"Par"}`, `{"kind":"content","text":"is."}`, `{"kind":"result","result":` + strings.ReplaceAll(resultJSON, "\n", "") + `}`} {
				fmt.Fprintf(w, "data: %s\n\n", ev)
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
		default:
			w.Write([]byte(resultJSON))
		}
	})
	ctx := context.Background()
	req := api.ReasonRequest{Messages: []api.ChatMessage{api.TextMessage("user", "Capital of France?")}, Rule: "nash_product", AnalyzeBy: "solver"}

	res, err := c.Reason(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	if got.Stream || got.Rule != "nash_product" || got.AnalyzeBy != "solver" || len(got.Messages) != 1 {
		t.Errorf("request sent: %+v", got)
	}

	var kinds []string
	var text strings.Builder
	res, err = c.ReasonStream(ctx, req, func(kind, s string) {
		if len(kinds) == 0 || kinds[len(kinds)-1] != kind {
			kinds = append(kinds, kind)
		}
		text.WriteString(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	if !got.Stream || strings.Join(kinds, ",") != "reasoning,content" || text.String() != "<thinking>\nx\n</analyze>Paris." {
		t.Errorf("stream: kinds %v, text %q", kinds, text.String())
	}

	// A rejection comes with the result so far.
	rej := req
	rej.Policy = "reject"
	res, err = c.Reason(ctx, rej)
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != 422 || ce.API.Code != api.CodeAnalysisRejected {
		t.Fatalf("reject: %v", err)
	}
	checkResult(t, res)
	res, err = c.ReasonStream(ctx, rej, nil)
	if !errors.As(err, &ce) || ce.API.Code != api.CodeAnalysisRejected {
		t.Fatalf("streamed reject: %v", err)
	}
	checkResult(t, res)

	// Other errors carry no result.
	bad := req
	bad.Rule = "bogus"
	res, err = c.Reason(ctx, bad)
	if !errors.As(err, &ce) || ce.Status != 400 || ce.API.Param != "rule" || res != nil {
		t.Errorf("bad rule: %+v, %v", res, err)
	}
}

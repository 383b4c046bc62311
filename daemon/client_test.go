package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/client"
)

// TestClient runs package client (what `nash chat/status/models` use) against the daemon.
func TestClient(t *testing.T) {
	h := startDaemon(t, map[string]string{"games/prisoner_dilemma.toml": seedGame(t, "prisoner_dilemma")})
	c := client.New(h.sock)
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.Model.State != "ready" || st.Model.Serving.Name != "tiny" {
		t.Fatalf("Status: %+v %v", st, err)
	}
	if _, err := c.WaitReady(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ms, err := c.Models(ctx)
	if err != nil || len(ms) != 2 || ms[0].State != "serving" || !ms[0].Default || ms[1].ID != "tiny@gtalign" || ms[1].Default || ms[1].State != "serving" {
		t.Fatalf("Models: %+v %v", ms, err)
	}
	temp := 0.0
	max := 10
	req := api.ChatRequest{Messages: []api.ChatMessage{{Role: "user", Content: json.RawMessage(`"hi"`)}}, MaxTokens: &max, Temperature: &temp}
	whole, err := c.Chat(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pieces []string
	streamed, err := c.Chat(ctx, req, func(s string) { pieces = append(pieces, s) })
	if err != nil {
		t.Fatal(err)
	}
	if streamed.Content != whole.Content || strings.Join(pieces, "") != whole.Content || streamed.Usage != whole.Usage || streamed.FinishReason != whole.FinishReason {
		t.Errorf("streamed %+v, whole %+v", streamed, whole)
	}
	out, err := c.Solve(ctx, api.SolveRequest{Game: json.RawMessage(`"prisoner_dilemma"`), Method: "pure"})
	if err != nil || out.Report == nil || out.Report.Method != "enumpure" || len(out.Report.Equilibria) != 1 ||
		out.Nashd.GameFile != "games/prisoner_dilemma.toml" || out.Game != nil {
		t.Errorf("Solve: %+v %v", out, err)
	}
	_, err = c.Solve(ctx, api.SolveRequest{Game: json.RawMessage(`"prisoner_dilemma"`), Method: "spe"})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.API.Code != api.CodeMethodNotApplicable || !strings.HasPrefix(ce.API.Message, "solver: ") {
		t.Errorf("spe on a normal-form game: %v", err)
	}
	bad := req
	bad.Model = "nope"
	_, err = c.Chat(ctx, bad, nil)
	if !errors.As(err, &ce) || ce.Status != 404 || ce.API.Code != "model_not_found" {
		t.Errorf("unknown model: %v", err)
	}
	_, err = client.New(filepath.Join(t.TempDir(), "none.sock")).Status(ctx)
	if !errors.Is(err, client.ErrNoDaemon) {
		t.Errorf("no daemon: %v", err)
	}
}

package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon"
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
	if err != nil || len(ms) != 1 || ms[0].State != "serving" || !ms[0].Default {
		t.Fatalf("Models: %+v %v", ms, err)
	}
	temp := 0.0
	max := 10
	req := daemon.ChatRequest{Messages: []daemon.ChatMessage{{Role: "user", Content: json.RawMessage(`"hi"`)}}, MaxTokens: &max, Temperature: &temp}
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
	out, err := c.Solve(ctx, json.RawMessage(`"prisoner_dilemma"`), "pure")
	if err != nil || !strings.Contains(string(out), `"equilibria"`) {
		t.Errorf("Solve: %s %v", out, err)
	}
	bad := req
	bad.Model = "nope"
	_, err = c.Chat(ctx, bad, nil)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 404 || ce.API.Code != "model_not_found" {
		t.Errorf("unknown model: %v", err)
	}
	_, err = client.New(filepath.Join(t.TempDir(), "none.sock")).Status(ctx)
	if !errors.Is(err, client.ErrNoDaemon) {
		t.Errorf("no daemon: %v", err)
	}
}

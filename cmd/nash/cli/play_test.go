package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/models"
)

// nash play in-process with the tiny random-weight model: a normal-form game, a tree, Deal
// or No Deal from the data and from a game file; bad input fails before the model loads.
func TestPlayCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.gguf")
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Generate(model, spec); err != nil {
		t.Fatal(err)
	}
	const games = "../../../configs/games"
	const data = "../../../reasoning/dond/data/sampled_50_deal_no_deal.txt"
	common := []string{"--model", model, "--games", games, "--threads", "1", "--ctx", "4096", "--message-chars", "8", "--seed", "2"}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"play"}, append(args, common...)...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, tt := range []struct {
		args []string
		keys []string
	}{
		{[]string{"prisoner_dilemma", "--rounds", "1", "--alice-mode", "verified", "--bob-mode", "prompted", "--reason-chars", "8", "--json"},
			[]string{"actions", "payoffs", "equilibrium", "pareto_equilibrium", "regret"}},
		{[]string{"escalation", "--mode", "prompted", "--reason-chars", "8", "--json"}, []string{"path", "payoffs", "spe"}},
		{[]string{"dond", "--data", data, "--line", "3", "--alice", "workflow", "--rounds", "2", "--json"},
			[]string{"agreement", "rounds", "shares", "scores", "pareto_optimal", "envy_free", "total"}},
		{[]string{"deal_or_no_deal_example", "--bob", "workflow", "--rounds", "2", "--json"}, []string{"agreement", "scores"}},
	} {
		code, out, errs := run(tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errs)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, out)
		}
		for _, k := range tt.keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%v: no %q in %s", tt.args, k, out)
			}
		}
	}
	code, out, errs := run("stag_hunt", "--rounds", "1", "--reason-chars", "-1")
	if code != 0 || !strings.Contains(out, "(message, round 1") || !strings.Contains(out, "verdict: Alice c") || !strings.Contains(out, "outside the model") {
		t.Errorf("text mode: exit %d\n%s\n%s", code, out, errs)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"prisoners_dilemma"}, 1, "unknown game"},
		{[]string{"dond", "--data", data, "--line", "51"}, 1, "line 51 out of range: the data has 50 lines"},
		{[]string{"dond", "--data", data}, 2, "needs --line N"},
		{[]string{"stag_hunt", "--mode", "clever"}, 2, "unknown mode"},
		{[]string{"dond", "--data", data, "--line", "1", "--bob", "smart"}, 2, "unknown agent kind"},
		{[]string{"stag_hunt", "--rounds", "21"}, 1, "negotiation rounds"},
	} {
		code, _, errs := run(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
	// Without --model the daemon plays (play_daemon_test.go); none listens here.
	var out2, errb bytes.Buffer
	if code := Run(context.Background(), []string{"play", "stag_hunt", "--socket", filepath.Join(dir, "none.sock")}, nil, &out2, &errb); code != 1 || !strings.Contains(errb.String(), "nashd is not running") {
		t.Errorf("no model, no daemon: exit %d, %q", code, errb.String())
	}
}

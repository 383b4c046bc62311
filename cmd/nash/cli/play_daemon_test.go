package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// startPlayDaemon runs nashd in-process serving a freshly generated tiny model with three
// shipped games configured, and returns its socket.
func startPlayDaemon(t *testing.T) string {
	t.Helper()
	model := tinyModelFile(t, t.TempDir())
	files := shippedGames(t, "prisoner_dilemma", "stag_hunt", "escalation")
	files["nashd.toml"] = "[inference]\nthreads = 1\ncontext_size = 4096\nslots = 1\n[log]\nlevel = \"warn\"\n[reasoning]\nstate_dir = \"state\"\n"
	files["models.toml"] = fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n", model)
	_, sock := runDaemon(t, files, true)
	return sock
}

// nash play --socket: the daemon plays; the output is what the in-process mode prints.
func TestPlayDaemon(t *testing.T) {
	sock := startPlayDaemon(t)
	const data = "../../../reasoning/dond/data/sampled_50_deal_no_deal.txt"
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"play", "--socket", sock, "--message-chars", "8", "--seed", "2"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, tt := range []struct {
		args []string
		keys []string
		want string // in the output
	}{
		{[]string{"prisoner_dilemma", "--rounds", "1", "--alice-mode", "verified", "--bob-mode", "prompted", "--reason-chars", "8", "--json"},
			[]string{"actions", "payoffs", "equilibrium", "pareto_equilibrium", "regret"}, `"game":"prisoner_dilemma"`},
		{[]string{"escalation", "--mode", "prompted", "--reason-chars", "8", "--json"}, []string{"path", "payoffs", "spe"}, `"kind":"tree"`},
		{[]string{"dond", "--data", data, "--line", "3", "--alice", "workflow", "--rounds", "2", "--json"},
			[]string{"agreement", "rounds", "shares", "scores", "pareto_optimal", "envy_free", "total"}, `"line":3`},
		{[]string{"dond", "--line", "2", "--bob", "workflow", "--rounds", "1", "--json"}, []string{"agreement", "scores"}, `"line":2`},
	} {
		code, out, errs := run(tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errs)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("%v: not one JSON object: %v\n%s", tt.args, err, out)
		}
		for _, k := range tt.keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%v: no %q in %s", tt.args, k, out)
			}
		}
		if !strings.Contains(out, tt.want) {
			t.Errorf("%v: no %s in %s", tt.args, tt.want, out)
		}
	}
	code, out, errs := run("stag_hunt", "--rounds", "1", "--reason-chars", "-1")
	if code != 0 || !strings.Contains(out, "(message, round 1") || !strings.Contains(out, "verdict: Alice ") || !strings.Contains(out, "outside the model") {
		t.Errorf("text mode: exit %d\n%s\n%s", code, out, errs)
	}
	if i, j := strings.Index(out, "(message, round 1"), strings.Index(out, "verdict: "); i > j {
		t.Errorf("the verdict before the transcript:\n%s", out)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"prisoners_dilemma"}, 1, "unknown game"},
		{[]string{"dond", "--line", "51"}, 1, "line 51 out of range: the data has 50 lines"},
		{[]string{"dond", "--data", data, "--line", "51"}, 1, "line 51 out of range: the data has 50 lines"},
		{[]string{"dond"}, 2, "needs --line N"},
		{[]string{"stag_hunt", "--mode", "clever"}, 2, "unknown mode"},
		{[]string{"dond", "--line", "1", "--bob", "smart"}, 2, "unknown agent kind"},
		{[]string{"stag_hunt", "--rounds", "21"}, 1, "rounds"},
		{[]string{"stag_hunt", "--threads", "2"}, 2, "only with --model FILE"},
		{[]string{"../../../configs/games/stag_hunt.toml"}, 2, "by name"},
	} {
		code, _, errs := run(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
}

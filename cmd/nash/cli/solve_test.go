package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSolveCommand(t *testing.T) {
	games := "../../../configs/games"
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("players = [\"A\"]\nstrategies = [[\"x\"]]\npayoffs = [[1]]\ncolour = 1\n"), 0o644)
	tests := []struct {
		args []string
		code int
		out  string // substring of stdout
		err  string // substring of stderr
	}{
		{[]string{"solve", games + "/battle_of_sexes.toml"}, 0, "c1:2/3 c2:1/3", ""},
		{[]string{"solve", games + "/escalation.toml"}, 0, "subgame-perfect equilibrium (unique): payoffs 0, 0", ""},
		{[]string{"solve", "--method", "zerosum", games + "/rock_paper_scissors.toml"}, 0, "value to Alice: 0", ""},
		{[]string{"solve", games + "/prisoner_dilemma.toml", "--method=iesds"}, 0, "dominated by c2", ""},
		{[]string{"solve", games + "/prisoner_dilemma.toml", "--verify", "c1,c1"}, 1, "not a Nash equilibrium", ""},
		{[]string{"solve", games + "/prisoner_dilemma.toml", "--verify", "c2,c2"}, 0, "Pareto-dominated by", ""},
		{[]string{"solve", games + "/deal_or_no_deal_example.toml"}, 0, "max total welfare among envy-free splits: 12", ""},
		{[]string{"solve", "../../../solver/testdata/gambit/contrib_2x2x2.nfg", "--method", "pure"}, 0, "enumpure", ""},
		{[]string{"solve", bad}, 1, "", "bad.toml:4: unknown key \"colour\""},
		{[]string{"solve", games + "/stag_hunt.toml", "--method", "nope"}, 1, "", "unknown method"},
		{[]string{"solve"}, 2, "", "usage: nash solve"},
		{[]string{"solve", games + "/stag_hunt.toml", "--export", "lrs"}, 0, "2 2\n\n3 0\n1 1\n\n3 1\n0 1\n", ""},
		{[]string{"solve", games + "/monopoly.toml", "--export", "nfg"}, 0, `{ "A1" "A2" }`, ""},
		{[]string{"solve", "../../../solver/testdata/gambit/contrib_pd.nfg", "--export", "toml"}, 0, `payoffs = [[["9", "9"], ["0", "10"]], [["10", "0"], ["1", "1"]]]`, ""},
		{[]string{"solve", games + "/stag_hunt.toml", "--export", "xml"}, 2, "", "--export"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), tt.args, nil, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.err) {
			t.Errorf("nash %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), code, tt.code, stdout.String(), stderr.String())
		}
	}
}

func TestSolveJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"solve", "../../../configs/games/stag_hunt.toml", "--json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r struct {
		Game       string     `json:"game"`
		Players    []string   `json:"players"`
		Strategies [][]string `json:"strategies"`
		Method     string     `json:"method"`
		Complete   bool       `json:"complete"`
		Equilibria []struct {
			Profile [][]string `json:"profile"`
			Payoffs []string   `json:"payoffs"`
		} `json:"equilibria"`
	}
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Game != "stag_hunt" || r.Method != "enummixed" || !r.Complete || len(r.Equilibria) != 3 || r.Equilibria[1].Profile[0][0] != "1/3" {
		t.Errorf("report %+v", r)
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/models"
)

// nash experiment end to end on the tiny random-weight model: a games run, its report, the
// best-only reference row without a model, and bad input.
func TestExperimentCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.gguf")
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Generate(model, spec); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"experiment"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	out := filepath.Join(dir, "games")
	code, stdout, stderr := run("games", "--games", "stag_hunt,monopoly", "--modes", "verified", "--runs", "1", "--rounds", "0",
		"--games-dir", "../../../configs/games", "--out", out, "--model", model, "--threads", "1", "--ctx", "4096", "--message-chars", "8", "--reason-chars", "8")
	if code != 0 || !strings.Contains(stdout, "| stag_hunt | simultaneous |") || !strings.Contains(stderr, "2/2 runs") {
		t.Fatalf("games: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"manifest.json", "records.jsonl", "summary.md", "equilibrium_rate.png", "equilibrium_rate.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	code, rep, stderr := run("report", out)
	if code != 0 || rep != stdout || !strings.Contains(stderr, "reproduce") {
		t.Errorf("report: exit %d, %q\n%s", code, stderr, rep)
	}
	// The same run again is refused without --resume.
	code, _, stderr = run("games", "--games", "stag_hunt,monopoly", "--modes", "verified", "--runs", "1", "--rounds", "0",
		"--games-dir", "../../../configs/games", "--out", out, "--model", model, "--message-chars", "8", "--reason-chars", "8")
	if code != 1 || !strings.Contains(stderr, "--resume") {
		t.Errorf("rerun: exit %d, %s", code, stderr)
	}

	code, stdout, stderr = run("dond", "--best-only", "--data", "../../../reasoning/experiment/testdata/dond_small.txt", "--json")
	var best map[string]float64
	if code != 0 || json.Unmarshal([]byte(stdout), &best) != nil || len(best) != 4 || best["dialogues"] != 2 || best["alice"] != 8 || best["bob"] != 7 || best["total"] != 15 {
		t.Errorf("best-only: exit %d, %q, %s", code, stdout, stderr)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"games", "--games", "prisoners_dilemma", "--out", out, "--model", model}, 1, "unknown game"},
		{[]string{"dond", "--pairings", "workflow-smart", "--out", out, "--model", model}, 1, "unknown pairing"},
		{[]string{"gtalign", "--prompts", filepath.Join(dir, "none.jsonl"), "--out", out, "--model", model}, 1, "none.jsonl"},
		{[]string{"gtalign", "--out", out, "--model", model}, 2, "--prompts FILE.jsonl is required"},
		{[]string{"games", "--model", model}, 2, "--out DIR is required"},
		{[]string{"chess"}, 2, "unknown experiment"},
	} {
		code, _, stderr := run(tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}

// TestExperimentThroughDaemon: without --model the experiment runs on the daemon's serving
// model over its socket (the nashd dialect of the remote generator), with its table and
// records; --threads and --model with --socket are usage errors.
func TestExperimentThroughDaemon(t *testing.T) {
	sock := startPlayDaemon(t)
	out := filepath.Join(t.TempDir(), "games")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"experiment", "games", "--games", "stag_hunt,escalation", "--modes", "verified",
		"--runs", "1", "--rounds", "0", "--games-dir", "../../../configs/games", "--out", out, "--socket", sock,
		"--message-chars", "8", "--reason-chars", "8"}, nil, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "| stag_hunt | simultaneous |") || !strings.Contains(stdout.String(), "| escalation | sequential |") {
		t.Fatalf("through the daemon: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	recs, err := os.ReadFile(filepath.Join(out, "records.jsonl"))
	if err != nil || strings.Count(string(recs), "\n") != 2 {
		t.Fatalf("records: %v\n%s", err, recs)
	}
	for _, args := range [][]string{
		{"games", "--out", t.TempDir(), "--socket", sock, "--threads", "1"},
		{"games", "--out", t.TempDir(), "--socket", sock, "--model", "x.gguf"},
	} {
		var o, e bytes.Buffer
		if code := Run(context.Background(), append([]string{"experiment"}, args...), nil, &o, &e); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, code, e.String())
		}
	}
}

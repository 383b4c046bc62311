package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/daemon/gamesolver"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/models"
	"github.com/nashd/nashd/reasoning/experiment"
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

// experimentRecords reads an experiment directory's records as id → record, without the
// "timings" key (wall-clock figures differ between runs). Every line must be a whole JSON
// object ending in a newline.
func experimentRecords(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("records.jsonl ends in a line cut short: %q", b[max(0, len(b)-80):])
	}
	out := map[string]map[string]any{}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("records.jsonl:%d: %v", i+1, err)
		}
		delete(m, "timings")
		id, _ := m["id"].(string)
		if _, dup := out[id]; dup || id == "" {
			t.Fatalf("records.jsonl:%d: id %q missing or twice", i+1, id)
		}
		out[id] = m
	}
	return out
}

// The judge model scores the answers (the answer quality A): in-process, a judge that is
// the model under test is reused, another model of models.toml is loaded; through the
// daemon, its serving model judges through the daemon. The records keep the judge's raw
// output, score and model hash; report reproduces the summary; bad judges are refused.
func TestExperimentJudge(t *testing.T) {
	dir := t.TempDir()
	model := tinyModelFile(t, dir)
	other := filepath.Join(dir, "judge.gguf")
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	modelsFile := filepath.Join(dir, "models.toml")
	if err := os.WriteFile(modelsFile, fmt.Appendf(nil, "default = \"tiny\"\n[models.tiny]\npath = %q\n[models.judge]\npath = \"judge.gguf\"\nthreads = 1\ncontext = 2048\n", model), 0o644); err != nil {
		t.Fatal(err)
	}
	prompts := "../../../reasoning/experiment/testdata/prompts_small.jsonl"
	limits := []string{"--thinking-chars", "40", "--response-chars", "60", "--question-chars", "40", "--seed", "3"}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append(append([]string{"experiment", "gtalign", "--prompts", prompts}, limits...), args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	check := func(name, out, stdout, judgeName, modelDesc string) {
		t.Helper()
		recs := experimentRecords(t, out)
		if len(recs) != 2 {
			t.Fatalf("%s: %d records", name, len(recs))
		}
		sum, err := experiment.FileSHA256(model)
		if err != nil {
			t.Fatal(err)
		}
		for id, r := range recs {
			j, _ := r["judge"].(map[string]any)
			if j == nil || j["name"] != judgeName || j["model_sha256"] != sum || r["quality_source"] != "judge" {
				t.Fatalf("%s: record %s: judge %v, source %v", name, id, j, r["quality_source"])
			}
			// Under the grammar the tiny model answers a number from 1 to 10 (unless the
			// response was empty, when it is not asked).
			if resp, _ := r["response"].(string); strings.TrimSpace(resp) != "" {
				score, ok := j["score"].(float64)
				if !ok || score < 1 || score > 10 || j["output"] != fmt.Sprint(score) || r["quality"] != experiment.JudgeQuality(int(score), 10) {
					t.Errorf("%s: record %s: judge %v, quality %v", name, id, j, r["quality"])
				}
			}
		}
		want := fmt.Sprintf("Answer quality A: the judge model %s (%s, SHA-256 `%s`).", judgeName, modelDesc, sum)
		if modelDesc == "" {
			want = fmt.Sprintf("Answer quality A: the judge model %s (", judgeName)
		}
		if !strings.Contains(stdout, want) {
			t.Errorf("%s: the summary lacks %q:\n%s", name, want, stdout)
		}
		var o, e bytes.Buffer
		if code := Run(context.Background(), []string{"experiment", "report", out}, nil, &o, &e); code != 0 || o.String() != stdout {
			t.Errorf("%s: report: exit %d, %s", name, code, e.String())
		}
	}

	// In-process: the model under test judges itself (not loaded twice), or another file.
	out := filepath.Join(dir, "self")
	code, stdout, stderr := run("--out", out, "--model", model, "--threads", "1", "--ctx", "4096", "--judge", "tiny", "--models", modelsFile)
	if code != 0 || !strings.Contains(stderr, "judge tiny: "+model+", the model under test") {
		t.Fatalf("self judge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	check("self judge", out, stdout, "tiny", model+", the model under test")
	out = filepath.Join(dir, "other")
	code, stdout, stderr = run("--out", out, "--model", model, "--threads", "1", "--ctx", "4096", "--judge", "judge", "--models", modelsFile)
	if code != 0 || !strings.Contains(stderr, "judge judge: "+other) {
		t.Fatalf("another judge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	check("another judge", out, stdout, "judge", other)

	// Through the daemon: its serving model judges through it; the daemon's models.toml
	// defines the others, loaded here.
	files := map[string]string{
		"nashd.toml":  "[inference]\nthreads = 1\ncontext_size = 4096\nslots = 1\n[log]\nlevel = \"warn\"\n",
		"models.toml": fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n[models.judge]\npath = %q\n", model, other),
	}
	_, sock := runDaemon(t, files, true)
	out = filepath.Join(dir, "daemon")
	code, stdout, stderr = run("--out", out, "--socket", sock, "--judge", "tiny")
	if code != 0 || !strings.Contains(stderr, ", through the daemon") {
		t.Fatalf("daemon judge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	check("daemon judge", out, stdout, "tiny", "")
	out = filepath.Join(dir, "daemon-other")
	code, stdout, stderr = run("--out", out, "--socket", sock, "--judge", "judge")
	if code != 0 || !strings.Contains(stderr, "judge judge: "+other) {
		t.Fatalf("the daemon's other model as judge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	check("the daemon's other model as judge", out, stdout, "judge", other)

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", model, "--judge", "nope", "--models", modelsFile}, 2, `judge "nope" is not a model of ` + modelsFile + " (models: judge, tiny)"},
		{[]string{"--model", model, "--models", modelsFile}, 2, "--models FILE goes with --judge NAME"},
		{[]string{"--model", model, "--judge", "tiny", "--models", filepath.Join(dir, "none.toml")}, 1, "none.toml"},
		{[]string{"--model", model, "--judge", "tiny", "--models", model}, 1, "judge tiny"},
	} {
		code, _, stderr := run(append(tt.args, "--out", t.TempDir())...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}

// serveDaemon runs nashd in-process on the configuration directory dir and the socket sock
// until stop is called (at the latest when the test ends), and returns once its model serves.
func serveDaemon(t *testing.T, dir, sock string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.RunOptions{ConfigDir: dir, Socket: sock, LogOutput: io.Discard, Load: modelload.Load,
			Games: gamesolver.Backend{}, Version: "test", Ready: func(string) { ready <- struct{}{} }})
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("daemon.Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("daemon.Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not start")
	}
	if err := client.New(sock).WaitModel(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	return stop
}

// A daemon that goes away in the middle of an experiment (cutting the requests in flight,
// as a crash would): the command ends with an error that says so, the records written before
// stay, each a whole line, and --resume against the daemon started again completes the
// experiment with exactly the records of an uninterrupted run (timings aside).
func TestExperimentDaemonGoesAway(t *testing.T) {
	model := tinyModelFile(t, t.TempDir())
	files := shippedGames(t, "stag_hunt", "prisoner_dilemma", "escalation")
	// A 1 ms drain: the requests in flight are cut rather than finished.
	files["nashd.toml"] = "[server]\nshutdown_timeout = \"1ms\"\n[inference]\nthreads = 1\ncontext_size = 4096\nslots = 1\n[log]\nlevel = \"warn\"\n"
	files["models.toml"] = fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n", model)
	cfg, sock := runDaemon(t, files, true)
	const runs = 9
	run := func(ctx context.Context, out, sock string, extra ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Run(ctx, append([]string{"experiment", "games", "--games", "stag_hunt,prisoner_dilemma,escalation", "--modes", "verified",
			"--runs", "3", "--rounds", "0", "--games-dir", gamesDir, "--out", out, "--socket", sock,
			"--message-chars", "8", "--reason-chars", "8", "--seed", "5"}, extra...), nil, &o, &e)
		return code, o.String(), e.String()
	}
	full := filepath.Join(t.TempDir(), "full")
	if code, stdout, stderr := run(context.Background(), full, sock); code != 0 {
		t.Fatalf("uninterrupted: exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := experimentRecords(t, full)
	if len(want) != runs {
		t.Fatalf("uninterrupted: %d records, want %d", len(want), runs)
	}

	// A second daemon on the same configuration, stopped once two records are written.
	sockDir, err := os.MkdirTemp("", "nash")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock2 := filepath.Join(sockDir, "s.sock")
	stop := serveDaemon(t, cfg, sock2)
	part := filepath.Join(t.TempDir(), "part")
	watch, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-watch:
				return
			case <-tick.C:
			}
			if b, _ := os.ReadFile(filepath.Join(part, "records.jsonl")); bytes.Count(b, []byte("\n")) >= 2 {
				stop()
				return
			}
		}
	}()
	code, stdout, stderr := run(context.Background(), part, sock2)
	close(watch)
	<-stopped
	if code != 1 || !strings.Contains(stderr, "nashd on "+sock2+" went away") || !strings.Contains(stderr, "--resume") || strings.Contains(stdout, "|") {
		t.Fatalf("daemon gone: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := experimentRecords(t, part)
	if len(got) < 2 || len(got) >= runs {
		t.Fatalf("%d records after the daemon went away; want 2 to %d", len(got), runs-1)
	}
	for id, r := range got {
		if b1, b2 := mustJSON(t, r), mustJSON(t, want[id]); !bytes.Equal(b1, b2) {
			t.Errorf("record %s before the daemon went away differs:\n%s\n%s", id, b1, b2)
		}
	}
	if _, err := os.Stat(filepath.Join(part, "summary.md")); err == nil {
		t.Error("an unfinished run wrote its summary")
	}
	// Resuming against the daemon gone fails the same way and changes nothing.
	if code, _, stderr := run(context.Background(), part, sock2, "--resume"); code != 1 || !strings.Contains(stderr, sock2) {
		t.Errorf("resume without a daemon: exit %d, %s", code, stderr)
	}

	// Started again, the daemon serves the resumed run to the end.
	serveDaemon(t, cfg, sock2)
	code, stdout, stderr = run(context.Background(), part, sock2, "--resume")
	if code != 0 || !strings.Contains(stderr, fmt.Sprintf("resuming, %d of %d runs already recorded", len(got), runs)) {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got = experimentRecords(t, part)
	if len(got) != runs {
		t.Fatalf("resumed: %d records, want %d", len(got), runs)
	}
	for id, r := range want {
		if b1, b2 := mustJSON(t, r), mustJSON(t, got[id]); !bytes.Equal(b1, b2) {
			t.Errorf("record %s differs from the uninterrupted run's:\n%s\n%s", id, b2, b1)
		}
	}
	full2, err := os.ReadFile(filepath.Join(full, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The summaries agree but for the wall-clock line.
	if a, b := withoutWallClock(stdout), withoutWallClock(string(full2)); a != b {
		t.Errorf("the resumed run's summary differs from the uninterrupted one's:\n%s\n---\n%s", a, b)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withoutWallClock drops a games summary's line of wall-clock figures.
func withoutWallClock(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "games/min") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

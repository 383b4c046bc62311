package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/enginetest"
	"github.com/nashd/nashd/reasoning/gtalign"
)

func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

// tiny opens the generated random-weight test model (two slots, for --parallel 2).
func tiny(t *testing.T) inference.Generator {
	return enginetest.OpenTiny(t, engine.Options{Slots: 2})
}

const gamesDir = "../../configs/games"

// checkOutput checks an experiment's directory: manifest, records, summary and every plot
// well formed, and Report reproducing summary.md from the records.
func checkOutput(t *testing.T, dir string, records int, charts ...string) string {
	t.Helper()
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != records || m.Runs != records {
		t.Fatalf("%d records, manifest %d runs; want %d", len(recs), m.Runs, records)
	}
	sum, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Report(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Markdown != string(sum) {
		t.Errorf("Report differs from summary.md:\n%s\n---\n%s", rep.Markdown, sum)
	}
	for _, c := range charts {
		f, err := os.Open(filepath.Join(dir, c+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("%s.png: %v", c, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, c+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(b))
		elems := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s.svg: %v", c, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if elems == 0 && se.Name.Local != "svg" {
					t.Errorf("%s.svg: root %s", c, se.Name.Local)
				}
				elems++
			}
		}
		if elems < 10 {
			t.Errorf("%s.svg: %d elements", c, elems)
		}
		if !strings.Contains(string(sum), c+".png") {
			t.Errorf("summary does not link %s.png", c)
		}
	}
	return string(sum)
}

// withoutTimings reads a directory's records as id → record without the "timings" key.
func withoutTimings(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	recs, err := readRecords(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range recs {
		var m map[string]any
		if err := json.Unmarshal(r.Data, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["timings"]; !ok {
			t.Fatalf("record %s has no timings", r.ID)
		}
		delete(m, "timings")
		out[r.ID] = m
	}
	return out
}

func sameRecords(t *testing.T, a, b map[string]map[string]any) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d records against %d", len(a), len(b))
	}
	for id, ra := range a {
		ja, _ := json.Marshal(ra)
		jb, _ := json.Marshal(b[id])
		if !bytes.Equal(ja, jb) {
			t.Errorf("record %s differs:\n%s\n%s", id, ja, jb)
		}
	}
}

func TestExperimentGames(t *testing.T) {
	c, err := NewGamesConfig(gamesDir, []string{"prisoner_dilemma", "escalation"}, []string{"raw", "prompted"}, 1, 1, 7, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.MessageChars, c.ReasonChars = 8, 8
	dir := t.TempDir()
	var progress bytes.Buffer
	out, err := RunGames(context.Background(), tiny(t), c, Options{Dir: dir, Parallel: 2, ModelSHA256: "abc", Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	// prisoner_dilemma: 2 modes × (0 and 1 rounds); escalation: 2 modes, no negotiation.
	if out.Total != 6 || out.Done != 6 {
		t.Errorf("outcome %+v", out)
	}
	sum := checkOutput(t, dir, 6, "equilibrium_rate")
	for _, want := range []string{"| prisoner_dilemma | simultaneous |", "| escalation | sequential |", "raw + talk (1)", "**average**"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	if !strings.Contains(progress.String(), "6/6 runs") {
		t.Errorf("progress: %q", progress.String())
	}
	// The same experiment again is refused without --resume; a resume of a finished one
	// runs nothing; another experiment is refused.
	if _, err := RunGames(context.Background(), tiny(t), c, Options{Dir: dir, ModelSHA256: "abc"}); !errors.Is(err, ErrOutDir) {
		t.Errorf("rerun without resume: %v", err)
	}
	out, err = RunGames(context.Background(), tiny(t), c, Options{Dir: dir, ModelSHA256: "abc", Resume: true})
	if err != nil || out.Done != 0 || out.Skipped != 6 {
		t.Errorf("resume of a finished run: %+v, %v", out, err)
	}
	c2, _ := NewGamesConfig(gamesDir, []string{"stag_hunt"}, []string{"raw"}, 1, 0, 7, 0.8)
	if _, err := RunGames(context.Background(), tiny(t), c2, Options{Dir: dir, ModelSHA256: "abc", Resume: true}); !errors.Is(err, ErrOutDir) {
		t.Errorf("another experiment's directory: %v", err)
	}
}

// An interrupted run, resumed, gives exactly the records of an uninterrupted one (but for
// the timings), and a record cut short by a crash is dropped and run again.
func TestExperimentResume(t *testing.T) {
	c, err := NewDondConfig("testdata/dond_small.txt", []Pairing{{"workflow", "raw"}, {"raw", "raw"}}, 1, 0, 2, 3, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.MessageChars = 8
	full := t.TempDir()
	if _, err := RunDond(context.Background(), tiny(t), c, Options{Dir: full}); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, full, 4, "dond_scores")

	part := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	out, err := RunDond(ctx, tiny(t), c, Options{Dir: part, OnRecord: func(string) {
		if n++; n == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || out.Done != 2 {
		t.Fatalf("interrupted run: %+v, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(part, SummaryFile)); err == nil {
		t.Error("an interrupted run wrote a summary")
	}
	// A crash in the middle of writing a record leaves a line without its newline.
	f, err := os.OpenFile(filepath.Join(part, RecordsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"raw-raw/0004/001","experi`)
	f.Close()
	out, err = RunDond(context.Background(), tiny(t), c, Options{Dir: part, Resume: true})
	if err != nil || out.Skipped != 2 || out.Done != 2 {
		t.Fatalf("resume: %+v, %v", out, err)
	}
	checkOutput(t, part, 4, "dond_scores")
	sameRecords(t, withoutTimings(t, full), withoutTimings(t, part))
}

func TestExperimentDond(t *testing.T) {
	c, err := NewDondConfig("testdata/dond_small.txt", nil, 1, 0, 2, 5, 0.8)
	if !errors.Is(err, ErrInput) {
		t.Errorf("no pairings: %v", err)
	}
	c, err = NewDondConfig("testdata/dond_small.txt", DefaultPairings, 1, 1, 2, 5, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.MessageChars = 8
	dir := t.TempDir()
	if _, err := RunDond(context.Background(), tiny(t), c, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sum := checkOutput(t, dir, 4, "dond_scores")
	for _, want := range []string{"| workflow-workflow | 1 |", "| raw-raw | 1 |", "**best** (solver, 1 dialogues)", "| 8.00 | 6.00 | 1.00 | 1.00 | 14.00 |",
		"## Meta-game", "| Alice \\ Bob | workflow | raw |", "Equilibria (solver method"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

// The reference row of testdata/dond_small.txt, by hand: line 1 (one book, hat and ball;
// Alice values 4/4/2, Bob 2/2/6): each item to the player who values it more, Alice the
// book and the hat (8), Bob the ball (6), is envy-free (Alice: 8 ≥ 2, Bob: 6 ≥ 4) and the
// only split of total 14. Line 3 (one book worth 10 to both) has no envy-free split. Line 4
// (2 books, 2 hats, 2 balls; Alice 1/2/2, Bob 4/1/0): Bob the books (8), Alice the hats and
// balls (8), envy-free (Alice: 8 ≥ 2; Bob: 8 ≥ 2), total 16. Means: Alice 8, Bob 7, total 15.
func TestExperimentBestOnly(t *testing.T) {
	ds, lines, err := LoadDialogues("testdata/dond_small.txt")
	if err != nil {
		t.Fatal(err)
	}
	if lines != 3 || len(ds) != 2 || ds[0].Setup.Line != 1 || ds[1].Setup.Line != 4 {
		t.Fatalf("%d lines, dialogues %v", lines, ds)
	}
	if got, want := BestRow(ds), (BestRowResult{Dialogues: 2, Alice: 8, Bob: 7, Total: 15}); got != want {
		t.Errorf("best row %+v, want %+v", got, want)
	}
	ds, lines, err = LoadDialogues("")
	if err != nil || lines != 50 || len(ds) != 44 {
		t.Errorf("built-in sample: %d lines, %d counted, %v (the paper counts 44 of 50)", lines, len(ds), err)
	}
}

func TestExperimentGtalign(t *testing.T) {
	c, err := NewGtalignConfig("testdata/prompts_small.jsonl", []string{"../../configs/pricing.toml", "../../configs/experiments/pricing_provider.toml"}, "welfare", nil, 1, 2, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	c.SetLimits(limitsForTest, 0)
	dir := t.TempDir()
	if _, err := RunGtalign(context.Background(), tiny(t), c, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	sum := checkOutput(t, dir, 4, "action_distribution")
	for _, want := range []string{"| pricing | 2 |", "| pricing_provider | 2 |", "## Action distribution per pricing", "| pricing | 1 of 2 |", "tokens/s"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	recs, err := readRecords(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := decodeRecords[GtalignRecord](recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if (r.Quality != nil) != (r.PromptID == "capital") || r.Score.Terms.TotalWords == 0 || r.Transcript == "" || r.Usage.CompletionTokens == 0 {
			t.Errorf("record %s: quality %v, terms %+v", r.ID, r.Quality, r.Score.Terms)
		}
	}
}

func TestExperimentBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name string
		err  func() error
		want string
	}{
		{"prompts missing", func() error { _, err := LoadPrompts(filepath.Join(dir, "none.jsonl")); return err }, "no such file"},
		{"prompts malformed", func() error {
			_, err := LoadPrompts(write("p.jsonl", "{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\"\n"))
			return err
		}, "p.jsonl:3:"},
		{"prompts unknown key", func() error {
			_, err := LoadPrompts(write("q.jsonl", "{\"prompt\": \"a\", \"answer\": \"b\"}\n"))
			return err
		}, "q.jsonl:1:"},
		{"prompts empty prompt", func() error { _, err := LoadPrompts(write("r.jsonl", "{\"id\": \"x\"}\n")); return err }, "r.jsonl:1: no \"prompt\""},
		{"prompts duplicate id", func() error {
			_, err := LoadPrompts(write("s.jsonl", "{\"id\": \"x\", \"prompt\": \"a\"}\n{\"id\": \"x\", \"prompt\": \"b\"}\n"))
			return err
		}, "s.jsonl:2: id \"x\" is used on line 1"},
		{"data missing", func() error { _, _, err := LoadDialogues(filepath.Join(dir, "none.txt")); return err }, "no such file"},
		{"data malformed", func() error {
			good, _ := os.ReadFile("testdata/dond_small.txt")
			_, _, err := LoadDialogues(write("d.txt", string(good)+"<input> 1 2 </input>\n"))
			return err
		}, "d.txt:5:"},
		{"unknown game", func() error {
			_, err := NewGamesConfig(gamesDir, []string{"prisoners_dilemma"}, []string{"raw"}, 1, 0, 1, 0)
			return err
		}, "unknown game"},
		{"unknown mode", func() error {
			_, err := NewGamesConfig(gamesDir, []string{"stag_hunt"}, []string{"smart"}, 1, 0, 1, 0)
			return err
		}, "unknown mode"},
		{"unknown pairing", func() error { _, err := ParsePairings("workflow-raw,clever-raw"); return err }, "unknown pairing \"clever-raw\""},
		{"bad pairing", func() error { _, err := ParsePairings("workflow"); return err }, "unknown pairing \"workflow\""},
		{"no runs", func() error {
			_, err := NewGamesConfig(gamesDir, []string{"stag_hunt"}, []string{"raw"}, 0, 0, 1, 0)
			return err
		}, "0 runs"},
	} {
		err := tt.err()
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want ErrInput and %q", tt.name, err, tt.want)
		}
	}
	// A directory with records but no manifest is refused.
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o755)
	write("out/records.jsonl", "{\"id\":\"x\"}\n")
	c, err := NewGamesConfig(gamesDir, []string{"stag_hunt"}, []string{"raw"}, 1, 0, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunGames(context.Background(), tiny(t), c, Options{Dir: out, Resume: true}); !errors.Is(err, ErrOutDir) {
		t.Errorf("records without a manifest: %v", err)
	}
}

func TestOverlap(t *testing.T) {
	for _, tt := range []struct {
		resp, ref string
		want      float64
	}{
		{"Paris is the capital of France.", "paris is the capital of france", 1},
		{"", "Paris", 0},
		{"London", "Paris", 0},
		// 2 common words of 4 and of 2: precision 0.5, recall 1.
		{"the answer is Paris", "answer Paris", 0.6667},
		// Multisets: "a a" against "a": precision 0.5, recall 1.
		{"a a", "a", 0.6667},
	} {
		if got := Overlap(tt.resp, tt.ref); got != tt.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tt.resp, tt.ref, got, tt.want)
		}
	}
}

func TestExpandGames(t *testing.T) {
	got := ExpandGames([]string{"default", "perturbed", "stag_hunt", "my.toml"})
	if len(got) != 19 || got[0] != "prisoner_dilemma" || got[5] != "escalation" || got[10] != "prisoner_dilemma_large" || got[18] != "my.toml" {
		t.Errorf("%v", got)
	}
}

// limitsForTest keeps the tiny model's GTAlign blocks short.
var limitsForTest = gtalign.Limits{ThinkingChars: 40, ResponseChars: 60, QuestionChars: 40}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/solver"
)

const gamesDir = "../../../configs/games"

// startDaemon runs nashd in-process, without a model, on a config directory holding the
// shipped games, and returns its socket.
func startDaemon(t *testing.T) string {
	t.Helper()
	files := shippedGames(t)
	files["models.toml"] = ""
	_, sock := runDaemon(t, files, false)
	return sock
}

type result struct {
	code           int
	stdout, stderr string
}

func nash(args ...string) result {
	var o, e bytes.Buffer
	code := Run(context.Background(), args, nil, &o, &e)
	return result{code, o.String(), e.String()}
}

// TestRemoteSolveMatchesLocal: for every shipped game and every method (the default, each of
// solver.Methods and an unknown one), solving through the daemon prints what solving in
// process prints: the same JSON report (beside the daemon's provenance), the same text with
// the payoff table (the header naming nashd), or the same error.
func TestRemoteSolveMatchesLocal(t *testing.T) {
	sock := startDaemon(t)
	files, _ := filepath.Glob(filepath.Join(gamesDir, "*.toml"))
	methods := append([]string{"", "nope"}, solver.Methods...)
	solved, failed := 0, 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		for _, m := range methods {
			for _, ref := range []string{name, file} { // a configured game's name, and a file sent inline
				local := nash("solve", file, "--method", m, "--json")
				remote := nash("solve", ref, "--remote", "--socket", sock, "--method", m, "--json")
				what := "nash solve " + ref + " --remote --method " + m
				if local.code != 0 {
					failed++
					if remote.code != local.code || remote.stderr != local.stderr || remote.stdout != "" {
						t.Errorf("%s --json: exit %d, stderr %q; locally exit %d, stderr %q", what, remote.code, remote.stderr, local.code, local.stderr)
					}
					continue
				}
				solved++
				var answer struct {
					Report json.RawMessage `json:"report"`
					Nashd  struct {
						GameFile string `json:"game_file"`
					} `json:"nashd"`
				}
				if remote.code != 0 || json.Unmarshal([]byte(remote.stdout), &answer) != nil {
					t.Errorf("%s --json: exit %d\n%s%s", what, remote.code, remote.stdout, remote.stderr)
					continue
				}
				if string(answer.Report)+"\n" != local.stdout {
					t.Errorf("%s --json: report\n%s\nlocally\n%s", what, answer.Report, local.stdout)
				}
				if wantFile := "games/" + name + ".toml"; ref == name && answer.Nashd.GameFile != wantFile {
					t.Errorf("%s --json: game_file %q, want %q", what, answer.Nashd.GameFile, wantFile)
				}
				localText := nash("solve", file, "--method", m)
				remoteText := nash("solve", ref, "--remote", "--socket", sock, "--method", m)
				header := "game:    " + gameName(t, local.stdout)
				got := strings.Replace(remoteText.stdout, header+" (solved by nashd)\n", header+"\n", 1)
				if localText.code != 0 || remoteText.code != 0 || got != localText.stdout || got == remoteText.stdout {
					t.Errorf("%s: exit %d\n%s%s\nlocally exit %d\n%s%s", what, remoteText.code, remoteText.stdout, remoteText.stderr,
						localText.code, localText.stdout, localText.stderr)
				}
			}
		}
	}
	if solved == 0 || failed == 0 {
		t.Errorf("%d solves and %d errors: the table must cover both", solved, failed)
	}
}

func gameName(t *testing.T, report string) string {
	var r struct {
		Game string `json:"game"`
	}
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatalf("report %s: %v", report, err)
	}
	return r.Game
}

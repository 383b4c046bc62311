package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nashd/nashd/reasoning/gtalign"
)

// smallGame is a valid GTAlign game with one user type and two strategies.
const smallGame = `
[[user_types]]
id = "Q"
name = "question"
description = "Any request."

[[strategies]]
id = "DA"
name = "direct answer"
form = "answer"
description = "Answer."

[[strategies]]
id = "CQ"
name = "clarifying question"
form = "question"
description = "Ask."
`

func TestGTAlignShipped(t *testing.T) {
	s, err := Load("../../configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.GTAlign == nil || !slices.Equal(s.GTAlign.Game().Keys(), gtalign.Default().Keys()) {
		t.Fatalf("shipped gtalign.toml: %+v", s.GTAlign)
	}
	if v := s.GameVersion(); !strings.HasPrefix(v, "gtalign.toml@") || strings.HasSuffix(v, "@builtin") {
		t.Errorf("GameVersion = %q", v)
	}
	r := s.Daemon.Reasoning
	if r.Mode != "none" || r.AnalyzeBy != "model" || r.Game != GTAlignFile || r.StateDir != "" {
		t.Errorf("shipped [reasoning]: %+v", r)
	}
}

func TestGTAlignDefaults(t *testing.T) {
	s, err := Load(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.GTAlign == nil || !slices.Equal(s.GTAlign.Game().Keys(), gtalign.Default().Keys()) || s.GameVersion() != "gtalign.toml@builtin" {
		t.Errorf("without gtalign.toml: game %v, version %s", s.GTAlign, s.GameVersion())
	}
}

func TestGTAlignCustomPath(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	outside := filepath.Join(other, "my-game.toml")
	write(t, other, "my-game.toml", smallGame)
	write(t, dir, "sub/game.toml", smallGame)
	for _, tc := range []struct{ setting, key string }{
		{"sub/game.toml", "sub/game.toml"},
		{outside, outside},
	} {
		write(t, dir, "nashd.toml", "[reasoning]\ngame = \""+tc.setting+"\"\n")
		s, err := Load(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.GTAlignFile != tc.key || !slices.Equal(s.GTAlign.Game().Keys(), []string{"Q_DA", "Q_CQ"}) || s.Files[tc.key].Version == "" {
			t.Errorf("game = %q: file %q, keys %v, files %v", tc.setting, s.GTAlignFile, s.GTAlign.Game().Keys(), s.Files)
		}
	}

	// The store notices an edit of a game file outside the directory (the poll's check) and
	// reloads it.
	st, err := Open(dir, StoreOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if st.stale() {
		t.Fatal("stale right after opening")
	}
	old := st.Current().GameVersion()
	write(t, other, "my-game.toml", strings.Replace(smallGame, "Answer.", "Answer at once.", 1))
	if !st.stale() {
		t.Error("an edit of the outside game file is not seen")
	}
	if changed, err := st.Reload("test"); !changed || err != nil || st.Current().GameVersion() == old {
		t.Errorf("Reload = %v, %v; version %s (was %s)", changed, err, st.Current().GameVersion(), old)
	}
}

func TestGTAlignErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		file  string // the file the error is recorded under
		want  string
	}{
		{"bad mode", map[string]string{"nashd.toml": "[reasoning]\nmode = \"magic\"\n"}, "nashd.toml", "reasoning.mode"},
		{"bad analyze_by", map[string]string{"nashd.toml": "[reasoning]\nanalyze_by = \"user\"\n"}, "nashd.toml", "reasoning.analyze_by"},
		{"empty game path", map[string]string{"nashd.toml": "[reasoning]\ngame = \"\"\n"}, "nashd.toml", "reasoning.game: empty"},
		{"game in games/", map[string]string{"nashd.toml": "[reasoning]\ngame = \"games/g.toml\"\n", "games/g.toml": smallGame}, "nashd.toml", "holds solver games"},
		{"missing custom game", map[string]string{"nashd.toml": "[reasoning]\ngame = \"mine.toml\"\n"}, "mine.toml", "no such file"},
		{"no strategies", map[string]string{"gtalign.toml": "[[user_types]]\nid = \"Q\"\nname = \"q\"\ndescription = \"d\"\n"}, "gtalign.toml", "strategies: no strategies"},
		{"unknown key", map[string]string{"gtalign.toml": "colour = 1\n" + smallGame}, "gtalign.toml", "gtalign.toml:1: unknown key colour"},
		{"bad id", map[string]string{"gtalign.toml": strings.Replace(smallGame, `"DA"`, `"D_A"`, 1)}, "gtalign.toml", "strategies[0].id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for f, c := range tc.files {
				write(t, dir, f, c)
			}
			_, err := Load(dir, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error %v, want it to contain %q", err, tc.want)
			}
			// In a reload, the old config stays and the error is shown under its file.
			empty := t.TempDir()
			st, err := Open(empty, StoreOptions{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			old := st.Current()
			for f, c := range tc.files {
				write(t, empty, f, c)
			}
			if changed, err := st.Reload("test"); changed || err == nil {
				t.Fatalf("Reload = %v, %v", changed, err)
			}
			if st.Current() != old || !strings.Contains(st.Errors()[tc.file], tc.want) {
				t.Errorf("after a bad reload: errors %v", st.Errors())
			}
		})
	}
}

// TestGTAlignReload: an edited game applies with its new version; a bad edit keeps the old.
func TestGTAlignReload(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "gtalign.toml", smallGame)
	st, err := Open(dir, StoreOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	v1 := st.Current().GameVersion()
	write(t, dir, "gtalign.toml", smallGame+"[payoff]\nmin = 0\nmax = 10\n")
	if changed, err := st.Reload("test"); !changed || err != nil {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	cur := st.Current()
	if cur.GameVersion() == v1 || cur.GTAlign.Game().Payoff != (gtalign.Range{Min: 0, Max: 10}) {
		t.Errorf("after the edit: version %s, payoff %+v", cur.GameVersion(), cur.GTAlign.Game().Payoff)
	}
	write(t, dir, "gtalign.toml", smallGame+"[payoff]\nmin = 3\nmax = 1\n")
	if changed, err := st.Reload("test"); changed || err == nil {
		t.Fatalf("Reload = %v, %v; want rejection", changed, err)
	}
	if st.Current() != cur || !strings.Contains(st.Errors()["gtalign.toml"], "payoff") {
		t.Errorf("bad edit: errors %v", st.Errors())
	}
}

func TestStateDir(t *testing.T) {
	dir := t.TempDir()
	s := &Snapshot{Dir: dir}
	s.Daemon.Reasoning.StateDir = "state"
	if got := s.StateDir(); got != filepath.Join(dir, "state") {
		t.Errorf("relative state_dir: %s", got)
	}
	s.Daemon.Reasoning.StateDir = "/var/lib/nashd"
	if got := s.StateDir(); got != "/var/lib/nashd" {
		t.Errorf("absolute state_dir: %s", got)
	}
	s.Daemon.Reasoning.StateDir = ""
	t.Setenv("XDG_STATE_HOME", "/xdg/state")
	if got := s.StateDir(); got != "/xdg/state/nashd" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if got := s.StateDir(); got != "/home/someone/.local/state/nashd" {
		t.Errorf("with HOME only: %s", got)
	}
}

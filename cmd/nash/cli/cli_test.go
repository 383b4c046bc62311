package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandTable: names are unique, every command answers --help with its usage (exit 0)
// and `nash help NAME` prints the same on stdout.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Commands {
		if seen[c.Name] {
			t.Errorf("command %q listed twice", c.Name)
		}
		seen[c.Name] = true
		if c.Summary == "" || c.Run == nil {
			t.Errorf("command %q lacks a summary or a Run", c.Name)
		}
		args := append(strings.Fields(c.Name), "--help")
		r := nash(args...)
		want := "usage: nash " + c.Name + " " + c.Usage + "\n\n" + c.Summary + "\n"
		if r.code != 0 || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("nash %s --help: exit %d, stderr %q, want it to start with %q", c.Name, r.code, r.stderr, want)
		}
		h := nash(append([]string{"help"}, strings.Fields(c.Name)...)...)
		if h.code != 0 || h.stdout != r.stderr {
			t.Errorf("nash help %s: exit %d, stdout %q, want %q", c.Name, h.code, h.stdout, r.stderr)
		}
		if !strings.Contains(nash("help").stdout, "  "+c.Name+" ") {
			t.Errorf("nash help does not list %q", c.Name)
		}
	}
}

func TestDispatch(t *testing.T) {
	noDaemon := filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{nil, 2, "commands:", ""},
		{[]string{"help"}, 0, "commands:", ""},
		{[]string{"bogus"}, 2, "", `nash: unknown command "bogus"`},
		{[]string{"model", "bogus"}, 2, "", `nash: unknown command "model bogus"`},
		{[]string{"status", "--socket", noDaemon}, 1, "", "nash status: nashd is not running on " + noDaemon},
		{[]string{"status", "extra"}, 2, "", "nash status: usage: unexpected argument \"extra\"\nusage: nash status"},
		{[]string{"games", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"chat", "--socket", noDaemon}, 2, "", "no message"},
	}
	for _, tt := range tests {
		r := nash(tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("nash %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), r.code, tt.code, r.stdout, r.stderr)
		}
	}
}

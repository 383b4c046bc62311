package lrsnash

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestRequire runs the test binary again with lrsnash hidden from $PATH: Require must fail
// naming lrsnash, or skip (and say so on stderr) with NASHD_SKIP_ORACLE=1.
func TestRequire(t *testing.T) {
	if os.Getenv("LRSNASH_REQUIRE_CHILD") == "1" {
		Require(t)
		return
	}
	for _, tc := range []struct {
		name, skip string
		fail       bool
		want       []string
	}{
		{"missing", "", true, []string{"--- FAIL: TestRequire", "lrsnash", Install, SkipEnv}},
		{"missing, other value", "yes", true, []string{"--- FAIL: TestRequire", "lrsnash"}},
		{"skipped", "1", false, []string{"--- SKIP: TestRequire", "SKIP TestRequire: lrsnash oracle not run", "lrsnash not found in $PATH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRequire$", "-test.v")
			cmd.Env = append(os.Environ(), "LRSNASH_REQUIRE_CHILD=1", "PATH="+t.TempDir(), SkipEnv+"="+tc.skip)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal: the skip notice stays in out
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.fail {
				t.Errorf("child failed = %v (%v), want %v; output:\n%s", failed, err, tc.fail, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if _, err := Path(); err == nil {
		if p := Require(t); p == "" {
			t.Error("Require with lrsnash installed returned no path")
		}
	}
}

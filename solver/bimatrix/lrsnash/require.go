package lrsnash

import (
	"fmt"
	"os"
	"testing"
)

// SkipEnv names the environment variable that lets tests run without lrsnash: with
// NASHD_SKIP_ORACLE=1, [Require] skips instead of failing.
const SkipEnv = "NASHD_SKIP_ORACLE"

// Install is the command that installs lrsnash on Debian and Ubuntu.
const Install = "apt-get install lrslib"

// Require returns the path of the lrsnash executable for a test that cross-checks against it.
// lrsnash is a requirement of nashd's tests (`make test` installs it where it can): when it is
// not in $PATH, Require fails the test, naming lrsnash and the command that installs it. Only
// with NASHD_SKIP_ORACLE=1 does it skip the test instead, and then it says so where it is
// seen without -v: on standard error and on the terminal.
func Require(t testing.TB) string {
	t.Helper()
	p, err := Path()
	if err == nil {
		return p
	}
	if os.Getenv(SkipEnv) == "1" {
		msg := fmt.Sprintf("lrsnash not found in $PATH and %s=1: skipping the cross-check against the lrsnash oracle (%s)", SkipEnv, Install)
		announceSkip(fmt.Sprintf("SKIP %s: lrsnash oracle not run (not in $PATH, %s=1)\n", t.Name(), SkipEnv))
		t.Skip(msg)
	}
	t.Fatalf("lrsnash, the oracle for two-player equilibria, is not in $PATH: install it (%s; `make test` does it as root) or set %s=1 to skip the cross-checks", Install, SkipEnv)
	return ""
}

// announceSkip prints a skip notice where it is seen without -v. It goes to standard error,
// which go test shows in local directory mode (plain `go test`); but for a package list
// (`go test ./...`) go test discards a passing package's output, so where standard error is
// not itself the terminal the notice also goes to the controlling terminal (/dev/tty), if the
// process has one. `make test` repeats the warning for runs without a terminal (CI).
func announceSkip(line string) {
	fmt.Fprint(os.Stderr, line)
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		fmt.Fprint(tty, line)
		tty.Close()
	}
}

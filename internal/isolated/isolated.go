// Package isolated runs a test alone in a child process of its test binary, for tests that
// change process-wide state that cannot be undone (GPU backend libraries, which ggml cannot
// unload), so the package's other tests run as they would without them.
package isolated

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// envVar names the test the child process runs.
const envVar = "NASHD_ISOLATED_TEST"

// Run reports whether the calling test should run its body here: true in the child process
// that runs it alone; false in the parent, after it has run that child (`-test.run` of this
// test only, verbose) and reported the child's result: a failure fails t with the child's
// output, a skip skips t with the child's skip messages, a pass logs the child's output.
// Call it first in a top-level test: if !isolated.Run(t) { return }.
func Run(t *testing.T) bool {
	t.Helper()
	if os.Getenv(envVar) == t.Name() {
		return true
	}
	args := []string{"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.v", "-test.count=1"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envVar+"="+t.Name())
	out, err := cmd.CombinedOutput()
	text := string(out)
	switch {
	case err != nil:
		t.Fatalf("%s in a child process: %v\n%s", t.Name(), err, text)
	case strings.Contains(text, "--- SKIP: "+t.Name()):
		t.Skipf("%s (in a child process): %s", t.Name(), strings.Join(skipReasons(text, t.Name()), "; "))
	case !strings.Contains(text, "--- PASS: "+t.Name()):
		t.Fatalf("%s in a child process: no result\n%s", t.Name(), text)
	default:
		t.Logf("%s passed in a child process:\n%s", t.Name(), text)
	}
	return false
}

// skipReasons returns the reasons of test name's skip in verbose test output: the indented
// lines of its block, from "=== RUN   name" to the lines after "--- SKIP: name" (go test
// prints a test's log before or after that line, depending on the version and nesting).
func skipReasons(output, name string) []string {
	var why []string
	in := false
	for _, l := range strings.Split(output, "\n") {
		switch {
		case l == "=== RUN   "+name || strings.HasPrefix(l, "--- SKIP: "+name+" "):
			in = true
		case strings.HasPrefix(l, " ") && in:
			why = append(why, strings.TrimSpace(l))
		default:
			in = false
		}
	}
	return why
}

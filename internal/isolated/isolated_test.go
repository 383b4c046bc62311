package isolated

import (
	"os"
	"testing"
)

// marker is set in the process that runs TestChild's body.
var marker = os.Getenv(envVar)

// TestChild runs its body in a child process: there, the environment names it.
func TestChild(t *testing.T) {
	if !Run(t) {
		return
	}
	if marker != t.Name() {
		t.Fatalf("body ran with %s=%q, want %q", envVar, marker, t.Name())
	}
}

// TestChildSkip: a skip in the child skips the parent.
func TestChildSkip(t *testing.T) {
	if !Run(t) {
		t.Error("the parent went on after a skipped child")
		return
	}
	t.Skip("skipped in the child")
}

func TestSkipReasons(t *testing.T) {
	for _, out := range []string{
		"=== RUN   TestA\n--- SKIP: TestA (0.00s)\n    a_test.go:9: SKIPPED (GPU test): not built\n    a_test.go:9: second\n--- SKIP: TestAB (0.00s)\n    x\nPASS\n",
		"=== RUN   TestA\n    a_test.go:9: SKIPPED (GPU test): not built\n    a_test.go:9: second\n--- SKIP: TestA (0.00s)\n=== RUN   TestAB\n    x\n--- SKIP: TestAB (0.00s)\nPASS\n",
	} {
		got := skipReasons(out, "TestA")
		if len(got) != 2 || got[0] != "a_test.go:9: SKIPPED (GPU test): not built" || got[1] != "a_test.go:9: second" {
			t.Errorf("skipReasons = %q in\n%s", got, out)
		}
	}
}

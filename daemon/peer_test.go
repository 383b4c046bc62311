package daemon_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPeerCredentials: with server.allowed_uids set, a client running as another uid is
// refused with 403 (SO_PEERCRED), while the daemon's own uid is served. It needs root (to
// run a client as uid 65534) and curl.
func TestPeerCredentials(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if os.Getuid() != 0 || err != nil {
		t.Skip("needs root and curl to run a client as another uid")
	}
	cfg := strings.Replace(testNashd, "[server]\n", "[server]\nsocket_mode = \"0666\"\nallowed_uids = [4242]\n", 1)
	h := startDaemon(t, map[string]string{"nashd.toml": cfg})
	if err := os.Chmod(filepath.Dir(h.sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := h.do("GET", "/health", nil); code != 200 {
		t.Fatalf("own uid refused: %d", code)
	}
	run := func(uid uint32) string {
		cmd := exec.Command(curl, "-s", "--unix-socket", h.sock, "-w", "\n%{http_code}", "http://nashd/health")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl as uid %d: %v %s", uid, err, out)
		}
		return string(out)
	}
	if out := run(65534); !strings.HasSuffix(out, "403") || !strings.Contains(out, "uid 65534 is not in server.allowed_uids") {
		t.Errorf("uid 65534: %s", out)
	}
	if out := run(4242); !strings.HasSuffix(out, "200") {
		t.Errorf("allowed uid 4242: %s", out)
	}
}

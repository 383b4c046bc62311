package daemon_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/inference/inferencetest"
)

// killNashd is the remote's nashd.toml: room for a generation far longer than the time it
// takes to kill the process.
var killNashd = strings.Replace(testNashd, "context_size = 256", "context_size = 4096", 1)

// startRemoteProc runs the nashd binary on dir (its nashd.toml listening on loopback TCP)
// and waits for its model; it returns the process and a harness on its socket.
func startRemoteProc(t *testing.T, dir, sock string) (*proc, *harness) {
	t.Helper()
	p := startProc(t, dir, sock)
	waitHealthy(t, sock, p)
	h := &harness{t: t, dir: dir, sock: sock, hc: unixClient(sock)}
	h.waitReady()
	return p, h
}

// TestRemoteKilled: the remote, a nashd process on loopback TCP, is killed (SIGKILL) while
// it streams a completion through the front. The client gets an error event naming the cut
// stream; the front stays healthy, says the remote is unreachable (/v1/status, /v1/models)
// and counts the faults (/metrics); a request meanwhile fails at once with a 502 naming the
// unreachable server; and once the remote is back on the same port the front serves through
// it again, without a restart or a reload.
func TestRemoteKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the nashd binary")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nashd.toml"), tcpConfig(killNashd))
	writeFile(t, filepath.Join(dir, "models.toml"), modelsTOML(tinyA))
	sock := filepath.Join(shortTemp(t), "r.sock")
	p, _ := startRemoteProc(t, dir, sock)
	addr := tcpAddr(t, p.out.String())
	url := "http://" + addr + "/v1"
	front := startDaemon(t, map[string]string{"models.toml": remoteModels(url)})

	// A long streamed generation; the remote dies after the first events reach the client.
	body, _ := json.Marshal(map[string]any{"model": "far", "prompt": "In a game", "max_tokens": 3000, "stream": true,
		"grammar": inferencetest.LongGrammar, "temperature": 1, "seed": 3})
	resp, err := front.hc.Post(front.url("/v1/completions"), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	var lines []string
	events, killed := 0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "data: ") {
			events++
		}
		if events == 3 && !killed {
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	resp.Body.Close()
	<-p.done
	all := strings.Join(lines, "\n")
	if !killed || !strings.Contains(all, `"code":"remote_error"`) || !strings.Contains(all, "stream cut") || strings.Contains(all, `"finish_reason":"length"`) {
		t.Fatalf("killed remote (after %d events): the client got no clear error:\n%s", events, all)
	}

	for _, l := range lines {
		if strings.Contains(l, `"error"`) {
			t.Logf("%d events in all (the kill after 3); the client read: %s", events, l)
		}
	}
	if code, _, b := front.do("GET", "/health", nil); code != 200 {
		t.Errorf("/health after the kill: %d %s", code, b)
	}
	short, _ := json.Marshal(map[string]any{"model": "far", "prompt": "Anyone there?", "max_tokens": 2})
	code, _, b := front.do("POST", "/v1/completions", short)
	if code != http.StatusBadGateway || !strings.Contains(string(b), "unreachable") || !strings.Contains(string(b), addr) {
		t.Errorf("request to the dead remote: %d %s; want a 502 naming the unreachable server", code, b)
	}
	t.Logf("meanwhile: %d %s", code, b)
	st := front.status()
	if r := st.Model.Serving; r == nil || r.Remote == nil || r.Remote.Reachable || r.Remote.Faults < 2 || !strings.Contains(r.Remote.LastError, "unreachable") {
		t.Errorf("/v1/status serving after the kill = %+v: want far, unreachable, 2 faults", r)
	}
	_, _, b = front.do("GET", "/v1/models", nil)
	var list api.List[api.ModelEntry]
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Data {
		if e.ID == "far" && (e.Remote == nil || e.Remote.Reachable) {
			t.Errorf("/v1/models far after the kill = %+v (remote %+v): want unreachable", e, e.Remote)
		}
	}
	if f := metricValue(t, front, "nashd_remote_faults_total"); f < 2 {
		t.Errorf("nashd_remote_faults_total = %v, want the cut stream and the refused request", f)
	}

	// The remote comes back on the same port: the front serves through it again.
	writeFile(t, filepath.Join(dir, "nashd.toml"), strings.Replace(tcpConfig(killNashd), "127.0.0.1:0", addr, 1))
	startRemoteProc(t, dir, sock)
	if code, _, b := front.do("POST", "/v1/completions", short); code != 200 {
		t.Errorf("request after the remote came back: %d %s", code, b)
	}
	if r := front.status().Model.Serving; r == nil || r.Remote == nil || !r.Remote.Reachable {
		t.Errorf("/v1/status serving after the remote came back = %+v: want reachable", r)
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/client"
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

// inflightProxy is an HTTP proxy on loopback TCP in front of a nashd's Unix socket. It
// counts the completions in flight at that nashd, and holds the first gate of them (each
// for at most gateWait) until gate are in flight at once: a client that keeps gate requests
// in flight passes at once and the peak is gate; one that keeps fewer waits and peaks lower.
type inflightProxy struct {
	url string

	mu                    sync.Mutex
	cur, peak, gate, seen int
	open                  chan struct{}
	waited                bool // a request gave up waiting at the gate
}

const gateWait = 10 * time.Second

func newInflightProxy(t *testing.T, sock string) *inflightProxy {
	p := &inflightProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "nashd" },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}, MaxIdleConnsPerHost: 16},
		FlushInterval: -1,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/completions" {
			p.enter()
			dw := &doneWriter{ResponseWriter: w, leave: p.leave}
			defer dw.done()
			w = dw
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL + "/v1"
	return p
}

// doneWriter calls leave once, just before the stream's last event ("data: [DONE]") goes
// out, or when the response ends: the client sees the request finished at [DONE], and may
// send its next one while the server is still closing the response.
type doneWriter struct {
	http.ResponseWriter
	leave func()
	once  sync.Once
}

func (d *doneWriter) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("data: [DONE]")) {
		d.done() // before the client can see it and send its next request
	}
	return d.ResponseWriter.Write(b)
}

func (d *doneWriter) done() { d.once.Do(d.leave) }

// Flush and Unwrap let the proxy flush each event.
func (d *doneWriter) Flush()                      { http.NewResponseController(d.ResponseWriter).Flush() }
func (d *doneWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// reset starts a count with a gate of n.
func (p *inflightProxy) reset(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.peak, p.gate, p.seen, p.open, p.waited = 0, 0, n, 0, make(chan struct{}), false
}

func (p *inflightProxy) enter() {
	p.mu.Lock()
	p.cur++
	p.peak = max(p.peak, p.cur)
	p.seen++
	gated := p.seen <= p.gate
	if p.cur == p.gate {
		select {
		case <-p.open:
		default:
			close(p.open)
		}
	}
	open := p.open
	p.mu.Unlock()
	if gated {
		select {
		case <-open:
		case <-time.After(gateWait):
			p.mu.Lock()
			p.waited = true
			p.mu.Unlock()
		}
	}
}

func (p *inflightProxy) leave() {
	p.mu.Lock()
	p.cur--
	p.mu.Unlock()
}

// counts returns the peak in flight, the completions seen and whether one waited out the gate.
func (p *inflightProxy) counts() (peak, seen int, waited bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak, p.seen, p.waited
}

// TestExperimentThroughRemote: `nash experiment games --parallel N --socket FRONT`, where the
// front nashd's model lives on a remote nashd with four slots (reached over loopback TCP
// through a proxy that counts the completions in flight there), keeps exactly N requests in
// flight at the remote for N = 1, 2 and 4, and records every run.
func TestExperimentThroughRemote(t *testing.T) {
	model := tinyModelFile(t, t.TempDir())
	_, bsock := runDaemon(t, map[string]string{
		"nashd.toml":  "[inference]\nthreads = 1\ncontext_size = 4096\nslots = 4\n[log]\nlevel = \"warn\"\n",
		"models.toml": fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n", model)}, true)
	proxy := newInflightProxy(t, bsock)
	_, fsock := runDaemon(t, map[string]string{
		"nashd.toml":  "[log]\nlevel = \"warn\"\n",
		"models.toml": fmt.Sprintf("default = \"far\"\n[models.far]\nurl = %q\nserved_name = \"tiny\"\ndialect = \"nashd\"\nmax_concurrency = 4\n", proxy.url)}, true)
	st, err := client.New(fsock).Status(context.Background())
	if err != nil || st.Model.Serving == nil || st.Model.Serving.Remote == nil {
		t.Fatalf("the front does not serve the remote model: %+v %v", st.Model.Serving, err)
	}
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("parallel", n), func(t *testing.T) {
			proxy.reset(n)
			out := filepath.Join(t.TempDir(), "games")
			runs := 2 * n
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"experiment", "games", "--games", "prisoner_dilemma", "--modes", "raw",
				"--runs", fmt.Sprint(runs), "--rounds", "0", "--games-dir", gamesDir, "--out", out, "--socket", fsock,
				"--parallel", fmt.Sprint(n), "--message-chars", "8", "--reason-chars", "8"}, nil, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
			}
			recs, err := os.ReadFile(filepath.Join(out, "records.jsonl"))
			if err != nil || strings.Count(string(recs), "\n") != runs {
				t.Fatalf("records (want %d): %v\n%s", runs, err, recs)
			}
			peak, seen, waited := proxy.counts()
			if peak != n || waited {
				t.Errorf("--parallel %d: at most %d completions in flight at the remote (of %d; waited out the gate: %v)", n, peak, seen, waited)
			}
		})
	}
}

package daemon_test

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
)

// buildNashd builds cmd/nashd once for the process tests.
var buildNashd = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "nashd-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nashd")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/nashd/nashd/cmd/nashd").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

type proc struct {
	cmd  *exec.Cmd
	out  *syncWriter
	done chan error
}

func startProc(t *testing.T, dir, sock string) *proc {
	t.Helper()
	bin, err := buildNashd()
	if err != nil {
		t.Fatalf("building nashd: %v", err)
	}
	p := &proc{cmd: exec.Command(bin, "--config", dir, "--socket", sock, "--log-format", "json"), out: &syncWriter{w: &bytes.Buffer{}}, done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(limit):
		p.cmd.Process.Kill()
		t.Fatalf("nashd did not exit within %v; output:\n%s", limit, p.out.String())
		return nil
	}
}

func waitHealthy(t *testing.T, sock string, p *proc) {
	t.Helper()
	hc := unixClient(sock)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := hc.Get("http://nashd/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("nashd exited: %v\n%s", err, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("nashd not healthy; output:\n%s", p.out.String())
}

func TestProcessLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the nashd binary")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nashd.toml"), strings.Replace(testNashd, "context_size = 256", "context_size = 2048", 1))
	writeFile(t, filepath.Join(dir, "models.toml"), modelsTOML(tinyA))
	sock := filepath.Join(shortTemp(t), "n.sock")

	bin, err := buildNashd()
	if err != nil {
		t.Fatal(err)
	}
	help, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "usage: nashd [--config DIR]") || !strings.Contains(string(help), "-log-format") {
		t.Errorf("nashd --help: %v\n%s", err, help)
	}
	if err := exec.Command(bin, "--bogus").Run(); err == nil {
		t.Error("nashd --bogus exited 0")
	}

	a := startProc(t, dir, sock)
	waitHealthy(t, sock, a)
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", st.Mode(), err)
	}

	t.Run("second daemon refuses", func(t *testing.T) {
		b := startProc(t, dir, sock)
		err := b.wait(t, 30*time.Second)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("second nashd: %v, want exit 1", err)
		}
		if !strings.Contains(b.out.String(), "another nashd is listening on "+sock) {
			t.Errorf("second nashd said: %s", b.out.String())
		}
	})

	t.Run("SIGTERM during a request", func(t *testing.T) {
		hc := unixClient(sock)
		resp, err := hc.Post("http://nashd/v1/chat/completions", "application/json", strings.NewReader(
			`{"messages":[{"role":"user","content":"go"}],"stream":true,"max_tokens":1900,"temperature":0,"grammar":"root ::= [a-z]{1900,}"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "data: {") {
			t.Fatalf("first event %q %v", l, err)
		}
		if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		var last []string
		for {
			l, err := br.ReadString('\n')
			if strings.HasPrefix(l, "data: ") {
				last = append(last, strings.TrimSpace(l))
			}
			if err != nil {
				break
			}
		}
		if len(last) == 0 || last[len(last)-1] != "data: [DONE]" {
			t.Fatalf("stream did not complete after SIGTERM; ended with %v", last[max(0, len(last)-2):])
		}
		if !strings.Contains(last[len(last)-2], `"finish_reason":"length"`) {
			t.Errorf("final chunk %s", last[len(last)-2])
		}
		// The request was still generating when the signal came.
		if len(last) < 50 {
			t.Errorf("only %d events after SIGTERM: the request was not in flight", len(last))
		}
		t.Logf("%d events streamed after SIGTERM", len(last))
		if err := a.wait(t, 30*time.Second); err != nil {
			t.Fatalf("nashd exit: %v\n%s", err, a.out.String())
		}
		if _, err := os.Lstat(sock); !os.IsNotExist(err) {
			t.Errorf("socket %s left behind: %v", sock, err)
		}
	})

	t.Run("stale socket file", func(t *testing.T) {
		// A socket file nobody listens on, as a crashed daemon leaves it.
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		l.SetUnlinkOnClose(false)
		l.Close()
		if _, err := os.Lstat(sock); err != nil {
			t.Fatal("stale socket not created")
		}
		c := startProc(t, dir, sock)
		waitHealthy(t, sock, c)
		c.cmd.Process.Signal(syscall.SIGINT)
		if err := c.wait(t, 30*time.Second); err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	})
}

func TestListenUnix(t *testing.T) {
	d := shortTemp(t)
	sock := filepath.Join(d, "x.sock")
	l, err := daemon.ListenUnix(sock, 0o660, "")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(sock); st.Mode().Perm() != 0o660 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := daemon.ListenUnix(sock, 0o600, ""); err == nil || !strings.Contains(err.Error(), "another nashd is listening on "+sock) {
		t.Errorf("second listener: %v", err)
	}
	l.Close()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket not removed on close")
	}
	// A regular file in the way is never removed.
	writeFile(t, sock, "precious")
	if _, err := daemon.ListenUnix(sock, 0o600, ""); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v", err)
	}
	if _, err := daemon.ListenTCP("0.0.0.0:0"); err == nil {
		t.Error("ListenTCP accepted a non-loopback address")
	}
	tl, err := daemon.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl.Close()
}

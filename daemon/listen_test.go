package daemon

import (
	"testing"

	"github.com/nashd/nashd/daemon/config"
)

func TestSocketPath(t *testing.T) {
	tests := []struct {
		name                     string
		override, env, xdg, conf string
		want                     string
	}{
		{"--socket first", "/a.sock", "/env.sock", "/run", "c.sock", "/a.sock"},
		{"then $NASHD_SOCKET", "", "/env.sock", "/run", "c.sock", "/env.sock"},
		{"then server.socket, relative to the config dir", "", "", "/run", "c.sock", "/cfg/c.sock"},
		{"absolute server.socket", "", "", "/run", "/abs/c.sock", "/abs/c.sock"},
		{"then $XDG_RUNTIME_DIR", "", "", "/run", "", "/run/nashd.sock"},
		{"then the config dir", "", "", "", "", "/cfg/nashd.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NASHD_SOCKET", tt.env)
			t.Setenv("XDG_RUNTIME_DIR", tt.xdg)
			snap := &config.Snapshot{Dir: "/cfg"}
			snap.Daemon.Server.Socket = tt.conf
			if got := SocketPath(tt.override, snap); got != tt.want {
				t.Errorf("SocketPath = %q, want %q", got, tt.want)
			}
		})
	}
}

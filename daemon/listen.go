package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/paths"
	"golang.org/x/sys/unix"
)

// ErrAlreadyRunning means another daemon answers on the socket path.
var ErrAlreadyRunning = errors.New("another nashd is listening")

// SocketPath resolves the daemon's socket path: the override (--socket) if set, else
// $NASHD_SOCKET, else server.socket (relative to the config dir), else
// [paths.DefaultSocket]: $XDG_RUNTIME_DIR/nashd.sock, else nashd.sock in the config dir.
// Clients look in the same places (package paths), all but server.socket.
func SocketPath(override string, snap *config.Snapshot) string {
	switch {
	case override != "":
		return override
	case paths.EnvSocket() != "":
		return paths.EnvSocket()
	case snap.Daemon.Server.Socket != "":
		p := snap.Daemon.Server.Socket
		if !filepath.IsAbs(p) {
			p = filepath.Join(snap.Dir, p)
		}
		return p
	}
	return paths.DefaultSocket(snap.Dir)
}

// ListenUnix listens on a Unix socket at path with the given permission bits and optional
// group (name or gid). An existing socket file is dialed first: if a daemon answers, it
// fails with ErrAlreadyRunning; a dead socket file is removed. The returned listener
// removes the socket file when closed.
func ListenUnix(path string, mode os.FileMode, group string) (*net.UnixListener, error) {
	if len(path) > 107 {
		return nil, fmt.Errorf("socket path %s is longer than the 107 bytes Unix sockets allow", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%w on %s", ErrAlreadyRunning, path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%s exists and cannot be probed (%v); remove it if no nashd runs", path, err)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing stale socket %s: %w", path, err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(true)
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	if group != "" {
		gid, err := lookupGroup(group)
		if err == nil {
			err = os.Chown(path, -1, gid)
		}
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("socket group %q: %w", group, err)
		}
	}
	return l, nil
}

func lookupGroup(g string) (int, error) {
	if n, err := strconv.Atoi(g); err == nil {
		return n, nil
	}
	gr, err := user.LookupGroup(g)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(gr.Gid)
}

// ListenTCP listens on a loopback TCP address; any other address is refused.
func ListenTCP(addr string) (net.Listener, error) {
	if err := config.CheckLoopback(addr); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if a, ok := l.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		l.Close()
		return nil, fmt.Errorf("%s resolved to a non-loopback address", addr)
	}
	return l, nil
}

type peerKey struct{}

type peerCred struct {
	uid uint32
	ok  bool
}

// peerConnContext records a Unix connection's peer uid (SO_PEERCRED) in its context.
func peerConnContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return context.WithValue(ctx, peerKey{}, peerCred{})
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return context.WithValue(ctx, peerKey{}, peerCred{})
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return context.WithValue(ctx, peerKey{}, peerCred{})
	}
	return context.WithValue(ctx, peerKey{}, peerCred{uid: cred.Uid, ok: true})
}

func peerUID(ctx context.Context) (uint32, bool) {
	p, _ := ctx.Value(peerKey{}).(peerCred)
	return p.uid, p.ok
}

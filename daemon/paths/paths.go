// Package paths holds nashd's default locations, shared by the daemon (nashd) and its clients
// (nash, package daemon/client) so that both find the same socket without flags.
//
// # Lookup order
//
// The configuration directory: --config, else $NASHD_CONFIG, else ./configs when it holds
// nashd.toml, else nashd/ in the user's config directory ($XDG_CONFIG_HOME or ~/.config).
//
// The socket, for nashd: --socket, else $NASHD_SOCKET, else server.socket in nashd.toml
// (relative to the config directory), else $XDG_RUNTIME_DIR/nashd.sock, else nashd.sock in the
// config directory. For nash: --socket, else $NASHD_SOCKET, else the same defaults with the
// default config directory (nash does not read nashd.toml: when server.socket is set, pass
// --socket or set $NASHD_SOCKET).
package paths

import (
	"os"
	"path/filepath"
)

// Environment variables that override the defaults.
const (
	// ConfigEnv names the configuration directory.
	ConfigEnv = "NASHD_CONFIG"
	// SocketEnv names the socket, for the daemon and its clients alike.
	SocketEnv = "NASHD_SOCKET"
)

// SocketName is the socket's file name in the default locations.
const SocketName = "nashd.sock"

// ConfigDir returns the default configuration directory: $NASHD_CONFIG, else "configs" when
// ./configs/nashd.toml exists, else nashd/ in the user's config directory, else "configs".
func ConfigDir() string {
	if d := os.Getenv(ConfigEnv); d != "" {
		return d
	}
	if _, err := os.Stat(filepath.Join("configs", "nashd.toml")); err == nil {
		return "configs"
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "nashd")
	}
	return "configs"
}

// EnvSocket returns $NASHD_SOCKET ("" when unset).
func EnvSocket() string { return os.Getenv(SocketEnv) }

// DefaultSocket returns the socket used when nothing names one: $XDG_RUNTIME_DIR/nashd.sock,
// else nashd.sock in configDir.
func DefaultSocket(configDir string) string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, SocketName)
	}
	return filepath.Join(configDir, SocketName)
}

// ClientSocket returns the socket a client dials when no flag names one: $NASHD_SOCKET, else
// DefaultSocket(ConfigDir()).
func ClientSocket() string {
	if s := EnvSocket(); s != "" {
		return s
	}
	return DefaultSocket(ConfigDir())
}

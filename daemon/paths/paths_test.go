package paths

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLookupOrder(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	home := filepath.Join(dir, "home")
	t.Setenv("XDG_CONFIG_HOME", home)
	userDir := filepath.Join(home, "nashd")
	tests := []struct {
		name                 string
		config, socket, xdg  string
		configsDir           bool // ./configs/nashd.toml exists
		wantConfig, wantSock string
	}{
		{"nothing set", "", "", "", false, userDir, filepath.Join(userDir, SocketName)},
		{"./configs", "", "", "", true, "configs", filepath.Join("configs", SocketName)},
		{"NASHD_CONFIG wins over ./configs", "/etc/nashd", "", "", true, "/etc/nashd", "/etc/nashd/" + SocketName},
		{"XDG_RUNTIME_DIR wins over the config dir", "/etc/nashd", "", "/run/user/7", false, "/etc/nashd", "/run/user/7/" + SocketName},
		{"NASHD_SOCKET wins", "/etc/nashd", "/tmp/s.sock", "/run/user/7", false, "/etc/nashd", "/tmp/s.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ConfigEnv, tt.config)
			t.Setenv(SocketEnv, tt.socket)
			t.Setenv("XDG_RUNTIME_DIR", tt.xdg)
			os.RemoveAll("configs")
			if tt.configsDir {
				if err := os.MkdirAll("configs", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("configs", "nashd.toml"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := ConfigDir(); got != tt.wantConfig {
				t.Errorf("ConfigDir() = %q, want %q", got, tt.wantConfig)
			}
			if got := ClientSocket(); got != tt.wantSock {
				t.Errorf("ClientSocket() = %q, want %q", got, tt.wantSock)
			}
		})
	}
}

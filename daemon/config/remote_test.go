package config

import (
	"strings"
	"testing"
	"time"
)

// TestRemoteModels: remote fields parse into Spec.Remote with their defaults, and bad remote
// settings are rejected naming the field.
func TestRemoteModels(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "models.toml", `default = "big"
[models.big]
url = "http://127.0.0.1:8080/v1"
served_name = "llama-70b"
api_key_env = "BIG_KEY"
dialect = "vllm"
max_concurrency = 8
timeout = "30s"
chat_template = "chatml"
[models.sock]
url = "unix:///run/nashd/other.sock"
dialect = "nashd"
[models.local]
path = "x.gguf"
`)
	s, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := s.Spec("big")
	want := RemoteSpec{URL: "http://127.0.0.1:8080/v1", ServedName: "llama-70b", APIKeyEnv: "BIG_KEY", Dialect: "vllm",
		MaxConcurrency: 8, Timeout: 30 * time.Second, ChatTemplate: "chatml"}
	if !big.IsRemote() || big.Remote != want || big.Path != "" || big.Slots != 8 {
		t.Errorf("Spec(big) = %+v, want remote %+v", big, want)
	}
	sock := s.Spec("sock").Remote
	if sock.ServedName != "sock" || sock.MaxConcurrency != DefaultMaxConcurrency || sock.Timeout != DefaultRemoteTimeout {
		t.Errorf("Spec(sock).Remote = %+v: want the defaults", sock)
	}
	if s.Spec("local").IsRemote() {
		t.Error("a path model is remote")
	}
}

func TestRemoteModelErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`url = "http://h:1/v1"` + "\npath = \"x.gguf\"", "not both"},
		{`url = "http://user:sekret@h:1/v1"`, "credentials in the URL"},
		{`url = "ftp://h/v1"`, "scheme"},
		{`url = "unix://relative.sock"`, "unix:///absolute"},
		{`url = "http://h:1/v1?key=x"`, "no query"},
		{`url = "http://h:1/v1"` + "\ndialect = \"tgi\"", "models.m.dialect"},
		{`url = "http://h:1/v1"` + "\nmax_concurrency = -1", "models.m.max_concurrency"},
		{`url = "http://h:1/v1"` + "\napi_key_env = \"sk-abc123 \"", "models.m.api_key_env"},
		{`path = "x.gguf"` + "\ndialect = \"vllm\"", "need url"},
		{`context = 512`, "path: missing (or set url"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		write(t, dir, "models.toml", "default = \"m\"\n[models.m]\n"+tt.body+"\n")
		_, err := Load(dir, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tt.body, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "sekret") {
			t.Errorf("%q: the error shows the URL's password: %v", tt.body, err)
		}
	}
}

package modelload

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference/remote"
)

// TestRemoteOptions: every field of config.RemoteSpec reaches remote.Options.
func TestRemoteOptions(t *testing.T) {
	rs := config.RemoteSpec{URL: "http://127.0.0.1:1/v1", ServedName: "served", APIKeyEnv: "KEY_ENV", Dialect: "vllm",
		MaxConcurrency: 7, Timeout: 3 * time.Second, ChatTemplate: "chatml"}
	got := RemoteOptions(config.Spec{Name: "m", Remote: rs})
	want := remote.Options{URL: rs.URL, Model: "served", APIKeyEnv: "KEY_ENV", Dialect: "vllm", MaxConcurrency: 7, Timeout: 3 * time.Second, ChatTemplate: "chatml"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RemoteOptions = %+v, want %+v", got, want)
	}
	if n := reflect.TypeFor[config.RemoteSpec]().NumField(); n != 7 {
		t.Errorf("config.RemoteSpec has %d fields: map the new ones in RemoteOptions and here", n)
	}
}

// TestLoadRemoteUnreachable: a remote spec loads through Load, checks reachability at load
// and needs no memory estimate.
func TestLoadRemoteUnreachable(t *testing.T) {
	spec := config.Spec{Name: "far", Remote: config.RemoteSpec{URL: "unix:///nonexistent/nashd-remote.sock", ServedName: "far", Dialect: "nashd", MaxConcurrency: 1, Timeout: time.Second}}
	if need, err := Estimate(spec); need != 0 || err != nil {
		t.Errorf("Estimate(remote) = %d, %v; want 0, nil", need, err)
	}
	_, err := Load(spec, nil)
	if !errors.Is(err, remote.ErrUnreachable) || !strings.Contains(err.Error(), "far") {
		t.Errorf("Load(unreachable) err = %v, want ErrUnreachable naming the model", err)
	}
}

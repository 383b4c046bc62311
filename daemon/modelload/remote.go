package modelload

import (
	"context"
	"fmt"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/remote"
)

// RemoteOptions maps a remote spec ([config.Spec.Remote]) to [remote.Options].
func RemoteOptions(spec config.Spec) remote.Options {
	r := spec.Remote
	return remote.Options{URL: r.URL, Model: r.ServedName, Dialect: r.Dialect, APIKeyEnv: r.APIKeyEnv,
		MaxConcurrency: r.MaxConcurrency, Timeout: r.Timeout, ChatTemplate: r.ChatTemplate}
}

// LoadRemote connects to the server of a remote spec: it fails unless the server is
// reachable, accepts the key and serves the model. progress gets 1 once connected.
func LoadRemote(spec config.Spec, progress func(float32)) (inference.Generator, error) {
	g, err := remote.Open(context.Background(), RemoteOptions(spec))
	if err != nil {
		return nil, fmt.Errorf("remote model %s: %w", spec.Name, err)
	}
	if progress != nil {
		progress(1)
	}
	return g, nil
}

package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/inference/llama"
)

func runVersion(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	backends := gpuBackendsFlag(fs)
	if _, err := Parse(fs, args); err != nil {
		return err
	}
	// The devices, as nashd would see them: a backend that fails to load is reported here,
	// not an error (nashd runs on the CPU then).
	g := modelload.NewGPU()
	if err := g.Load(*backends, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "nash %s\nllama.cpp %s\nsystem_info: %s\n", Version, llama.BuildInfo(), llama.SystemInfo())
	st := g.Status()
	client.WriteGPU(env.Stdout, &st)
	if st.BackendsDir == "" && st.Error == "" {
		fmt.Fprintf(env.Stdout, "         (looked in %s; --gpu-backends DIR names another)\n", modelload.DefaultBackendsDir())
	}
	return nil
}

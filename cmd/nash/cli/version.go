package cli

import (
	"context"
	"fmt"

	"github.com/nashd/nashd/inference/llama"
)

func runVersion(ctx context.Context, env *Env, args []string) error {
	if _, err := Parse(env.Flags(), args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "nash %s\nllama.cpp %s\nsystem_info: %s\n", Version, llama.BuildInfo(), llama.SystemInfo())
	return nil
}

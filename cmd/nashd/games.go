package main

import (
	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/gamesolver"
)

// gameBackend returns the solver behind /v1/games/solve and games/*.toml.
func gameBackend() daemon.GameBackend { return gamesolver.Backend{} }

// Package gamesolver connects the daemon's /v1/games/solve and games/*.toml reloads to the
// solver: files are parsed with solver/gamefile (strict schema, file:line errors) and solved
// with solver.Solve (solver.md's JSON report).
package gamesolver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
)

// Backend implements daemon.GameBackend with the solver. The zero value is ready to use.
type Backend struct{}

var _ daemon.GameBackend = Backend{}

// ParseFile parses a games/*.toml file.
func (Backend) ParseFile(file string, data []byte) (any, error) {
	return gamefile.ParseTOML(file, data)
}

// ParseJSON parses a game given inline in a request.
func (Backend) ParseJSON(data []byte) (any, error) { return gamefile.ParseJSON("game", data) }

// Solve solves a parsed game. An unknown or inapplicable method is a 400 naming "method";
// a game the solver cannot handle is a 422.
func (Backend) Solve(ctx context.Context, g any, method string) (any, error) {
	gg, ok := g.(*game.Game)
	if !ok {
		return nil, fmt.Errorf("gamesolver: unexpected game value %T", g)
	}
	rep, err := solver.Solve(ctx, gg, method)
	switch {
	case err == nil:
		return rep, nil
	case errors.Is(err, solver.ErrMethod):
		return nil, daemon.BadRequest("method", "%v", err)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return nil, &daemon.APIError{Status: http.StatusUnprocessableEntity, Message: err.Error(), Type: "invalid_request_error", Param: "game", Code: "unsolvable"}
}

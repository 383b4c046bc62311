// Package gamesolver connects the daemon's /v1/games/solve and games/*.toml reloads to the
// solver: files are parsed with solver/gamefile (strict schema, file:line errors) and solved
// with solver.Solve (solver.md's JSON report). Its errors are the API's: an unknown or
// inapplicable method is a 400 naming "method", a game the solver cannot handle a 422.
package gamesolver

import (
	"context"
	"errors"
	"net/http"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
	"github.com/nashd/nashd/solver/gamefile"
)

// Backend implements daemon.GameBackend with the solver. The zero value is ready to use.
type Backend struct{}

// ParseFile parses a games/*.toml file.
func (Backend) ParseFile(file string, data []byte) (*game.Game, error) {
	return gamefile.ParseTOML(file, data)
}

// ParseJSON parses a game given inline in a request.
func (Backend) ParseJSON(data []byte) (*game.Game, error) { return gamefile.ParseJSON("game", data) }

// EncodeJSON encodes a game in the schema ParseJSON reads.
func (Backend) EncodeJSON(g *game.Game) ([]byte, error) { return gamefile.EncodeJSON(g) }

// Solve solves a game. Its errors are *api.APIError values whose message is the solver's
// error, as `nash solve` prints it locally (codes [api.CodeMethodNotApplicable] and
// [api.CodeUnsolvable]), or the context's error.
func (Backend) Solve(ctx context.Context, g *game.Game, method string) (*solver.Report, error) {
	rep, err := solver.Solve(ctx, g, method)
	switch {
	case err == nil:
		return rep, nil
	case errors.Is(err, solver.ErrMethod):
		return nil, &api.APIError{Status: http.StatusBadRequest, Message: err.Error(), Type: api.TypeInvalidRequest, Param: "method", Code: api.CodeMethodNotApplicable}
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return nil, &api.APIError{Status: http.StatusUnprocessableEntity, Message: err.Error(), Type: api.TypeInvalidRequest, Param: "game", Code: api.CodeUnsolvable}
}

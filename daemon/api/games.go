package api

import (
	"encoding/json"

	"github.com/nashd/nashd/solver"
)

// SolveRequest is the body of POST /v1/games/solve: a game named in configs/games (a JSON
// string) or given inline (the TOML schema as a JSON object), and an optional method
// ("" = the solver's default).
type SolveRequest struct {
	Game   json.RawMessage `json:"game"`
	Method string          `json:"method,omitempty"`
	// IncludeGame asks for the solved game in the answer ([SolveResponse.Game]), for
	// printing its payoff table.
	IncludeGame bool `json:"include_game,omitempty"`
}

// SolveResponse is the answer of POST /v1/games/solve.
type SolveResponse struct {
	// Nashd is the answer's provenance: the config generation and, for a configured game, its
	// file and content version.
	Nashd SolveProvenance `json:"nashd"`
	// Report is the solver's report, the stable schema of docs/solver.md: exactly what
	// `nash solve FILE --json` prints for the same game and method.
	Report *solver.Report `json:"report"`
	// Game is the game that was solved, in nashd's JSON game schema (solver/gamefile), when
	// the request set include_game.
	Game json.RawMessage `json:"game,omitempty"`
}

// SolveProvenance says which configuration answered a solve request.
type SolveProvenance struct {
	ConfigGeneration uint64 `json:"config_generation"`
	GameFile         string `json:"game_file,omitempty"`    // "games/NAME.toml" for a configured game
	GameVersion      string `json:"game_version,omitempty"` // the file's content version
}

// GameEntry is one entry of GET /v1/games: a game loaded from configs/games.
type GameEntry struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Version string `json:"version"`
}

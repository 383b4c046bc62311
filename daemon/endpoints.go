package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
)

// health serves GET /health: 200 when requests can be served, 503 (+ Retry-After) while the
// model loads or after it failed with nothing serving.
func (s *Server) health(w http.ResponseWriter, r *http.Request, env *Env) {
	st := env.Models.Status()
	body := map[string]any{"status": st.State}
	switch st.State {
	case "ready", "none":
		body["status"] = "ok"
		body["model"] = st.State
		writeJSON(w, http.StatusOK, body)
		return
	case "loading":
		if st.Loading != nil {
			body["progress"] = st.Loading.Progress
		}
		w.Header().Set("Retry-After", "1")
	case "failed":
		body["error"] = st.Error
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, http.StatusServiceUnavailable, body)
}

// StatusResponse is the body of GET /v1/status.
type StatusResponse struct {
	Version  string          `json:"version"`
	PID      int             `json:"pid"`
	Uptime   float64         `json:"uptime_s"`
	Model    modelmgr.Status `json:"model"`
	Config   ConfigStatus    `json:"config"`
	Pricing  string          `json:"pricing_version"`
	Games    []string        `json:"games"`
	Reasoner []string        `json:"reasoning_modes"`
}

// ConfigStatus reports the config in force and the last reload's errors.
type ConfigStatus struct {
	Dir        string                        `json:"dir"`
	Generation uint64                        `json:"generation"`
	Files      map[string]config.FileVersion `json:"files"`
	// Errors maps a file to the error that made the last reload keep the old config.
	Errors  map[string]string  `json:"errors"`
	Reloads config.ReloadStats `json:"reloads"`
}

func (s *Server) statusBody(env *Env) StatusResponse {
	snap := s.opts.Store.Current() // the newest, not the request's
	games := make([]string, 0, len(snap.Games))
	for n := range snap.Games {
		games = append(games, n)
	}
	sort.Strings(games)
	modes := []string{"none"}
	for m := range s.opts.Reasoners {
		modes = append(modes, m)
	}
	sort.Strings(modes)
	return StatusResponse{
		Version: s.opts.Version, PID: os.Getpid(), Uptime: time.Since(s.started).Seconds(),
		Model: env.Models.Status(),
		Config: ConfigStatus{Dir: snap.Dir, Generation: snap.Generation, Files: snap.Files,
			Errors: s.opts.Store.Errors(), Reloads: s.opts.Store.Stats()},
		Pricing: snap.PricingVersion(), Games: games, Reasoner: modes,
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, env *Env) {
	writeJSON(w, http.StatusOK, s.statusBody(env))
}

// ModelEntry is one entry of GET /v1/models (OpenAI's model object plus nashd's fields).
type ModelEntry struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Created   int64  `json:"created"`
	OwnedBy   string `json:"owned_by"`
	Default   bool   `json:"default"`
	Loaded    bool   `json:"loaded"`
	State     string `json:"state"` // serving, loading, draining, failed, configured
	Path      string `json:"path"`
	TestModel bool   `json:"test_model,omitempty"`
	Error     string `json:"error,omitempty"`
	Meta      any    `json:"meta,omitempty"`
}

func (s *Server) models(w http.ResponseWriter, r *http.Request, env *Env) {
	st := env.Models.Status()
	snap := env.Config
	names := make([]string, 0, len(snap.Models.Models))
	for n := range snap.Models.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	data := make([]ModelEntry, 0, len(names))
	for _, n := range names {
		spec := snap.Spec(n)
		e := ModelEntry{ID: n, Object: "model", OwnedBy: "nashd", Default: n == snap.Models.Default, Path: spec.Path, State: "configured"}
		if fi, err := os.Stat(spec.Path); err == nil {
			e.Created = fi.ModTime().Unix()
		}
		switch {
		case st.Serving != nil && st.Serving.Name == n:
			e.Loaded, e.State, e.TestModel = true, "serving", st.Serving.TestModel
			e.Created = st.Serving.Loaded.Unix()
			e.Meta = st.Serving.Info
		case st.Loading != nil && st.Loading.Name == n:
			e.State = "loading"
		case st.ErrorModel == n:
			e.State, e.Error = "failed", st.Error
		}
		for _, d := range st.Draining {
			if d == n && e.State == "configured" {
				e.Loaded, e.State = true, "draining"
			}
		}
		if e.Meta == nil && s.opts.Inspect != nil {
			if m, err := s.opts.Inspect(spec.Path); err == nil {
				e.Meta = m
			} else {
				e.Error = err.Error()
			}
		}
		data = append(data, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// SolveRequest is the body of POST /v1/games/solve: a game named in configs/games or given
// inline (the TOML schema as JSON), and an optional method.
type SolveRequest struct {
	Game   json.RawMessage `json:"game"`
	Method string          `json:"method,omitempty"`
}

func (s *Server) solve(w http.ResponseWriter, r *http.Request, env *Env) {
	var req SolveRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	raw := bytes.TrimSpace(req.Game)
	noSolver := &APIError{Status: http.StatusNotImplemented, Message: "no game solver in this build", Type: "not_implemented"}
	var game any
	ext := map[string]any{"config_generation": env.Config.Generation}
	switch {
	case len(raw) == 0 || string(raw) == "null":
		WriteError(w, BadRequest("game", "missing: give a game name from configs/games or a game object"))
		return
	case raw[0] == '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			WriteError(w, BadRequest("game", "invalid string"))
			return
		}
		g, ok := env.Config.Games[name]
		if !ok {
			names := make([]string, 0, len(env.Config.Games))
			for n := range env.Config.Games {
				names = append(names, n)
			}
			sort.Strings(names)
			WriteError(w, &APIError{Status: http.StatusNotFound, Message: fmt.Sprintf("unknown game %q (configured: %v)", name, names), Type: "invalid_request_error", Param: "game", Code: "game_not_found"})
			return
		}
		game = g.Value
		ext["game_file"] = g.File
		ext["game_version"] = g.Version
	case raw[0] == '{':
		if s.opts.Games == nil {
			WriteError(w, noSolver)
			return
		}
		g, err := s.opts.Games.ParseJSON(raw)
		if err != nil {
			WriteError(w, BadRequest("game", "%v", err))
			return
		}
		game = g
	default:
		WriteError(w, BadRequest("game", "expected a game name (string) or a game object"))
		return
	}
	if s.opts.Games == nil {
		WriteError(w, noSolver)
		return
	}
	ctx := r.Context()
	rep, err := s.opts.Games.Solve(ctx, game, req.Method)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			WriteError(w, ae)
			return
		}
		if ctx.Err() != nil {
			WriteError(w, ctx.Err())
			return
		}
		WriteError(w, BadRequest("method", "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"report": rep, "nashd": ext})
}

func (s *Server) listGames(w http.ResponseWriter, r *http.Request, env *Env) {
	type entry struct {
		Name    string `json:"name"`
		File    string `json:"file"`
		Version string `json:"version"`
	}
	out := []entry{}
	for _, g := range env.Config.Games {
		out = append(out, entry{g.Name, g.File, g.Version})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
}

package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference/engine/threadctl"
	"github.com/nashd/nashd/solver/game"
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

func (s *Server) statusBody(env *Env) api.StatusResponse {
	snap := s.opts.Store.Current() // the newest, not the request's
	games := make([]string, 0, len(snap.Games))
	for n := range snap.Games {
		games = append(games, n)
	}
	sort.Strings(games)
	modes := slices.Sorted(slices.Values(KnownReasoning))
	files := make(map[string]api.FileVersion, len(snap.Files))
	for f, v := range snap.Files {
		files[f] = api.FileVersion(v)
	}
	return api.StatusResponse{
		Version: s.opts.Version, PID: os.Getpid(), Uptime: time.Since(s.started).Seconds(),
		Model: modelStatus(env.Models.Status()),
		Config: api.ConfigStatus{Dir: snap.Dir, Generation: snap.Generation, Files: files,
			Errors: s.opts.Store.Errors(), Reloads: api.ReloadStats(s.opts.Store.Stats())},
		Pricing: snap.PricingVersion(), Games: games, Reasoner: modes,
		Reasoning: s.reasoningStatus(snap),
		GPU:       s.gpuStatus(),
	}
}

// gpuStatus lists the GPU devices with their current memory (nil without GPU support).
func (s *Server) gpuStatus() *api.GPUStatus {
	if s.opts.GPU == nil {
		return nil
	}
	st := s.opts.GPU.Status()
	if st.Devices == nil {
		st.Devices = []api.GPUDevice{}
	}
	return &st
}

// reasoningStatus describes GTAlign reasoning under snap: its defaults, the game, the
// pricing plan the next request would apply and the learned lengths.
func (s *Server) reasoningStatus(snap *config.Snapshot) *api.ReasoningStatus {
	r := snap.Daemon.Reasoning
	path, learned, problem := s.lengths.status(snap)
	rs := &api.ReasoningStatus{Mode: r.Mode, Rule: r.SelectionRule, Policy: r.MismatchPolicy, AnalyzeBy: r.AnalyzeBy,
		Game: snap.GameVersion(), Strategies: snap.GTAlign.Game().StrategyIDs(),
		Learned: learned, LengthsFile: path, LengthsError: problem}
	plan, err := pricingPlan(snap, s.lengths.get(snap))
	rs.Pricing = plan
	if err != nil {
		rs.Problem = err.Error()
	}
	return rs
}

// modelStatus converts the model manager's state to its wire form.
func modelStatus(st modelmgr.Status) api.ModelStatus {
	out := api.ModelStatus{State: st.State, Error: st.Error, ErrorModel: st.ErrorModel, Draining: st.Draining,
		Swaps: st.Swaps, LoadFailed: st.LoadFailed, InFlight: st.InFlight, Running: st.Running, Queued: st.Queued,
		Slots: st.Slots, QueueSize: st.QueueSize}
	if m := st.Serving; m != nil {
		out.Serving = &api.ServingModel{Name: m.Name, Info: m.Info, Loaded: m.Loaded, LoadMS: m.LoadMS,
			TestModel: m.TestModel, Warning: m.Warning, ConfigPath: m.ConfigPath}
		if r := m.Remote; r != nil {
			out.Serving.Remote = remoteModel(*r)
		}
		if t := m.Threads; t != nil {
			out.Serving.Threads = &api.ThreadsStatus{Generation: threadCount(t.Generation), Batch: threadCount(t.Batch), Poll: t.Poll}
		}
		if p := m.Placement; p != nil {
			out.Serving.GPU = &api.ModelGPU{Configured: m.Spec.GPULayers.String(), Layers: p.GPULayers, Device: p.Device,
				DeviceBytes: p.DeviceBytes, DeviceFree: p.DeviceFree, Limit: p.Limit, Fallback: p.Fallback, Note: p.Note}
		}
	}
	if l := st.Loading; l != nil {
		out.Loading = &api.LoadingModel{Name: l.Name, Path: l.Path, Progress: l.Progress, Since: l.Since}
	}
	return out
}

// threadCount converts a thread controller's statistics to their wire form.
func threadCount(st threadctl.Stats) api.ThreadCount {
	return api.ThreadCount{Threads: st.Threads, Min: st.Min, Max: st.Max, Adaptive: st.Adaptive,
		Steps: st.Steps, Stalls: st.Stalls, Stopped: st.Stopped, StepsDown: st.StepsDown, StepsUp: st.StepsUp,
		ProbesFailed: st.ProbesFailed, HoldMS: float64(st.Hold) / float64(time.Millisecond), StepsAt: st.StepsAt}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, env *Env) {
	writeJSON(w, http.StatusOK, s.statusBody(env))
}

func (s *Server) models(w http.ResponseWriter, r *http.Request, env *Env) {
	st := env.Models.Status()
	snap := env.Config
	names := make([]string, 0, len(snap.Models.Models))
	for n := range snap.Models.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	data := make([]api.ModelEntry, 0, len(names))
	for _, n := range names {
		spec := snap.Spec(n)
		e := api.ModelEntry{ID: n, Object: "model", OwnedBy: "nashd", Default: n == snap.Models.Default, Path: spec.Path, State: "configured"}
		if fi, err := os.Stat(spec.Path); err == nil && !spec.IsRemote() {
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
		if spec.IsRemote() {
			e.Remote = remoteEntry(r.Context(), spec, st)
		} else if e.Meta == nil && s.opts.Inspect != nil {
			if m, err := s.opts.Inspect(spec.Path); err == nil {
				e.Meta = m
			} else {
				e.Error = err.Error()
			}
		}
		// The alias NAME@gtalign, for clients that can only set a model name.
		alias := e
		alias.ID, alias.Default, alias.Reasoning, alias.Parent = n+"@"+api.ReasoningGTAlign, false, api.ReasoningGTAlign, n
		data = append(data, e, alias)
	}
	writeJSON(w, http.StatusOK, api.NewList(data))
}

func (s *Server) solve(w http.ResponseWriter, r *http.Request, env *Env) {
	var req api.SolveRequest
	if err := decodeJSON(r, &req); err != nil {
		WriteError(w, err)
		return
	}
	raw := bytes.TrimSpace(req.Game)
	noSolver := &api.APIError{Status: http.StatusNotImplemented, Message: "no game solver in this build", Type: api.TypeNotImplemented}
	var g *game.Game
	resp := api.SolveResponse{Nashd: api.SolveProvenance{ConfigGeneration: env.Config.Generation}}
	switch {
	case len(raw) == 0 || string(raw) == "null":
		WriteError(w, api.BadRequest("game", "missing: give a game name from configs/games or a game object"))
		return
	case raw[0] == '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			WriteError(w, api.BadRequest("game", "invalid string"))
			return
		}
		cg, ok := env.Config.Games[name]
		if !ok {
			names := make([]string, 0, len(env.Config.Games))
			for n := range env.Config.Games {
				names = append(names, n)
			}
			sort.Strings(names)
			WriteError(w, &api.APIError{Status: http.StatusNotFound, Message: fmt.Sprintf("unknown game %q (configured: %v)", name, names), Type: api.TypeInvalidRequest, Param: "game", Code: "game_not_found"})
			return
		}
		g = cg.Value
		resp.Nashd.GameFile, resp.Nashd.GameVersion = cg.File, cg.Version
	case raw[0] == '{':
		if s.opts.Games == nil {
			WriteError(w, noSolver)
			return
		}
		pg, err := s.opts.Games.ParseJSON(raw)
		if err != nil {
			WriteError(w, api.BadRequest("game", "%v", err))
			return
		}
		g = pg
	default:
		WriteError(w, api.BadRequest("game", "expected a game name (string) or a game object"))
		return
	}
	if s.opts.Games == nil {
		WriteError(w, noSolver)
		return
	}
	ctx := r.Context()
	rep, err := s.opts.Games.Solve(ctx, g, req.Method)
	if err != nil {
		WriteError(w, err) // an *api.APIError from the backend, or the context's error
		return
	}
	resp.Report = rep
	if req.IncludeGame {
		if resp.Game, err = s.opts.Games.EncodeJSON(g); err != nil {
			WriteError(w, fmt.Errorf("encoding the solved game: %w", err))
			return
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) listGames(w http.ResponseWriter, r *http.Request, env *Env) {
	out := make([]api.GameEntry, 0, len(env.Config.Games))
	for _, g := range env.Config.Games {
		out = append(out, api.GameEntry{Name: g.Name, File: g.File, Version: g.Version})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, api.NewList(out))
}

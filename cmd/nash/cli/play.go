package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/paths"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/reasoning/agents"
	"github.com/nashd/nashd/reasoning/dond"
	"github.com/nashd/nashd/solver/game"
)

// runPlay has two model agents play a game (reasoning/agents, or reasoning/dond for Deal or
// No Deal), in this process with --model FILE, else through the daemon (POST
// /v1/games/play): the transcript as it happens, then the solver's verdict; with --json one
// object at the end.
func runPlay(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	model := fs.String("model", "", "model `FILE` (GGUF) both agents use, loaded in this process (default: play through the daemon)")
	bobModel := fs.String("bob-model", "", "a second model `FILE` for Bob (default: --model)")
	mode := fs.String("mode", "raw", "both agents' mode: raw, prompted or verified")
	aliceMode := fs.String("alice-mode", "", "Alice's mode (default --mode)")
	bobMode := fs.String("bob-mode", "", "Bob's mode (default --mode)")
	rounds := fs.Int("rounds", 0, "pre-play negotiation rounds (simultaneous games; 0-20), or Deal or No Deal's round limit (default 10, at most 20)")
	seed := fs.Uint("seed", 0, "seed of the sampling and of chance moves")
	temp := fs.Float64("temperature", 0.8, "sampling temperature (0: greedy)")
	messageChars := fs.Int("message-chars", 0, "longest negotiation message in characters (0: the default, 200)")
	reasonChars := fs.Int("reason-chars", 0, "longest reason line before an action (0: the default, 200; -1: none)")
	unconstrained := fs.Bool("unconstrained", false, "send no grammars (answers are parsed tolerantly; an agent that keeps answering out of form forfeits)")
	gamesDir := fs.String("games", "", "directory of the game files a GAME name refers to (default CONFIGDIR/games)")
	data := fs.String("data", "", "Deal or No Deal: the data `FILE` (one dialogue per line; default: the built-in 50-dialogue sample)")
	line := fs.Int("line", 0, "Deal or No Deal: the line of --data to play, counting from 1")
	alice := fs.String("alice", "raw", "Deal or No Deal: Alice's agent, raw or workflow")
	bob := fs.String("bob", "raw", "Deal or No Deal: Bob's agent, raw or workflow")
	candidates := fs.Int("candidates", 0, "Deal or No Deal: proposals offered to a workflow agent (0: the default, 3)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object (the transcript inside) instead of the transcript as it happens")
	threads := fs.Int("threads", 0, "generation threads (0: auto, adapted to the load)")
	nctx := fs.Int("ctx", 0, "context size per sequence (0: min(trained, 4096))")
	gpu := addGPUFlags(fs)
	sock := socketFlag(fs)
	daemonModel := fs.String("daemon-model", "", "through the daemon: a model `NAME` from models.toml for both agents (default: the serving model)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one game (a name in the games directory, a game file, or dond)", ErrUsage)
	}
	ref := pos[0]
	if *model == "" {
		var local []string // flags that only a game in this process uses
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) {
			set[f.Name] = true
			switch f.Name {
			case "bob-model", "games", "threads", "ctx":
				local = append(local, "--"+f.Name)
			}
		})
		local = append(local, gpu.given()...)
		if len(local) > 0 {
			return fmt.Errorf("%w: %s: only with --model FILE (the daemon plays with its own model and configs/games)", ErrUsage, strings.Join(local, ", "))
		}
		// The daemon knows which games are Deal or No Deal (allocation games): the modes and
		// kinds go only where set, so each kind of game gets the fields it takes.
		ifSet := func(name, v string) string {
			if set[name] || (ref == api.GameDond && (name == "alice" || name == "bob")) {
				return v
			}
			return ""
		}
		req := api.PlayRequest{Game: ref, Model: *daemonModel, Mode: ifSet("mode", *mode), AliceMode: *aliceMode, BobMode: *bobMode,
			Alice: ifSet("alice", *alice), Bob: ifSet("bob", *bob),
			Rounds: *rounds, Seed: uint64(*seed), Temperature: temp, MessageChars: *messageChars, ReasonChars: *reasonChars,
			Candidates: *candidates, Unconstrained: *unconstrained}
		if err := playRequest(&req, *data, *line); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		return remotePlay(ctx, client.New(*sock), req, *asJSON, env)
	}
	if *daemonModel != "" || *sock != "" {
		return fmt.Errorf("%w: --socket and --daemon-model go to the daemon, not with --model FILE", ErrUsage)
	}
	if err := gpu.check(); err != nil {
		return err
	}
	dir := *gamesDir
	if dir == "" {
		dir = filepath.Join(paths.ConfigDir(), "games")
	}

	// Resolve the game before loading a model, so bad input fails at once.
	var setup *dond.Setup
	var g *game.Game
	if ref == api.GameDond {
		switch {
		case *line == 0:
			return fmt.Errorf("%w: nash play dond needs --line N (of --data FILE, or of the built-in sample)", ErrUsage)
		case *data == "":
			setup, err = dond.SampleLine(*line)
		default:
			setup, err = dond.LoadLine(*data, *line)
		}
		if err != nil {
			return err
		}
	} else {
		if *data != "" || *line != 0 {
			return fmt.Errorf("%w: --data and --line go with the game dond", ErrUsage)
		}
		if g, err = agents.FindGame(dir, ref); err != nil {
			return err
		}
		if g.Kind() == game.KindAllocation {
			if setup, err = dond.FromAllocation(g.Allocation); err != nil {
				return fmt.Errorf("%s: %w", g.Name, err)
			}
			g = nil
		}
	}
	var modes [2]agents.Mode
	var kinds [2]dond.Kind
	if setup == nil {
		for i, m := range []string{*aliceMode, *bobMode} {
			if m == "" {
				m = *mode
			}
			if modes[i], err = agents.ParseMode(m); err != nil {
				return fmt.Errorf("%w: %w", ErrUsage, err)
			}
		}
	} else {
		for i, k := range []string{*alice, *bob} {
			if kinds[i], err = dond.ParseKind(k); err != nil {
				return fmt.Errorf("%w: %w", ErrUsage, err)
			}
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	gpuLog := gpuLogger(env.Stderr)
	// Each model is placed when the one before it holds its device memory.
	open := func(who, path string) (inference.Generator, error) {
		spec, err := gpu.place(config.Spec{Path: path, ContextSize: *nctx, Threads: *threads, Slots: 1}, gpuLog)
		if err != nil {
			return nil, err
		}
		e, err := engine.Open(path, engine.Options{ContextSize: *nctx, Threads: *threads, GPULayers: int(spec.GPULayers), MainGPU: spec.MainGPU, Logger: logger})
		if err != nil {
			return nil, err
		}
		printGPU(env.Stderr, who, e.Info())
		return e, nil
	}
	who := ""
	if *bobModel != "" {
		who = "alice:"
	}
	genA, err := open(who, *model)
	if err != nil {
		return err
	}
	defer genA.Close()
	genB := genA
	if *bobModel != "" {
		if genB, err = open("bob:", *bobModel); err != nil {
			return err
		}
		defer genB.Close()
	}
	sampling := func(i int) inference.Sampling {
		s := inference.DefaultSampling(uint32(*seed) + uint32(i)<<16)
		s.Temperature = float32(*temp)
		return s
	}
	var onEvent func(agents.Event) error
	if !*asJSON {
		onEvent = func(e agents.Event) error { return printEvent(env.Stdout, e) }
	}

	var res any
	var st agents.Stats
	if setup != nil {
		r, err := dond.Play(ctx, setup, [2]dond.Agent{{Gen: genA, Kind: kinds[0], Sampling: sampling(0)}, {Gen: genB, Kind: kinds[1], Sampling: sampling(1)}},
			&dond.Options{Rounds: *rounds, MessageChars: *messageChars, Candidates: *candidates, Unconstrained: *unconstrained, OnEvent: onEvent})
		if err != nil {
			return err
		}
		res, st = r, r.Stats
	} else {
		r, err := agents.Play(ctx, g, [2]agents.Agent{{Gen: genA, Mode: modes[0], Sampling: sampling(0)}, {Gen: genB, Mode: modes[1], Sampling: sampling(1)}},
			&agents.Options{Rounds: *rounds, Seed: uint64(*seed), MessageChars: *messageChars, ReasonChars: *reasonChars, Unconstrained: *unconstrained, OnEvent: onEvent})
		if err != nil {
			return err
		}
		res, st = r, r.Stats
	}
	return writePlayEnd(env.Stdout, res, st, *asJSON)
}

// writePlayEnd ends a game's output: with asJSON the result as one object, else the figures
// line after the transcript printed as it happened.
func writePlayEnd(w io.Writer, res any, st agents.Stats, asJSON bool) error {
	if asJSON {
		return writeJSON(w, res)
	}
	_, err := fmt.Fprintf(w, "%d turns, %d generations, %d prompt tokens (%d from cache), %d generated; %.0f ms, %.1f%% outside the model\n",
		st.Turns, st.Generations, st.PromptTokens, st.CacheN, st.GeneratedTokens, st.TotalMS, 100*st.OutsideShare)
	return err
}

// playRequest checks the flags of a game played through the daemon (as in this process, so
// bad input fails before a request) and sets the Deal or No Deal line: with --data the
// line's text read here (the daemon reads no client's files), else line N of the daemon's
// shipped sample.
func playRequest(req *api.PlayRequest, data string, line int) error {
	for _, m := range []string{req.Mode, req.AliceMode, req.BobMode} {
		if _, err := agents.ParseMode(m); m != "" && err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
	}
	for _, k := range []string{req.Alice, req.Bob} {
		if _, err := dond.ParseKind(k); k != "" && err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
	}
	if req.Game != api.GameDond {
		if data != "" || line != 0 {
			return fmt.Errorf("%w: --data and --line go with the game dond", ErrUsage)
		}
		if _, err := os.Stat(req.Game); err == nil || strings.ContainsAny(req.Game, "/.") {
			return fmt.Errorf("%w: %s: the daemon plays the games of its configs/games by name (play a game file with --model FILE)", ErrUsage, req.Game)
		}
		return nil
	}
	if line == 0 {
		return fmt.Errorf("%w: nash play dond needs --line N (of --data FILE, or of the built-in sample)", ErrUsage)
	}
	req.Line = line
	if data == "" {
		return nil
	}
	if _, err := dond.LoadLine(data, line); err != nil {
		return err // out of range, malformed: the library's message
	}
	text, err := readLine(data, line)
	if err != nil {
		return err
	}
	req.LineText = text
	return nil
}

// readLine returns line n (from 1) of the file at path.
func readLine(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), dond.MaxLineBytes)
	for k := 1; sc.Scan(); k++ {
		if k == n {
			return sc.Text(), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return "", fmt.Errorf("%s: line %d out of range", path, n)
}

// remotePlay has the daemon play req and prints what runPlay prints in this process: the
// transcript as it happens and the figures, or with asJSON the result object.
func remotePlay(ctx context.Context, cl *client.Client, req api.PlayRequest, asJSON bool, env *Env) error {
	var onEvent func(agents.Event) error
	if !asJSON {
		onEvent = func(e agents.Event) error { return printEvent(env.Stdout, e) }
	}
	var res *api.PlayResult
	err := cl.RetryBusy(ctx, env.Stderr, func() error {
		var err error
		res, err = cl.Play(ctx, req, onEvent)
		return err
	})
	if err != nil {
		return err
	}
	return writePlayEnd(env.Stdout, res, res.Stats(), asJSON)
}

// printEvent writes one transcript event as text.
func printEvent(w io.Writer, e agents.Event) error {
	var err error
	switch e.Phase {
	case agents.PhaseVerdict:
		_, err = fmt.Fprintf(w, "verdict: %s\n", e.Text)
	case agents.PhaseChance:
		_, err = fmt.Fprintf(w, "[%d] chance: %s\n", e.Turn, e.Text)
	case agents.PhaseBelief:
		_, err = fmt.Fprintf(w, "[%d] %s (belief): %s\n", e.Turn, e.Agent, e.Text)
	case agents.PhaseRetry, agents.PhaseForfeit:
		_, err = fmt.Fprintf(w, "[%d] %s (%s): %s\n%s\n", e.Turn, e.Agent, e.Phase, e.Error, indent(e.Text))
	default:
		head := fmt.Sprintf("[%d] %s (%s", e.Turn, e.Agent, e.Phase)
		if e.Round > 0 {
			head += fmt.Sprintf(", round %d", e.Round)
		}
		head += fmt.Sprintf(", %d tokens, %.0f ms)", e.Tokens, e.MS)
		if e.Action != "" {
			head += ": " + e.Action
		}
		_, err = fmt.Fprintf(w, "%s\n%s\n", head, indent(e.Text))
	}
	return err
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

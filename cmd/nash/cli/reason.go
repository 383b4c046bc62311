package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/client"
	"github.com/nashd/nashd/reasoning/gtalign"
)

func runReason(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	offline := fs.Bool("offline", false, "select without a model or a daemon: the solver's choice on the payoff matrix in --matrix")
	matrix := fs.String("matrix", "", "with --offline: the payoff block's JSON `FILE` ({\"DQ_DA\": {\"LLM\": 4.2, \"user\": 4.3}, …}; - reads stdin)")
	pricingFile := fs.String("pricing", "", "with --offline: apply this pricing.toml `FILE`'s values as written (no learned lengths; default: no pricing)")
	gameFile := fs.String("game", "", "with --offline: the game (gtalign.toml) `FILE` the matrix is for (default: GTAlign's DQ/VQ × DA/CQ/AQ)")
	rule := fs.String("rule", "", "selection rule: welfare or nash_product (default: welfare offline, the daemon's [reasoning] selection_rule online)")
	policy := fs.String("policy", "", "when the model's choice is not the solver's: override, annotate or reject (default: the daemon's)")
	analyzeBy := fs.String("analyze-by", "", "who writes the <analyze> block: model (verified by the solver) or solver (default: the daemon's)")
	stream := fs.Bool("stream", false, "print the model's blocks as they are generated, then the result")
	asJSON := fs.Bool("json", false, "print the result object as JSON")
	sock := socketFlag(fs)
	model := fs.String("model", "", "model name from models.toml (default: the serving model)")
	system := fs.String("system", "", "a system message, appended to GTAlign's")
	maxTokens := fs.Int("max-tokens", 0, "most tokens of the response block (default: the game's bound)")
	temp := fs.Float64("temperature", -1, "sampling temperature (default: llama-server's 0.8; 0 = greedy)")
	seed := fs.Int64("seed", -1, "sampling seed (default: random)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if *offline {
		switch {
		case *matrix == "":
			return fmt.Errorf("%w: --offline needs --matrix FILE", ErrUsage)
		case len(pos) > 0:
			return fmt.Errorf("%w: --offline takes no question (got %q)", ErrUsage, pos[0])
		}
		var online []string // flags set that only a request to the daemon uses
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "offline", "matrix", "pricing", "game", "rule", "json":
			default:
				online = append(online, "--"+f.Name)
			}
		})
		if len(online) > 0 {
			return fmt.Errorf("%w: %s: not with --offline (they go to the daemon)", ErrUsage, strings.Join(online, ", "))
		}
		sel, err := selectOffline(env.Stdin, *matrix, *pricingFile, *gameFile, *rule)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, sel)
		}
		return writeSelection(env.Stdout, sel)
	}
	if *matrix != "" || *pricingFile != "" || *gameFile != "" {
		return fmt.Errorf("%w: --matrix, --pricing and --game work with --offline only (the daemon uses its configs)", ErrUsage)
	}
	if *maxTokens < 0 {
		return fmt.Errorf("%w: --max-tokens %d < 0", ErrUsage, *maxTokens)
	}
	for _, f := range []struct {
		flag, v string
		parse   func(string) error
	}{
		{"--rule", *rule, func(v string) error { _, err := gtalign.ParseRule(v); return err }},
		{"--policy", *policy, func(v string) error { _, err := gtalign.ParsePolicy(v); return err }},
		{"--analyze-by", *analyzeBy, func(v string) error { _, err := gtalign.ParseAnalyzeBy(v); return err }},
	} {
		if err := f.parse(f.v); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrUsage, f.flag, err)
		}
	}
	msg, err := readInput(env.Stdin, pos)
	if err != nil {
		return err
	}
	if msg == "" {
		return fmt.Errorf("%w: no question (give it as arguments or on stdin)", ErrUsage)
	}
	req := api.ReasonRequest{Model: *model, Rule: *rule, Policy: *policy, AnalyzeBy: *analyzeBy}
	if *system != "" {
		req.Messages = append(req.Messages, api.TextMessage("system", *system))
	}
	req.Messages = append(req.Messages, api.TextMessage("user", msg))
	if *maxTokens > 0 {
		req.MaxTokens = maxTokens
	}
	if *temp >= 0 {
		req.Temperature = temp
	}
	if *seed >= 0 {
		req.Seed = seed
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	return remoteReason(ctx, client.New(*sock), req, *stream, *asJSON, env)
}

// remoteReason sends a GTAlign request to the daemon and prints its result: the tables, the
// frontier, both choices and the answer ([gtalign.WriteText]), or with asJSON the result
// object. With stream the blocks are printed as they are generated, then the result without
// their texts. A refused analysis (policy reject) or unparseable model output prints the
// result so far, then fails.
func remoteReason(ctx context.Context, cl *client.Client, req api.ReasonRequest, stream, asJSON bool, env *Env) error {
	var resp *api.ReasonResponse
	var streamed bool
	err := cl.RetryBusy(ctx, env.Stderr, func() error {
		var err error
		if !stream {
			resp, err = cl.Reason(ctx, req)
			return err
		}
		last := ""
		resp, err = cl.ReasonStream(ctx, req, func(kind, text string) {
			if kind != last && kind == api.EventContent {
				io.WriteString(env.Stdout, "\n<response>\n")
			}
			last, streamed = kind, true
			io.WriteString(env.Stdout, text)
		})
		return err
	})
	if streamed {
		io.WriteString(env.Stdout, "\n\n")
	}
	if resp == nil || resp.Result == nil {
		return err
	}
	if asJSON {
		if werr := writeJSON(env.Stdout, resp); werr != nil {
			return werr
		}
		return err
	}
	r := *resp.Result
	if streamed {
		r.Thinking, r.Analyze, r.Response = "", "", "" // printed above
	}
	p := resp.Nashd
	if _, werr := fmt.Fprintf(env.Stdout, "nashd: model %s, rule %s, policy %s, analyze_by %s; %s, %s\n\n", resp.Model, r.Rule, r.Policy, r.AnalyzeBy, p.GameVersion, p.PricingVersion); werr != nil {
		return werr
	}
	if werr := gtalign.WriteText(env.Stdout, &r); werr != nil {
		return werr
	}
	return err
}

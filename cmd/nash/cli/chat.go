package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/client"
)

func runChat(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	sock := socketFlag(fs)
	model := fs.String("model", "", "model name from models.toml (default: the serving model)")
	system := fs.String("system", "", "system message")
	maxTokens := fs.Int("max-tokens", 256, "most tokens to generate")
	temp := fs.Float64("temperature", -1, "sampling temperature (default: llama-server's 0.8; 0 = greedy)")
	seed := fs.Int64("seed", -1, "sampling seed (default: random)")
	schema := fs.String("schema", "", "constrain the answer to a JSON Schema (a file or inline JSON)")
	jsonObject := fs.Bool("json-object", false, "constrain the answer to a JSON object")
	grammarFile := fs.String("grammar", "", "constrain the answer with a GBNF grammar file")
	reasoning := fs.String("reasoning", "", "nashd reasoning mode (gtalign, none)")
	noStream := fs.Bool("no-stream", false, "wait for the whole answer instead of streaming")
	asJSON := fs.Bool("json", false, "print the daemon's whole JSON answer (implies --no-stream)")
	rest, err := Parse(fs, args)
	if err != nil {
		return err
	}
	msg, err := readInput(env.Stdin, rest)
	if err != nil {
		return err
	}
	if msg == "" {
		return fmt.Errorf("%w: no message (give it as arguments or on stdin)", ErrUsage)
	}
	req := api.ChatRequest{Model: *model, Reasoning: *reasoning}
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
	switch {
	case *schema != "":
		raw := []byte(*schema)
		if !strings.HasPrefix(strings.TrimSpace(*schema), "{") {
			if raw, err = os.ReadFile(*schema); err != nil {
				return err
			}
		}
		if !json.Valid(raw) {
			return fmt.Errorf("%w: --schema is not valid JSON", ErrUsage)
		}
		req.ResponseFormat = &api.ResponseFormat{Type: "json_schema", JSONSchema: &api.JSONSchema{Name: "answer", Schema: raw}}
	case *jsonObject:
		req.ResponseFormat = &api.ResponseFormat{Type: "json_object"}
	}
	if *grammarFile != "" {
		g, err := os.ReadFile(*grammarFile)
		if err != nil {
			return err
		}
		req.Grammar = string(g)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	cl := client.New(*sock)
	var res *client.ChatResult
	var onDelta func(string)
	if !*noStream && !*asJSON {
		onDelta = func(s string) { io.WriteString(env.Stdout, s) }
	}
	err = cl.RetryBusy(ctx, env.Stderr, func() error {
		var err error
		res, err = cl.Chat(ctx, req, onDelta)
		return err
	})
	if err != nil {
		if onDelta != nil {
			fmt.Fprintln(env.Stdout)
		}
		return err
	}
	switch {
	case *asJSON:
		env.Stdout.Write(res.Raw)
	case onDelta != nil:
		fmt.Fprintln(env.Stdout)
	default:
		fmt.Fprintln(env.Stdout, res.Content)
	}
	fmt.Fprintf(env.Stderr, "[%s: %d prompt + %d completion tokens, finish: %s]\n", res.Model, res.Usage.PromptTokens, res.Usage.CompletionTokens, res.FinishReason)
	return nil
}

// readInput returns args joined, or stdin when args is empty or "-".
func readInput(stdin io.Reader, args []string) (string, error) {
	if len(args) == 0 || (len(args) == 1 && args[0] == "-") {
		b, err := io.ReadAll(stdin)
		return strings.TrimSpace(string(b)), err
	}
	return strings.Join(args, " "), nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/client"
)

func init() {
	c := &command{name: "chat", summary: "ask the daemon's model (streams the answer; JSON schema or grammar output)",
		usage: "[--socket PATH] [--model NAME] [--system TEXT] [--max-tokens N] [--temperature T] [--seed N] [--schema FILE|JSON] [--json-object] [--grammar FILE] [--reasoning MODE] [--no-stream] [--json] MESSAGE... (or stdin)"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(c, stderr)
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
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			return err
		}
		msg, err := readInput(rest)
		if err != nil {
			return err
		}
		if msg == "" {
			return fmt.Errorf("%w: no message (give it as arguments or on stdin)", errUsage)
		}
		req := daemon.ChatRequest{Model: *model, Reasoning: *reasoning}
		if *system != "" {
			req.Messages = append(req.Messages, daemon.ChatMessage{Role: "system", Content: jsonString(*system)})
		}
		req.Messages = append(req.Messages, daemon.ChatMessage{Role: "user", Content: jsonString(msg)})
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
				return fmt.Errorf("%w: --schema is not valid JSON", errUsage)
			}
			req.ResponseFormat = &daemon.ResponseFormat{Type: "json_schema", JSONSchema: &daemon.JSONSchema{Name: "answer", Schema: raw}}
		case *jsonObject:
			req.ResponseFormat = &daemon.ResponseFormat{Type: "json_object"}
		}
		if *grammarFile != "" {
			g, err := os.ReadFile(*grammarFile)
			if err != nil {
				return err
			}
			req.Grammar = string(g)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		cl := client.New(*sock)
		var res *client.ChatResult
		var onDelta func(string)
		if !*noStream && !*asJSON {
			onDelta = func(s string) { io.WriteString(stdout, s) }
		}
		err = retryLoading(ctx, cl, stderr, func() error {
			var err error
			res, err = cl.Chat(ctx, req, onDelta)
			return err
		})
		if err != nil {
			if onDelta != nil {
				fmt.Fprintln(stdout)
			}
			return err
		}
		switch {
		case *asJSON:
			stdout.Write(res.Raw)
		case onDelta != nil:
			fmt.Fprintln(stdout)
		default:
			fmt.Fprintln(stdout, res.Content)
		}
		fmt.Fprintf(stderr, "[%s: %d prompt + %d completion tokens, finish: %s]\n", res.Model, res.Usage.PromptTokens, res.Usage.CompletionTokens, res.FinishReason)
		return nil
	}
	register(c)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

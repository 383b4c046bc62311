package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/nashd/nashd/daemon/grammar"
	"github.com/nashd/nashd/inference/gbnf"
)

// runGrammarCheck checks each grammar file as the daemon will (gbnf.WriteCheck prints the
// verdict; exit 1 if any fails). With --schema it first compiles a JSON schema as
// response_format json_schema does.
func runGrammarCheck(ctx context.Context, env *Env, args []string) error {
	fs := env.Flags()
	schema := fs.String("schema", "", "compile this JSON schema file to GBNF (as response_format json_schema does) and check that")
	print := fs.Bool("print", false, "print the grammar that was checked")
	files, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if (*schema == "") == (len(files) == 0) {
		fmt.Fprintln(env.Stderr, "nash grammar check: give grammar files or --schema FILE")
		return ErrUsage
	}
	type source struct{ name, text string }
	var srcs []source
	if *schema != "" {
		b, err := os.ReadFile(*schema)
		if err != nil {
			return err
		}
		g, err := grammar.FromJSONSchema(b)
		if err != nil {
			return fmt.Errorf("%s: %w", *schema, err)
		}
		srcs = append(srcs, source{*schema, g})
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		srcs = append(srcs, source{f, string(b)})
	}
	failed := 0
	for _, s := range srcs {
		if *print {
			fmt.Fprint(env.Stdout, s.text)
		}
		if gbnf.WriteCheck(env.Stdout, s.name, s.text) != nil {
			failed++
		}
	}
	if failed > 0 {
		return ExitError{1}
	}
	return nil
}

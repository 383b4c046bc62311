package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nashd/nashd/daemon/grammar"
	"github.com/nashd/nashd/inference/gbnf"
)

func init() {
	register(&command{
		name:    "grammar check",
		summary: "check GBNF grammars offline as nashd will (syntax, left recursion, size/ambiguity limits)",
		usage:   "FILE... | --schema FILE [--print]",
		run:     runGrammarCheck,
	})
}

// runGrammarCheck parses each grammar file with package gbnf, the check every grammar goes
// through before sampling, and prints its measurements or its error (exit 1 if any fails).
// With --schema it first compiles a JSON schema as response_format json_schema does.
func runGrammarCheck(args []string, stdout, stderr io.Writer) error {
	c := commands["grammar check"]
	fs := newFlags(c, stderr)
	schema := fs.String("schema", "", "compile this JSON schema file to GBNF (as response_format json_schema does) and check that")
	print := fs.Bool("print", false, "print the grammar that was checked")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if (*schema == "") == (len(files) == 0) {
		fmt.Fprintln(stderr, "nash grammar check: give grammar files or --schema FILE")
		return errUsage
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
			fmt.Fprint(stdout, s.text)
		}
		g, err := gbnf.Parse(s.text, gbnf.Limits{})
		if err != nil {
			var e *gbnf.Error
			if errors.As(err, &e) && e.Line > 0 {
				fmt.Fprintf(stdout, "%s:%d:%d: %s\n", s.name, e.Line, e.Col, e.Msg)
			} else {
				fmt.Fprintf(stdout, "%s: %v\n", s.name, err)
			}
			failed++
			continue
		}
		st, lim := g.Stats(), gbnf.DefaultLimits
		fmt.Fprintf(stdout, "%s: ok: %d rules, %d elements (limit %d), depth %d (limit %d), fanout %d (limit %d)\n",
			s.name, st.Rules, st.Elements, lim.Elements, st.Depth, lim.Depth, st.Fanout, lim.Fanout)
		if _, err := g.Rules(); err != nil {
			fmt.Fprintf(stdout, "%s: note: it names tokens by text (<...>); each must be one token of the model, which the daemon checks\n", s.name)
		}
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

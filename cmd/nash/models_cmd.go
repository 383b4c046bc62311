package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/nashd/nashd/daemon/client"
)

func init() {
	c := &command{name: "models", summary: "list the daemon's configured models and which one serves", usage: "[--socket PATH] [--json]"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(c, stderr)
		sock := socketFlag(fs)
		asJSON := fs.Bool("json", false, "print /v1/models entries as JSON")
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
		}
		ms, err := client.New(*sock).Models(context.Background())
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(ms)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDEFAULT\tSTATE\tPATH\tNOTE")
		for _, m := range ms {
			def := ""
			if m.Default {
				def = "*"
			}
			note := m.Error
			if m.TestModel {
				note = "built-in test model (random weights)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, def, m.State, m.Path, note)
		}
		return tw.Flush()
	}
	register(c)
}

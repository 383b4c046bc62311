package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/nashd/nashd/daemon/client"
)

func init() {
	c := &command{name: "status", summary: "show the daemon's model, queue, config versions and reload errors", usage: "[--socket PATH] [--json] [--wait]"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(c, stderr)
		sock := socketFlag(fs)
		asJSON := fs.Bool("json", false, "print /v1/status as JSON")
		wait := fs.Bool("wait", false, "wait (with a progress bar) until the model is loaded")
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
		}
		return runStatus(client.New(*sock), *asJSON, *wait, stdout, stderr)
	}
	register(c)
}

func runStatus(c *client.Client, asJSON, wait bool, stdout, stderr io.Writer) error {
	ctx := context.Background()
	if wait {
		if err := waitModel(ctx, c, stderr); err != nil {
			return err
		}
	}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	m := st.Model
	fmt.Fprintf(stdout, "nashd %s (pid %d, up %s) on %s\n", st.Version, st.PID, (time.Duration(st.Uptime) * time.Second).String(), c.Socket)
	switch {
	case m.Serving != nil:
		s := m.Serving
		fmt.Fprintf(stdout, "model:   %s  %s  (%s, %d params, ctx %d × %d slots, loaded in %.0f ms)\n", s.Name, s.Info.Path, s.Info.Description, s.Info.Parameters, s.Info.ContextSize, m.Slots, s.LoadMS)
		if s.TestModel {
			fmt.Fprintf(stdout, "         WARNING: %s\n", s.Warning)
		}
	default:
		fmt.Fprintf(stdout, "model:   %s\n", m.State)
	}
	if l := m.Loading; l != nil {
		fmt.Fprintf(stdout, "loading: %s %s\n", l.Name, progressBar(l.Progress, 20))
	}
	if m.Error != "" {
		fmt.Fprintf(stdout, "error:   %s: %s\n", m.ErrorModel, m.Error)
	}
	if len(m.Draining) > 0 {
		fmt.Fprintf(stdout, "draining: %v\n", m.Draining)
	}
	fmt.Fprintf(stdout, "queue:   %d running, %d queued (slots %d, queue %d), %d swaps\n", m.Running, m.Queued, m.Slots, m.QueueSize, m.Swaps)
	fmt.Fprintf(stdout, "config:  %s generation %d (%d reloads ok, %d failed)\n", st.Config.Dir, st.Config.Generation, st.Config.Reloads.OK, st.Config.Reloads.Failed)
	files := make([]string, 0, len(st.Config.Files))
	for f := range st.Config.Files {
		files = append(files, f)
	}
	sort.Strings(files)
	width := 0
	for _, f := range files {
		width = max(width, len(f))
	}
	for _, f := range files {
		fmt.Fprintf(stdout, "         %-*s %s\n", width, f, st.Config.Files[f].Version)
	}
	errs := make([]string, 0, len(st.Config.Errors))
	for f := range st.Config.Errors {
		errs = append(errs, f)
	}
	sort.Strings(errs)
	for _, f := range errs {
		fmt.Fprintf(stdout, "reload error (old config kept): %s\n", st.Config.Errors[f])
	}
	fmt.Fprintf(stdout, "pricing: %s\ngames:   %v\n", st.Pricing, st.Games)
	return nil
}

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nashd/nashd/daemon/api"
)

// threadCount describes one kind of step's threads: "1 (auto 1-4, 3 stalls, 2 down, 1 up)", or
// "2 (0 stalls)" for a count that does not adapt (fixed, or one thread for a small model).
func threadCount(c api.ThreadCount) string {
	if !c.Adaptive {
		return fmt.Sprintf("%d (%d stalls)", c.Threads, c.Stalls)
	}
	return fmt.Sprintf("%d (auto %d-%d, %d stalls, %d down, %d up)", c.Threads, c.Min, c.Max, c.Stalls, c.StepsDown, c.StepsUp)
}

// WriteStatus writes the daemon's status for people (`nash status`): version, model, queue,
// config files with their versions, reload errors, pricing and games. socket is the path the
// status came from.
func WriteStatus(w io.Writer, st *api.StatusResponse, socket string) error {
	bw := &errWriter{w: w}
	m := st.Model
	fmt.Fprintf(bw, "nashd %s (pid %d, up %s) on %s\n", st.Version, st.PID, (time.Duration(st.Uptime) * time.Second).String(), socket)
	switch {
	case m.Serving != nil:
		s := m.Serving
		fmt.Fprintf(bw, "model:   %s  %s  (%s, %d params, ctx %d × %d slots, loaded in %.0f ms)\n", s.Name, s.Info.Path, s.Info.Description, s.Info.Parameters, s.Info.ContextSize, m.Slots, s.LoadMS)
		if s.TestModel {
			fmt.Fprintf(bw, "         WARNING: %s\n", s.Warning)
		}
		if t := s.Threads; t != nil {
			fmt.Fprintf(bw, "threads: generation %s, prompt %s, poll %d\n", threadCount(t.Generation), threadCount(t.Batch), t.Poll)
		}
		if g := s.GPU; g != nil {
			fmt.Fprintf(bw, "offload: %s\n", modelGPU(g, s.Info.GPULayers))
		}
	default:
		fmt.Fprintf(bw, "model:   %s\n", m.State)
	}
	if l := m.Loading; l != nil {
		fmt.Fprintf(bw, "loading: %s %s\n", l.Name, ProgressBar(l.Progress, 20))
	}
	if m.Error != "" {
		fmt.Fprintf(bw, "error:   %s: %s\n", m.ErrorModel, m.Error)
	}
	if len(m.Draining) > 0 {
		fmt.Fprintf(bw, "draining: %v\n", m.Draining)
	}
	fmt.Fprintf(bw, "queue:   %d running, %d queued (slots %d, queue %d), %d swaps\n", m.Running, m.Queued, m.Slots, m.QueueSize, m.Swaps)
	fmt.Fprintf(bw, "config:  %s generation %d (%d reloads ok, %d failed)\n", st.Config.Dir, st.Config.Generation, st.Config.Reloads.OK, st.Config.Reloads.Failed)
	files := sortedKeys(st.Config.Files)
	width := 0
	for _, f := range files {
		width = max(width, len(f))
	}
	for _, f := range files {
		fmt.Fprintf(bw, "         %-*s %s\n", width, f, st.Config.Files[f].Version)
	}
	for _, f := range sortedKeys(st.Config.Errors) {
		fmt.Fprintf(bw, "reload error (old config kept): %s\n", st.Config.Errors[f])
	}
	if st.GPU != nil {
		WriteGPU(bw, st.GPU)
	}
	fmt.Fprintf(bw, "pricing: %s\ngames:   %v\n", st.Pricing, st.Games)
	if r := st.Reasoning; r != nil {
		fmt.Fprintf(bw, "reasoning: chat mode %s; rule %s, policy %s, analyze_by %s; game %s\n", r.Mode, r.Rule, r.Policy, r.AnalyzeBy, r.Game)
		var parts []string
		for _, s := range r.Strategies {
			if l, ok := r.Learned[s]; ok && l.N > 0 {
				parts = append(parts, fmt.Sprintf("%s %.1f tokens (n %d)", s, l.Mean, l.N))
			} else {
				parts = append(parts, s+" no data")
			}
		}
		fmt.Fprintf(bw, "learned lengths: %s  [%s]\n", strings.Join(parts, ", "), r.LengthsFile)
		if r.LengthsError != "" {
			fmt.Fprintf(bw, "learned lengths error: %s\n", r.LengthsError)
		}
		if r.Problem != "" {
			fmt.Fprintf(bw, "reasoning unavailable: %s\n", r.Problem)
		}
	}
	return bw.err
}

// modelGPU describes where the serving model's layers went: "gpu_layers auto: 12 layers
// on Vulkan0 (...), about 840 MiB (llama.cpp offloaded 12)", with the note.
func modelGPU(g *api.ModelGPU, offloaded int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gpu_layers %s: ", g.Configured)
	if g.Layers == 0 {
		b.WriteString("CPU only")
	} else {
		fmt.Fprintf(&b, "%d layers on %s, about %s (llama.cpp offloaded %d)", g.Layers, g.Device, Bytes(g.DeviceBytes), offloaded)
	}
	if g.Limit > 0 {
		fmt.Fprintf(&b, ", gpu_memory_limit %s", Bytes(g.Limit))
	}
	if g.Fallback {
		b.WriteString("; CPU FALLBACK")
	}
	if g.Note != "" {
		b.WriteString("; " + g.Note)
	}
	return b.String()
}

// WriteGPU writes the GPU backends and devices (`nash status`, `nash version`): one line
// per device with its free and total memory, or why there is none.
func WriteGPU(w io.Writer, g *api.GPUStatus) {
	switch {
	case g.Error != "":
		fmt.Fprintf(w, "gpu:     none: %s\n", g.Error)
	case g.BackendsDir == "":
		fmt.Fprintf(w, "gpu:     none (no GPU backend directory; make gpu builds one)\n")
	case len(g.Devices) == 0:
		fmt.Fprintf(w, "gpu:     backends in %s found no GPU device (Vulkan lists Mesa's software device only with GGML_VK_VISIBLE_DEVICES=0)\n", g.BackendsDir)
	default:
		fmt.Fprintf(w, "gpu:     backends in %s\n", g.BackendsDir)
	}
	for _, d := range g.Devices {
		fmt.Fprintf(w, "  gpu %d: %s  %s  (%s, %s)  free %s of %s\n", d.Index, d.Name, d.Description, d.Backend, d.Type, Bytes(d.FreeBytes), Bytes(d.TotalBytes))
	}
}

// Bytes formats a memory size for people: "512 MiB", "7.8 GiB".
func Bytes(b uint64) string {
	switch {
	case b >= 10<<30:
		return fmt.Sprintf("%.0f GiB", float64(b)/(1<<30))
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// WriteModels writes the configured models as a table (`nash models`): name, a star for the
// default, state, path and a note (the load error, or the test-model warning).
func WriteModels(w io.Writer, ms []api.ModelEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
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
		if m.Parent != "" {
			note = strings.TrimSuffix(fmt.Sprintf("%s with %s reasoning; %s", m.Parent, m.Reasoning, note), "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, def, m.State, m.Path, note)
	}
	return tw.Flush()
}

// ProgressBar renders p in [0, 1] as "[#####-----]  42%" with width marks.
func ProgressBar(p float32, width int) string {
	p = min(max(p, 0), 1)
	n := int(p * float32(width))
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat("-", width-n), 100*p)
}

// WaitModel waits until the daemon's model serves (or none is configured), drawing a
// progress bar on w while it loads.
func (c *Client) WaitModel(ctx context.Context, w io.Writer) error {
	drawn := false
	_, err := c.WaitReady(ctx, func(st *api.StatusResponse) {
		name, p := "model", float32(0)
		if l := st.Model.Loading; l != nil {
			name, p = l.Name, l.Progress
		}
		fmt.Fprintf(w, "\rloading %s %s", name, ProgressBar(p, 30))
		drawn = true
	})
	if drawn {
		fmt.Fprintln(w)
	}
	return err
}

// minRetryWait is the shortest wait before retrying a request the queue turned away.
const minRetryWait = 500 * time.Millisecond

// RetryBusy runs f until the daemon takes the request: while it answers 503 model_loading it
// waits for the model (a progress bar on w), while it answers 503 queue_full it waits
// Retry-After. Any other result is returned.
func (c *Client) RetryBusy(ctx context.Context, w io.Writer, f func() error) error {
	for {
		err := f()
		var ce *Error
		if !errors.As(err, &ce) || ce.Status != 503 {
			return err
		}
		switch ce.API.Code {
		case api.CodeModelLoading:
			if werr := c.WaitModel(ctx, w); werr != nil {
				return werr
			}
		case api.CodeQueueFull:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(max(ce.RetryAfter, minRetryWait)):
			}
		default:
			return err
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errWriter keeps the first write error and skips later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/client"
)

// socketFlag adds --socket to fs; the default comes from client.DefaultSocket
// ($NASHD_SOCKET, $XDG_RUNTIME_DIR/nashd.sock, ...).
func socketFlag(fs *flag.FlagSet) *string {
	return fs.String("socket", "", "nashd's Unix socket `PATH` (default $NASHD_SOCKET, else $XDG_RUNTIME_DIR/nashd.sock, else CONFIGDIR/nashd.sock)")
}

// waitModel waits for the daemon's model, drawing a progress bar on w while it loads.
func waitModel(ctx context.Context, c *client.Client, w io.Writer) error {
	drawn := false
	_, err := c.WaitReady(ctx, func(st *daemon.StatusResponse) {
		name, p := "model", float32(0)
		if l := st.Model.Loading; l != nil {
			name, p = l.Name, l.Progress
		}
		fmt.Fprintf(w, "\rloading %s %s", name, progressBar(p, 30))
		drawn = true
	})
	if drawn {
		fmt.Fprintln(w)
	}
	return err
}

// progressBar renders p in [0, 1] as [#####-----]  42%.
func progressBar(p float32, width int) string {
	p = min(max(p, 0), 1)
	n := int(p * float32(width))
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat("-", width-n), 100*p)
}

// retryLoading runs f, and while the daemon answers 503 model_loading, shows the progress
// bar and retries.
func retryLoading(ctx context.Context, c *client.Client, stderr io.Writer, f func() error) error {
	for {
		err := f()
		var ce *client.Error
		if errors.As(err, &ce) && ce.Status == 503 && ce.API.Code == "model_loading" {
			if werr := waitModel(ctx, c, stderr); werr != nil {
				return werr
			}
			continue
		}
		if errors.As(err, &ce) && ce.Status == 503 && ce.API.Code == "queue_full" {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(max(ce.RetryAfter, 500*time.Millisecond)):
			}
			continue
		}
		return err
	}
}

// readInput returns args joined, or stdin when args is empty or "-".
func readInput(args []string) (string, error) {
	if len(args) == 0 || (len(args) == 1 && args[0] == "-") {
		b, err := io.ReadAll(os.Stdin)
		return strings.TrimSpace(string(b)), err
	}
	return strings.Join(args, " "), nil
}

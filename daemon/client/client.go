// Package client talks to a running nashd over its Unix socket: status, models, chat
// (streamed), and game solving, with the wire types of package daemon/api, and prints the
// daemon's status and models for people. The nash CLI's daemon commands are thin wrappers
// around it. It does not link the server (package daemon) or its dependencies.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/paths"
)

// DefaultSocket returns the socket a client dials when none is given: $NASHD_SOCKET, else
// $XDG_RUNTIME_DIR/nashd.sock, else nashd.sock in the default config directory
// ($NASHD_CONFIG, ./configs when it holds nashd.toml, else the user config dir's nashd/).
// nashd resolves its socket the same way, after its --socket flag and $NASHD_SOCKET also
// reading server.socket from nashd.toml (see package paths).
func DefaultSocket() string { return paths.ClientSocket() }

// Client is a nashd client. The zero value is not usable; call New.
type Client struct {
	Socket string
	http   *http.Client
}

// New returns a client for the daemon listening on socket ("" = DefaultSocket()).
func New(socket string) *Client {
	if socket == "" {
		socket = DefaultSocket()
	}
	return &Client{Socket: socket, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}}
}

// Error is an error answer from the daemon.
type Error struct {
	Status     int           // the HTTP status (200 for an error event in a chat stream)
	RetryAfter time.Duration // from the Retry-After header
	API        api.APIError  // the answer's error object
	// Body is the answer's body (at most 16 MiB read): some errors carry more than the
	// error object (a rejected GTAlign analysis carries its result).
	Body string
}

func (e *Error) Error() string {
	if e.API.Param != "" && !strings.HasPrefix(e.API.Message, e.API.Param) {
		return fmt.Sprintf("%s (HTTP %d, %s)", e.API.Message, e.Status, e.API.Param)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.API.Message, e.Status)
}

// ErrNoDaemon wraps connection failures: nothing listens on the socket.
var ErrNoDaemon = errors.New("nashd is not running")

func (c *Client) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://nashd"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w on %s (start it with `nashd`, or pass --socket / set NASHD_SOCKET): %v", ErrNoDaemon, c.Socket, op.Err)
		}
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		e := &Error{Status: resp.StatusCode, Body: string(b)}
		var body api.ErrorBody
		if json.Unmarshal(b, &body) == nil && body.Error != nil && body.Error.Message != "" {
			e.API = *body.Error
		} else {
			e.API.Message = strings.TrimSpace(string(b))
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
			e.API.RetryAfter = s
		}
		e.API.Status = resp.StatusCode
		return nil, e
	}
	return resp, nil
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	resp, err := c.do(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decoding the answer of GET %s: %w", path, err)
	}
	return nil
}

func (c *Client) postJSON(ctx context.Context, path string, body, v any) error {
	resp, err := c.do(ctx, "POST", path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decoding the answer of POST %s: %w", path, err)
	}
	return nil
}

// Status returns GET /v1/status.
func (c *Client) Status(ctx context.Context) (*api.StatusResponse, error) {
	var st api.StatusResponse
	if err := c.getJSON(ctx, "/v1/status", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Models returns GET /v1/models.
func (c *Client) Models(ctx context.Context) ([]api.ModelEntry, error) {
	var out api.List[api.ModelEntry]
	if err := c.getJSON(ctx, "/v1/models", &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Solve posts req to /v1/games/solve and returns the daemon's answer.
func (c *Client) Solve(ctx context.Context, req api.SolveRequest) (*api.SolveResponse, error) {
	var out api.SolveResponse
	if err := c.postJSON(ctx, "/v1/games/solve", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitReady polls /v1/status until a model serves (or none is configured), calling
// progress with each status while it loads. It returns the last status. A daemon that is
// still starting (no socket yet) is waited for up to 5 seconds.
func (c *Client) WaitReady(ctx context.Context, progress func(*api.StatusResponse)) (*api.StatusResponse, error) {
	// A daemon started a moment ago (`nashd &` then `nash status --wait`) may not listen yet:
	// wait up to startGrace for its socket before reporting that none runs.
	deadline := time.Now().Add(startGrace)
	for {
		st, err := c.Status(ctx)
		if errors.Is(err, ErrNoDaemon) && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		switch st.Model.State {
		case "ready", "none":
			return st, nil
		case "failed":
			return st, fmt.Errorf("model failed to load: %s", st.Model.Error)
		}
		if progress != nil {
			progress(st)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// startGrace is how long WaitReady waits for a daemon's socket to appear.
const startGrace = 5 * time.Second

// ChatResult is a finished chat completion.
type ChatResult struct {
	Content      string
	FinishReason string
	Model        string
	Usage        api.Usage
	Raw          json.RawMessage // the whole response (non-streamed) or the final chunk
}

// Chat sends a chat completion. With onDelta set, it streams and calls onDelta with each
// piece of text; otherwise it waits for the whole answer.
func (c *Client) Chat(ctx context.Context, req api.ChatRequest, onDelta func(string)) (*ChatResult, error) {
	req.Stream = onDelta != nil
	if req.Stream {
		req.StreamOptions = &api.StreamOptions{IncludeUsage: true}
	}
	resp, err := c.do(ctx, "POST", "/v1/chat/completions", req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if !req.Stream {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		var cr api.ChatResponse
		if err := json.Unmarshal(b, &cr); err != nil {
			return nil, fmt.Errorf("decoding the answer: %w", err)
		}
		res := &ChatResult{Model: cr.Model, Raw: b}
		if cr.Usage != nil {
			res.Usage = *cr.Usage
		}
		if len(cr.Choices) > 0 {
			if m := cr.Choices[0].Message; m != nil && m.Content != nil {
				res.Content = *m.Content
			}
			if f := cr.Choices[0].FinishReason; f != nil {
				res.FinishReason = *f
			}
		}
		return res, nil
	}
	res := &ChatResult{}
	var b strings.Builder
	err = readSSE(ctx, resp.Body, "stream", func(data string) error {
		var ch struct {
			api.ChatResponse
			Error *api.APIError `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			return fmt.Errorf("decoding a stream event: %w", err)
		}
		if ch.Error != nil {
			return &Error{Status: 200, API: *ch.Error}
		}
		res.Model = ch.Model
		if ch.Usage != nil {
			res.Usage = *ch.Usage
		}
		for _, choice := range ch.Choices {
			if d := choice.Delta; d != nil && d.Content != nil && *d.Content != "" {
				b.WriteString(*d.Content)
				onDelta(*d.Content)
			}
			if choice.FinishReason != nil {
				res.FinishReason = *choice.FinishReason
				res.Raw = json.RawMessage(data)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Content = b.String()
	return res, nil
}

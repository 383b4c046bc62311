// Package client talks to a running nashd over its Unix socket: status, models, chat
// (streamed), and game solving. cmd/nash's daemon commands are thin wrappers around it.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nashd/nashd/daemon"
)

// DefaultSocket returns the socket the daemon uses by default: $NASHD_SOCKET, else
// $XDG_RUNTIME_DIR/nashd.sock, else nashd.sock in the default config directory
// ($NASHD_CONFIG, ./configs when it holds nashd.toml, else the user config dir's nashd/).
func DefaultSocket() string {
	if s := os.Getenv("NASHD_SOCKET"); s != "" {
		return s
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "nashd.sock")
	}
	if d := os.Getenv("NASHD_CONFIG"); d != "" {
		return filepath.Join(d, "nashd.sock")
	}
	if _, err := os.Stat("configs/nashd.toml"); err == nil {
		return filepath.Join("configs", "nashd.sock")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "nashd", "nashd.sock")
	}
	return "nashd.sock"
}

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
	Status     int
	RetryAfter time.Duration
	API        daemon.APIError
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
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		e := &Error{Status: resp.StatusCode}
		var body struct {
			Error daemon.APIError `json:"error"`
		}
		if json.Unmarshal(b, &body) == nil && body.Error.Message != "" {
			e.API = body.Error
		} else {
			e.API.Message = strings.TrimSpace(string(b))
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			var s int
			fmt.Sscan(ra, &s)
			e.RetryAfter = time.Duration(s) * time.Second
		}
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
	return json.NewDecoder(resp.Body).Decode(v)
}

// Status returns GET /v1/status.
func (c *Client) Status(ctx context.Context) (*daemon.StatusResponse, error) {
	var st daemon.StatusResponse
	if err := c.getJSON(ctx, "/v1/status", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Models returns GET /v1/models.
func (c *Client) Models(ctx context.Context) ([]daemon.ModelEntry, error) {
	var out struct {
		Data []daemon.ModelEntry `json:"data"`
	}
	if err := c.getJSON(ctx, "/v1/models", &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Solve posts a game (a configured game's name, or a game object) to /v1/games/solve and
// returns the raw JSON answer.
func (c *Client) Solve(ctx context.Context, game json.RawMessage, method string) (json.RawMessage, error) {
	resp, err := c.do(ctx, "POST", "/v1/games/solve", daemon.SolveRequest{Game: game, Method: method})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// WaitReady polls /v1/status until a model serves (or none is configured), calling
// progress with each status while it loads. It returns the last status.
func (c *Client) WaitReady(ctx context.Context, progress func(*daemon.StatusResponse)) (*daemon.StatusResponse, error) {
	for {
		st, err := c.Status(ctx)
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

// ChatResult is a finished chat completion.
type ChatResult struct {
	Content      string
	FinishReason string
	Model        string
	Usage        daemon.Usage
	Raw          json.RawMessage // the whole response (non-streamed) or the final chunk
}

// Chat sends a chat completion. With onDelta set, it streams and calls onDelta with each
// piece of text; otherwise it waits for the whole answer.
func (c *Client) Chat(ctx context.Context, req daemon.ChatRequest, onDelta func(string)) (*ChatResult, error) {
	req.Stream = onDelta != nil
	if req.Stream {
		req.StreamOptions = &daemon.StreamOptions{IncludeUsage: true}
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
		var cr daemon.ChatResponse
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
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			res.Content = b.String()
			return res, nil
		}
		var ch struct {
			daemon.ChatResponse
			Error *daemon.APIError `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			return nil, fmt.Errorf("decoding a stream event: %w", err)
		}
		if ch.Error != nil {
			return nil, &Error{Status: 200, API: *ch.Error}
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
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("stream ended without [DONE]")
}

package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/reasoning/agents"
)

// Play posts req to /v1/games/play: two agents on the daemon's model play a game, judged by
// the solver. With onEvent set it streams and calls onEvent with each transcript event as it
// happens (an error from onEvent ends the request, which stops the game); otherwise it waits
// for the whole game. It returns the result (the transcript inside). Cancelling ctx
// disconnects, and the daemon stops the game.
func (c *Client) Play(ctx context.Context, req api.PlayRequest, onEvent func(agents.Event) error) (*api.PlayResult, error) {
	req.Stream = onEvent != nil
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // an early return closes the connection, which stops the game
	resp, err := c.do(ctx, "POST", "/v1/games/play", req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if !req.Stream {
		var out api.PlayResult
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, fmt.Errorf("decoding the answer of POST /v1/games/play: %w", err)
		}
		return &out, nil
	}
	var result *api.PlayResult
	var streamErr error
	err = readSSE(ctx, resp.Body, "game stream", func(data string) error {
		ev, res, apiErr, err := api.DecodePlayEvent([]byte(data))
		switch {
		case err != nil:
			return err
		case apiErr != nil:
			apiErr.Status = 200
			streamErr = &Error{Status: 200, API: *apiErr, Body: data}
		case res != nil:
			result = res
		case ev != nil:
			return onEvent(*ev)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case result == nil && streamErr == nil:
		return nil, errors.New("game stream ended without a result")
	}
	return result, streamErr
}

package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nashd/nashd/daemon/api"
)

// Reason posts req to /v1/reason (GTAlign reasoning) and returns the result object. When the
// daemon refuses the model's analysis (policy "reject": a *Error with code
// [api.CodeAnalysisRejected], HTTP 422) or the model's payoff block does not parse
// ([api.CodeModelOutput], 502), the result so far (matrix, frontier, both choices) comes
// back beside the error.
func (c *Client) Reason(ctx context.Context, req api.ReasonRequest) (*api.ReasonResponse, error) {
	req.Stream = false
	resp, err := c.do(ctx, "POST", "/v1/reason", req)
	if err != nil {
		return partialResult(err), err
	}
	defer resp.Body.Close()
	var out api.ReasonResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding the answer of POST /v1/reason: %w", err)
	}
	return &out, nil
}

// partialResult returns the result an error answer of /v1/reason carries, or nil.
func partialResult(err error) *api.ReasonResponse {
	var e *Error
	if !errors.As(err, &e) || len(e.Body) == 0 {
		return nil
	}
	var body api.ReasonErrorBody
	if json.Unmarshal([]byte(e.Body), &body) != nil {
		return nil
	}
	return body.Result
}

// ReasonStream is Reason with the transcript streamed as it is written: onDelta receives
// kind [api.EventReasoning] (thinking, payoff and the analysis that stands, tags included)
// and then [api.EventContent] (the response block's text). It returns what Reason returns.
func (c *Client) ReasonStream(ctx context.Context, req api.ReasonRequest, onDelta func(kind, text string)) (*api.ReasonResponse, error) {
	req.Stream = true
	resp, err := c.do(ctx, "POST", "/v1/reason", req)
	if err != nil {
		return partialResult(err), err
	}
	defer resp.Body.Close()
	var result *api.ReasonResponse
	var streamErr error
	err = readSSE(ctx, resp.Body, "reason stream", func(data string) error {
		var ev api.ReasonEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return fmt.Errorf("decoding a stream event: %w", err)
		}
		switch {
		case ev.Error != nil:
			ev.Error.Status = 200
			streamErr = &Error{Status: 200, API: *ev.Error, Body: data}
			result = ev.Result
		case ev.Kind == api.EventResult:
			result = ev.Result
		case onDelta != nil && ev.Text != "":
			onDelta(ev.Kind, ev.Text)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case result == nil && streamErr == nil:
		return nil, errors.New("reason stream ended without a result")
	}
	return result, streamErr
}

package api

import (
	"fmt"
	"net/http"
)

// APIError is an error answer: its HTTP status and OpenAI's error object. It encodes as the
// object inside [ErrorBody]; the status and Retry-After travel as HTTP headers.
type APIError struct {
	Status  int    `json:"-"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Param   string `json:"param,omitempty"`
	Code    string `json:"code,omitempty"`
	// RetryAfter is in seconds; the server sets the Retry-After header when it is > 0.
	RetryAfter int `json:"-"`
}

// Error returns the message.
func (e *APIError) Error() string { return e.Message }

// ErrorBody is the JSON body of every error answer (and of an error event in a chat stream).
type ErrorBody struct {
	Error *APIError `json:"error"`
}

// Error types (OpenAI's "type" field, plus nashd's).
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeServer         = "server_error"
	TypeUnavailable    = "unavailable"
	TypeNotImplemented = "not_implemented"
	TypePermission     = "permission_error"
	TypeTimeout        = "timeout"
	TypeCancelled      = "cancelled"
)

// Error codes (the "code" field) that clients act on.
const (
	// CodeModelLoading (503): the model is loading; retry after Retry-After.
	CodeModelLoading = "model_loading"
	// CodeQueueFull (503): every slot is busy and the queue is full; retry after Retry-After.
	CodeQueueFull = "queue_full"
	// CodeMethodNotApplicable (400): a solve method is unknown or does not apply to the game.
	// The message is the solver's own error.
	CodeMethodNotApplicable = "method_not_applicable"
	// CodeUnsolvable (422): the solver cannot handle the game with the method. The message is
	// the solver's own error.
	CodeUnsolvable = "unsolvable"
)

// BadRequest returns a 400 naming the offending field: the message is "param: " followed by
// the formatted reason (just the reason when param is empty).
func BadRequest(param, format string, args ...any) *APIError {
	msg := fmt.Sprintf(format, args...)
	if param != "" {
		msg = param + ": " + msg
	}
	return &APIError{Status: http.StatusBadRequest, Message: msg, Type: TypeInvalidRequest, Param: param}
}

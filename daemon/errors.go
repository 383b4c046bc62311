package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference"
)

// APIError is an error with an HTTP status, written in OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
type APIError struct {
	Status     int    `json:"-"`
	Message    string `json:"message"`
	Type       string `json:"type"`
	Param      string `json:"param,omitempty"`
	Code       string `json:"code,omitempty"`
	RetryAfter int    `json:"-"` // seconds; sets Retry-After when > 0
}

func (e *APIError) Error() string { return e.Message }

// BadRequest returns a 400 naming the offending field.
func BadRequest(param, format string, args ...any) *APIError {
	msg := fmt.Sprintf(format, args...)
	if param != "" {
		msg = param + ": " + msg
	}
	return &APIError{Status: http.StatusBadRequest, Message: msg, Type: "invalid_request_error", Param: param}
}

// AsAPIError maps any error to an APIError: sentinel errors of the model manager and the
// engine get their statuses; anything else is a 500.
func AsAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	var le *modelmgr.LoadingError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &APIError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body larger than %d bytes", mbe.Limit), Type: "invalid_request_error", Code: "body_too_large"}
	case errors.As(err, &le):
		return &APIError{Status: http.StatusServiceUnavailable, Message: le.Error(), Type: "unavailable", Code: "model_loading", RetryAfter: 2}
	case errors.Is(err, modelmgr.ErrQueueFull):
		return &APIError{Status: http.StatusServiceUnavailable, Message: "all slots busy and the request queue is full; retry later", Type: "unavailable", Code: "queue_full", RetryAfter: 1}
	case errors.Is(err, modelmgr.ErrUnknown), errors.Is(err, modelmgr.ErrNotLoaded):
		return &APIError{Status: http.StatusNotFound, Message: err.Error(), Type: "invalid_request_error", Param: "model", Code: "model_not_found"}
	case errors.Is(err, modelmgr.ErrNoModel):
		return &APIError{Status: http.StatusServiceUnavailable, Message: "no model is configured (set default in models.toml)", Type: "unavailable", Code: "no_model", RetryAfter: 5}
	case errors.Is(err, modelmgr.ErrModelFailed):
		return &APIError{Status: http.StatusServiceUnavailable, Message: err.Error(), Type: "unavailable", Code: "model_failed", RetryAfter: 5}
	case errors.Is(err, modelmgr.ErrClosed), errors.Is(err, inference.ErrClosed):
		return &APIError{Status: http.StatusServiceUnavailable, Message: "the daemon is shutting down", Type: "unavailable", Code: "shutting_down", RetryAfter: 1}
	case errors.Is(err, inference.ErrPromptTooLong):
		return &APIError{Status: http.StatusUnprocessableEntity, Message: err.Error(), Type: "invalid_request_error", Param: "messages", Code: "context_length_exceeded"}
	case errors.Is(err, inference.ErrInvalidGrammar):
		return &APIError{Status: http.StatusBadRequest, Message: err.Error(), Type: "invalid_request_error", Param: "grammar", Code: "invalid_grammar"}
	case errors.Is(err, inference.ErrInvalidRequest):
		return &APIError{Status: http.StatusBadRequest, Message: err.Error(), Type: "invalid_request_error"}
	case errors.Is(err, context.DeadlineExceeded):
		return &APIError{Status: http.StatusGatewayTimeout, Message: "request timed out (server.request_timeout)", Type: "timeout", Code: "timeout"}
	case errors.Is(err, context.Canceled):
		return &APIError{Status: 499, Message: "request cancelled by the client", Type: "cancelled", Code: "cancelled"}
	}
	return &APIError{Status: http.StatusInternalServerError, Message: "internal error: " + err.Error(), Type: "server_error"}
}

// WriteError writes err as an OpenAI-shaped JSON error with its status.
func WriteError(w http.ResponseWriter, err error) {
	ae := AsAPIError(err)
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	writeJSON(w, ae.Status, map[string]any{"error": ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"internal error: encoding the response","type":"server_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeJSON decodes a request body into v, mapping errors to 400 (with the field) and 413.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return BadRequest("", "unexpected data after the JSON body")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			f = "body"
		}
		return BadRequest(f, "expected %s, got JSON %s", jsonKind(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return BadRequest("", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, errEOF):
		return BadRequest("", "empty request body")
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return BadRequest("", "malformed JSON: %v", err)
}

func jsonKind(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint32", "uint64":
		return "an integer"
	case "float64", "float32":
		return "a number"
	}
	if len(goType) > 2 && goType[:2] == "[]" {
		return "an array"
	}
	return "an object"
}

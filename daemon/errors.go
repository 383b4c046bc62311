package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/remote"
)

// AsAPIError maps any error to an [api.APIError]: sentinel errors of the model manager and
// the engine get their statuses; anything else is a 500.
func AsAPIError(err error) *api.APIError {
	var ae *api.APIError
	if errors.As(err, &ae) {
		return ae
	}
	var le *modelmgr.LoadingError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &api.APIError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body larger than %d bytes", mbe.Limit), Type: api.TypeInvalidRequest, Code: "body_too_large"}
	case errors.As(err, &le):
		return &api.APIError{Status: http.StatusServiceUnavailable, Message: le.Error(), Type: api.TypeUnavailable, Code: api.CodeModelLoading, RetryAfter: 2}
	case errors.Is(err, modelmgr.ErrQueueFull):
		return &api.APIError{Status: http.StatusServiceUnavailable, Message: "all slots busy and the request queue is full; retry later", Type: api.TypeUnavailable, Code: api.CodeQueueFull, RetryAfter: 1}
	case errors.Is(err, modelmgr.ErrUnknown), errors.Is(err, modelmgr.ErrNotLoaded):
		return &api.APIError{Status: http.StatusNotFound, Message: err.Error(), Type: api.TypeInvalidRequest, Param: "model", Code: "model_not_found"}
	case errors.Is(err, modelmgr.ErrNoModel):
		return &api.APIError{Status: http.StatusServiceUnavailable, Message: "no model is configured (set default in models.toml)", Type: api.TypeUnavailable, Code: "no_model", RetryAfter: 5}
	case errors.Is(err, modelmgr.ErrModelFailed):
		return &api.APIError{Status: http.StatusServiceUnavailable, Message: err.Error(), Type: api.TypeUnavailable, Code: "model_failed", RetryAfter: 5}
	case errors.Is(err, modelmgr.ErrClosed), errors.Is(err, inference.ErrClosed):
		return &api.APIError{Status: http.StatusServiceUnavailable, Message: "the daemon is shutting down", Type: api.TypeUnavailable, Code: "shutting_down", RetryAfter: 1}
	case errors.Is(err, inference.ErrPromptTooLong):
		return &api.APIError{Status: http.StatusUnprocessableEntity, Message: err.Error(), Type: api.TypeInvalidRequest, Param: "messages", Code: "context_length_exceeded"}
	case errors.Is(err, inference.ErrInvalidGrammar):
		return &api.APIError{Status: http.StatusBadRequest, Message: err.Error(), Type: api.TypeInvalidRequest, Param: "grammar", Code: "invalid_grammar"}
	case errors.Is(err, inference.ErrInvalidRequest):
		return &api.APIError{Status: http.StatusBadRequest, Message: err.Error(), Type: api.TypeInvalidRequest}
	case errors.Is(err, remote.ErrBusy):
		return &api.APIError{Status: http.StatusServiceUnavailable, Message: err.Error(), Type: api.TypeUnavailable, Code: "remote_busy", RetryAfter: 2}
	case errors.Is(err, remote.ErrTimeout): // before ErrServer, which it wraps
		return &api.APIError{Status: http.StatusGatewayTimeout, Message: err.Error(), Type: api.TypeTimeout, Code: "remote_timeout"}
	case errors.Is(err, remote.ErrUnreachable), errors.Is(err, remote.ErrUnauthorized), errors.Is(err, remote.ErrStreamCut), errors.Is(err, remote.ErrServer):
		return &api.APIError{Status: http.StatusBadGateway, Message: err.Error(), Type: api.TypeServer, Code: "remote_error"}
	case errors.Is(err, context.DeadlineExceeded):
		return &api.APIError{Status: http.StatusGatewayTimeout, Message: "request timed out (server.request_timeout)", Type: api.TypeTimeout, Code: "timeout"}
	case errors.Is(err, context.Canceled):
		return &api.APIError{Status: 499, Message: "request cancelled by the client", Type: api.TypeCancelled, Code: "cancelled"}
	}
	return &api.APIError{Status: http.StatusInternalServerError, Message: "internal error: " + err.Error(), Type: api.TypeServer}
}

// WriteError writes err as an OpenAI-shaped JSON error with its status.
func WriteError(w http.ResponseWriter, err error) {
	ae := AsAPIError(err)
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	writeJSON(w, ae.Status, api.ErrorBody{Error: ae})
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
		return api.BadRequest("", "unexpected data after the JSON body")
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
		return api.BadRequest(f, "expected %s, got JSON %s", jsonKind(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return api.BadRequest("", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, errEOF):
		return api.BadRequest("", "empty request body")
	}
	var ae *api.APIError
	if errors.As(err, &ae) {
		return ae
	}
	return api.BadRequest("", "malformed JSON: %v", err)
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

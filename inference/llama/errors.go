package llama

// #include <stdlib.h>
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Errors callers branch on.
var (
	// ErrAborted: llama_decode returned early because the context's abort flag was set.
	ErrAborted = errors.New("llama: decode aborted")
	// ErrDeadline: llama_decode was stopped because it ran past the limit given to
	// [Context.DecodeWithin].
	ErrDeadline = errors.New("llama: decode ran past its time limit")
	// ErrNoKVSlot: the KV cache has no room for the batch (llama_decode returned 1).
	ErrNoKVSlot = errors.New("llama: no KV cache slot for the batch")
	// ErrInvalidGrammar: a GBNF grammar did not parse or check (package gbnf), or turned
	// out too ambiguous to match at some point of the output.
	ErrInvalidGrammar = errors.New("llama: invalid grammar")
	// ErrClosed: the model, context or sampler was closed.
	ErrClosed = errors.New("llama: use after close")
)

// Error is a failure reported by llama.cpp: the operation, the message (an exception's what()
// or a description of the failing status) and, where llama.cpp logged one just before, its
// last error log line.
type Error struct {
	Op  string
	Msg string
	Log string // llama.cpp's last error-level log line during the call, if any
	Err error  // a sentinel this failure matches, if any
}

func (e *Error) Error() string {
	s := "llama: " + e.Op + ": " + e.Msg
	if e.Log != "" {
		s += ": " + e.Log
	}
	return s
}

// Unwrap returns the sentinel the failure matches (nil if none).
func (e *Error) Unwrap() error { return e.Err }

// cError converts a shim failure into a Go error and frees the C message. It is the one place
// where C results become Go errors. cerr may be nil (the call failed without a message).
func cError(op string, cerr *C.char, sentinel error, logMark uint64) error {
	msg := "failed"
	if cerr != nil {
		msg = C.GoString(cerr)
		C.free(unsafe.Pointer(cerr))
	}
	return &Error{Op: op, Msg: msg, Log: lastErrorSince(logMark), Err: sentinel}
}

// errorf builds an Error for a failure detected on the Go side.
func errorf(op string, sentinel error, format string, args ...any) error {
	return &Error{Op: op, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

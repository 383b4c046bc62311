package llama

/*
#cgo CXXFLAGS: -std=c++17
#include "shim.h"
*/
import "C"

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// logger receives llama.cpp's and ggml's log lines; nil means slog.Default().
var logger atomic.Pointer[slog.Logger]

// SetLogger routes llama.cpp's log output to l (nil restores slog.Default()). llama.cpp's
// levels map to slog's as: error → Error, warning → Warn, info → Debug, debug → Debug-4, so a
// logger at the usual Info level shows only warnings and errors, and a Debug logger shows the
// model-loading chatter too.
func SetLogger(l *slog.Logger) { logger.Store(l) }

func currentLogger() *slog.Logger {
	if l := logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// ggml_log_level values (ggml.h).
const (
	ggmlLogDebug = 1
	ggmlLogInfo  = 2
	ggmlLogWarn  = 3
	ggmlLogError = 4
	ggmlLogCont  = 5
)

// lineBuf assembles llama.cpp's partial log writes (GGML_LOG_LEVEL_CONT continues the previous
// line) into whole lines.
var lineBuf struct {
	mu    sync.Mutex
	buf   strings.Builder
	level int
}

// errSeq counts error-level lines; lastErr holds the most recent one, so a failing call can
// attach the cause llama.cpp logged (model load and grammar parse failures are only logged).
var (
	errSeq  atomic.Uint64
	lastErr atomic.Pointer[string]
)

// logMark returns a mark for lastErrorSince.
func logMark() uint64 { return errSeq.Load() }

// lastErrorSince returns the last error line logged after mark, or "".
func lastErrorSince(mark uint64) string {
	if errSeq.Load() == mark {
		return ""
	}
	if p := lastErr.Load(); p != nil {
		return *p
	}
	return ""
}

func handleLog(level int, text string) {
	lineBuf.mu.Lock()
	if level != ggmlLogCont {
		lineBuf.level = level
	}
	lineBuf.buf.WriteString(text)
	s := lineBuf.buf.String()
	if !strings.HasSuffix(s, "\n") {
		lineBuf.mu.Unlock()
		return
	}
	lineBuf.buf.Reset()
	lvl := lineBuf.level
	lineBuf.mu.Unlock()

	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var sl slog.Level
		switch {
		case (lvl == ggmlLogError || lvl == ggmlLogWarn) && abortEcho(line):
			sl = slog.LevelDebug
		case lvl == ggmlLogError:
			sl = slog.LevelError
			l := line
			lastErr.Store(&l)
			errSeq.Add(1)
		case lvl == ggmlLogWarn:
			sl = slog.LevelWarn
		case lvl == ggmlLogInfo:
			sl = slog.LevelDebug
		default:
			sl = slog.LevelDebug - 4
		}
		lg := currentLogger()
		if lg.Enabled(context.Background(), sl) {
			lg.Log(context.Background(), sl, line, "source", "llama.cpp")
		}
	}
}

// abortEchoes are the lines llama.cpp logs, as errors and warnings, when a decode stops
// because its abort callback said so (ggml status 1 = GGML_STATUS_ABORTED, llama_decode's
// status 2). nashd aborts decodes on purpose (cancellation, the thread controller's time
// limit; see [Context.DecodeWithin]) and reports them as [ErrAborted] or [ErrDeadline], so
// these lines are logged at Debug level.
var abortEchoes = []string{
	"ggml_backend_sched_graph_compute_async failed with error 1",
	"failed to compute graph, compute status: 1",
	"removing memory module entries for seq_id",
	"failed to decode, ret = 2",
}

func abortEcho(line string) bool {
	for _, e := range abortEchoes {
		if strings.Contains(line, e) {
			return true
		}
	}
	return false
}

var initOnce sync.Once

// Init initializes llama.cpp's backends and installs the log router. It runs once; every
// entry point of this package calls it, so callers never need to.
func Init() {
	initOnce.Do(func() {
		C.nash_log_install()
		C.llama_backend_init()
	})
}

package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/reasoning/pricing"
)

// LengthsFile is the file in the state directory ([config.Snapshot.StateDir]) that keeps the
// learned GTAlign response lengths per strategy across restarts.
const LengthsFile = "gtalign-lengths.json"

// learnedLengths owns the running averages of GTAlign response lengths ([pricing.Lengths])
// and their file. It opens the file of the state directory in force, and reopens when
// reasoning.state_dir changes; saves are serialised, so the file never goes back in time.
type learnedLengths struct {
	log *slog.Logger

	mu      sync.Mutex // guards the fields below and serialises saves
	path    string
	l       *pricing.Lengths
	loadErr string // why the file could not be used as it was
	saveErr string // the last save's error
}

// get returns the averages for the snapshot's state directory, opening its file the first
// time. A file that cannot be parsed is moved aside (FILE.bad) and history starts afresh; one
// that cannot be read leaves the averages in memory. Either way the reason is kept for
// /v1/status.
func (ll *learnedLengths) get(snap *config.Snapshot) *pricing.Lengths {
	path := filepath.Join(snap.StateDir(), LengthsFile)
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.l != nil && ll.path == path {
		return ll.l
	}
	ll.path, ll.loadErr, ll.saveErr = path, "", ""
	l, err := pricing.OpenLengths(path)
	if err != nil {
		if _, statErr := os.Stat(path); statErr == nil {
			bad := path + ".bad"
			if rerr := os.Rename(path, bad); rerr == nil {
				ll.loadErr = fmt.Sprintf("%v (moved to %s; learning afresh)", err, bad)
				l, err = pricing.OpenLengths(path)
			}
		}
	}
	if err != nil {
		ll.loadErr = fmt.Sprintf("%v (learned lengths are kept in memory only)", err)
		l = new(pricing.Lengths) // in memory: Save does nothing
	}
	if ll.loadErr != "" {
		ll.log.Warn("learned lengths", "file", path, "err", ll.loadErr)
	}
	ll.l = l
	return l
}

// observe records one response of tokens tokens answered with strategy in l and saves l.
func (ll *learnedLengths) observe(l *pricing.Lengths, strategy string, tokens int) {
	if err := l.Observe(strategy, tokens); err != nil {
		ll.log.Warn("learned lengths: observe", "strategy", strategy, "tokens", tokens, "err", err)
		return
	}
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if err := l.Save(); err != nil {
		ll.saveErr = err.Error()
		ll.log.Warn("learned lengths: save", "file", l.Path(), "err", err)
		return
	}
	ll.saveErr = ""
}

// status returns the file, the averages and the problems to report.
func (ll *learnedLengths) status(snap *config.Snapshot) (path string, stats map[string]pricing.LengthStat, problem string) {
	l := ll.get(snap)
	ll.mu.Lock()
	defer ll.mu.Unlock()
	problem = ll.loadErr
	if ll.saveErr != "" {
		problem = strings.TrimPrefix(problem+"; "+ll.saveErr, "; ")
	}
	return ll.path, l.Stats(), problem
}

package config

import (
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Store holds the current Snapshot and reloads it. Its methods are safe for concurrent use.
type Store struct {
	dir    string
	games  GameParser
	log    *slog.Logger
	cur    atomic.Pointer[Snapshot]
	mu     sync.Mutex // serialises reloads; guards the fields below
	errs   map[string]string
	stats  ReloadStats
	notify []func(old, new *Snapshot)
	// seen fingerprints the files as they were just before the last load or reload read
	// them (applied or rejected). Taken before the read, it can only be older than what was
	// read, never newer: an edit racing the read makes the disk differ from seen, and the
	// watcher's check ([Store.stale]) reloads again instead of losing it.
	seen [32]byte
}

// testHookRead, if set by a test, runs after a load or reload has read the files and before
// it parses them: the window in which an edit must not be lost.
var testHookRead func()

// ReloadStats counts reload attempts.
type ReloadStats struct {
	OK        uint64    `json:"ok"`        // reloads that applied a change
	Unchanged uint64    `json:"unchanged"` // reloads that found nothing new
	Failed    uint64    `json:"failed"`    // reloads rejected (old config kept)
	Last      time.Time `json:"last"`      // time of the last attempt
	LastError string    `json:"last_error,omitempty"`
}

// StoreOptions configure Open. The zero value is valid.
type StoreOptions struct {
	Games  GameParser   // nil = OpaqueGame
	Logger *slog.Logger // nil = slog.Default()
}

// Open loads dir; the first load must succeed.
func Open(dir string, opts StoreOptions) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	seen := fingerprint(abs) // before the read: see Store.seen
	s, err := Load(abs, opts.Games)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for k, v := range s.Files {
		v.Loaded = now
		s.Files[k] = v
	}
	st := &Store{dir: s.Dir, games: opts.Games, log: opts.Logger, errs: map[string]string{}, seen: seen}
	if st.log == nil {
		st.log = slog.Default()
	}
	st.cur.Store(s)
	return st, nil
}

// Dir returns the absolute config directory.
func (st *Store) Dir() string { return st.dir }

// Current returns the snapshot in force. It never returns nil.
func (st *Store) Current() *Snapshot { return st.cur.Load() }

// OnChange registers f to be called (synchronously, under the reload lock) after each
// applied change.
func (st *Store) OnChange(f func(old, new *Snapshot)) {
	st.mu.Lock()
	st.notify = append(st.notify, f)
	st.mu.Unlock()
}

// Errors returns the per-file errors of the last reload (empty after a successful one).
func (st *Store) Errors() map[string]string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return maps.Clone(st.errs)
}

// Stats returns the reload counters.
func (st *Store) Stats() ReloadStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.stats
}

// stale reports whether the files on disk differ from what the last load or reload read.
// It may report a difference that a reload then finds unchanged (an mtime-only touch, or a
// reload in between); it never misses an edit made after that read began.
func (st *Store) stale() bool { return st.differs(fingerprint(st.dir)) }

// differs reports whether fp, a fingerprint of the directory, differs from what the last
// load or reload read.
func (st *Store) differs(fp [32]byte) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return fp != st.seen
}

// Reload reads and validates every file; if all are valid and something changed, it publishes
// a new snapshot. On any error the current snapshot stays whole and the error is returned
// and recorded per file. reason is logged ("fsnotify", "SIGHUP", "poll").
func (st *Store) Reload(reason string) (changed bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	old := st.cur.Load()
	st.stats.Last = time.Now()
	st.seen = fingerprint(st.dir) // before the read: see Store.seen
	files, rerrs := rawFiles(st.dir)
	if testHookRead != nil {
		testHookRead()
	}
	next, perrs := parse(st.dir, files, st.games)
	maps.Copy(perrs, rerrs)
	if len(perrs) > 0 {
		st.errs = map[string]string{}
		for k, v := range perrs {
			st.errs[k] = v.Error()
		}
		st.stats.Failed++
		e := joinErrs(perrs)
		st.stats.LastError = e.Error()
		st.log.Error("config reload rejected; keeping the previous config", "reason", reason, "generation", old.Generation, "err", e)
		return false, e
	}
	st.errs = map[string]string{}
	st.stats.LastError = ""
	if sameFiles(old.Files, next.Files) {
		st.stats.Unchanged++
		return false, nil
	}
	now := time.Now()
	var diff []string
	for k, v := range next.Files {
		if ov, ok := old.Files[k]; ok && ov.Version == v.Version {
			v.Loaded = ov.Loaded
		} else {
			v.Loaded = now
			diff = append(diff, fmt.Sprintf("%s@%s", k, v.Version))
		}
		next.Files[k] = v
	}
	for k := range old.Files {
		if _, ok := next.Files[k]; !ok {
			diff = append(diff, k+" removed")
		}
	}
	next.Generation = old.Generation + 1
	st.cur.Store(next)
	st.stats.OK++
	st.log.Info("config reloaded", "reason", reason, "generation", next.Generation, "changed", diff)
	for _, f := range st.notify {
		f(old, next)
	}
	return true, nil
}

package config

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchOptions tune [Store.Arm] and [Store.Watch]. Zero fields take the defaults.
type WatchOptions struct {
	// Debounce merges a burst of events (an editor's write+rename+chmod) into one reload.
	Debounce time.Duration // default 100ms
	// Poll is the period of the stat-poll fallback, which catches changes inotify misses
	// (network filesystems, some container mounts). Negative disables it.
	Poll time.Duration // default 2s
	// Reloaded, if set, is called after each reload attempt triggered by the watcher
	// (including the one Arm makes when the disk changed since the store read it).
	Reloaded func(changed bool, err error)
}

// Watcher reloads a [Store] on changes to its directory. [Store.Arm] makes one; [Watcher.Run]
// handles its events.
type Watcher struct {
	st           *Store
	opts         WatchOptions
	fsw          *fsnotify.Watcher
	gamesDir     string
	gamesWatched bool
}

// Arm starts watching the config directory and its games/ subdirectory and returns once the
// watches are in place; from then on events queue until [Watcher.Run] handles them. Having
// armed, it compares the files on disk with what the store last read and reloads once if they
// differ, so an edit made after the store's load and before Arm is applied now instead of
// waiting for the next edit. Arm returns only setup errors; a rejected reload is recorded
// like any other ([Store.Errors], [Store.Stats]). Call Run, or Close to give the watch up.
func (st *Store) Arm(opts WatchOptions) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.Poll == 0 {
		opts.Poll = 2 * time.Second
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("config watch: %w", err)
	}
	if err := fsw.Add(st.dir); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("config watch %s: %w", st.dir, err)
	}
	w := &Watcher{st: st, opts: opts, fsw: fsw, gamesDir: filepath.Join(st.dir, GamesDir)}
	w.gamesWatched = fsw.Add(w.gamesDir) == nil
	// Every edit from here on raises an event. One made before the watches were added is
	// caught by this comparison, which follows them: no edit falls between the two.
	if st.stale() {
		w.reload("watch start")
	}
	return w, nil
}

// Close stops watching. It is safe to call more than once, and after Run returned.
func (w *Watcher) Close() error { return w.fsw.Close() }

func (w *Watcher) reload(reason string) {
	changed, err := w.st.Reload(reason)
	if w.opts.Reloaded != nil {
		w.opts.Reloaded(changed, err)
	}
}

// Run reloads the store once Debounce has passed after a burst of events, or after the stat
// poll saw the files differ from what the store last read, until ctx is done; then it closes
// the watcher. It returns ctx.Err(), or an error if fsnotify stops delivering events.
func (w *Watcher) Run(ctx context.Context) error {
	defer w.Close()
	var pollC <-chan time.Time
	if w.opts.Poll > 0 {
		t := time.NewTicker(w.opts.Poll)
		defer t.Stop()
		pollC = t.C
	}
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	pending, reason := false, "" // whether the debounce timer runs, and why
	wait := func(why string) {
		pending, reason = true, why
		debounce.Reset(w.opts.Debounce)
	}
	var polled [32]byte // the fingerprint the last poll saw
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return errors.New("config watch: fsnotify event channel closed")
			}
			if ev.Name == w.gamesDir || !w.gamesWatched {
				// games/ created, replaced or removed: (re)watch it.
				_ = w.fsw.Remove(w.gamesDir)
				w.gamesWatched = w.fsw.Add(w.gamesDir) == nil
			}
			wait("fsnotify")
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return errors.New("config watch: fsnotify error channel closed")
			}
			w.st.log.Warn("config watcher", "err", err)
			wait("fsnotify")
		case <-debounce.C:
			pending = false
			w.reload(reason)
		case <-pollC:
			// A change the poll finds is debounced like an event: the poll may land inside
			// a save (a file truncated but not yet written), which must not be applied on
			// its own. The timer restarts only when the files moved since the last poll.
			fp := fingerprint(w.st.dir)
			if w.st.differs(fp) && (fp != polled || !pending) {
				wait("poll")
			}
			polled = fp
		}
	}
}

// Watch reloads the store whenever the config directory or its games/ subdirectory changes,
// until ctx is done: [Store.Arm] then [Watcher.Run]. It watches directories, not files, so
// rename-over saves and symlink swaps (Kubernetes "..data") are seen. It returns ctx.Err()
// or a setup error. A caller that must know the watch is in place before going on (a daemon
// about to report ready) calls Arm itself.
func (st *Store) Watch(ctx context.Context, opts WatchOptions) error {
	w, err := st.Arm(opts)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// fingerprint summarises the stat data (following symlinks) of every config file: size,
// mtime, inode, plus a hash of the contents of files under 1 MiB so a same-size edit within
// one mtime tick is still seen.
func fingerprint(dir string) [32]byte {
	h := sha256.New()
	var names []string
	for _, d := range []string{dir, filepath.Join(dir, GamesDir)} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if filepath.Ext(e.Name()) == ".toml" {
				names = append(names, filepath.Join(d, e.Name()))
			}
		}
	}
	// The GTAlign game file may lie elsewhere (reasoning.game): the poll covers it too.
	daemonFile, _ := os.ReadFile(filepath.Join(dir, DaemonFile))
	if _, game := gamePath(dir, peekGame(daemonFile)); !slices.Contains(names, game) {
		names = append(names, game)
	}
	sort.Strings(names)
	for _, n := range names {
		io.WriteString(h, n)
		st, err := os.Stat(n)
		if err != nil {
			io.WriteString(h, "!")
			continue
		}
		var ino uint64
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			ino = sys.Ino
		}
		var buf [32]byte
		put := func(off int, v uint64) {
			for i := range 8 {
				buf[off+i] = byte(v >> (8 * i))
			}
		}
		put(0, uint64(st.Size()))
		put(8, uint64(st.ModTime().UnixNano()))
		put(16, ino)
		h.Write(buf[:24])
		if st.Size() < 1<<20 {
			if b, err := os.ReadFile(n); err == nil {
				h.Write(b)
			}
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

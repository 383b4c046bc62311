package config

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchOptions tune [Store.Watch]. Zero fields take the defaults.
type WatchOptions struct {
	// Debounce merges a burst of events (an editor's write+rename+chmod) into one reload.
	Debounce time.Duration // default 100ms
	// Poll is the period of the stat-poll fallback, which catches changes inotify misses
	// (network filesystems, some container mounts). Negative disables it.
	Poll time.Duration // default 2s
	// Reloaded, if set, is called after each reload attempt triggered by the watcher.
	Reloaded func(changed bool, err error)
}

// Watch reloads the store whenever the config directory or its games/ subdirectory changes,
// until ctx is done. It watches directories, not files, so rename-over saves and symlink
// swaps (Kubernetes "..data") are seen. It returns ctx.Err() or a setup error.
func (st *Store) Watch(ctx context.Context, opts WatchOptions) error {
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.Poll == 0 {
		opts.Poll = 2 * time.Second
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	gamesDir := filepath.Join(st.dir, GamesDir)
	if err := w.Add(st.dir); err != nil {
		return err
	}
	gamesWatched := w.Add(gamesDir) == nil

	var pollC <-chan time.Time
	if opts.Poll > 0 {
		t := time.NewTicker(opts.Poll)
		defer t.Stop()
		pollC = t.C
	}
	fp := fingerprint(st.dir)
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	reload := func(reason string) {
		changed, err := st.Reload(reason)
		fp = fingerprint(st.dir)
		if opts.Reloaded != nil {
			opts.Reloaded(changed, err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("fsnotify: event channel closed")
			}
			if ev.Name == gamesDir || !gamesWatched {
				// games/ created, replaced or removed: (re)watch it.
				_ = w.Remove(gamesDir)
				gamesWatched = w.Add(gamesDir) == nil
			}
			debounce.Reset(opts.Debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("fsnotify: error channel closed")
			}
			st.log.Warn("config watcher", "err", err)
			debounce.Reset(opts.Debounce)
		case <-debounce.C:
			reload("fsnotify")
		case <-pollC:
			if nfp := fingerprint(st.dir); nfp != fp {
				reload("poll")
			}
		}
	}
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

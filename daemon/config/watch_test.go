package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// reloadDeadline bounds a wait for a reload. It is generous on purpose: the tests below make
// sure only one mechanism (fsnotify or the poll) can deliver the reload, so a missing reload
// fails however long the wait, and a slow machine must not.
const reloadDeadline = 20 * time.Second

// runWatcher runs w until the test ends and waits for it to stop, so no reload outlives it.
func runWatcher(t *testing.T, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watcher.Run returned %v", err)
		}
	})
}

// TestEditBeforeArm edits the config in each window between the start of a load and the
// watch being armed. Neither fsnotify (not yet watching) nor the poll (disabled) can see
// these edits: Arm itself must apply them, with no further edit.
func TestEditBeforeArm(t *testing.T) {
	rate := func(r string) string { return "rate = " + r + ".0\n" } // the same size for every r
	tests := []struct {
		name string
		// readEdit, if set, is written to pricing.toml after Open read the files, before it
		// parses them.
		readEdit string
		// edit, if set, runs between Open and Arm.
		edit       func(t *testing.T, dir string, st *Store)
		armReloads int     // reloads Arm must make
		wantRate   float64 // pricing rate after Arm
		wantGen    uint64  // generation after Arm
		wantGame   string  // a game that must be loaded after Arm
	}{
		{name: "no edit", wantRate: 1, wantGen: 1},
		{name: "edit between load and arm", armReloads: 1, wantRate: 2, wantGen: 2,
			edit: func(t *testing.T, dir string, _ *Store) { write(t, dir, "pricing.toml", rate("2")) }},
		{name: "edit while the load reads", readEdit: rate("2"), armReloads: 1, wantRate: 2, wantGen: 2},
		{name: "edit while a reload reads", armReloads: 1, wantRate: 3, wantGen: 3,
			edit: func(t *testing.T, dir string, st *Store) {
				write(t, dir, "pricing.toml", rate("2"))
				setReadHook(t, func() { write(t, dir, "pricing.toml", rate("3")) })
				changed, err := st.Reload("test")
				testHookRead = nil
				if !changed || err != nil || st.Current().Pricing.Rate != 2 {
					t.Fatalf("Reload = %v, %v, rate %v; want the edit read before the hook (2)", changed, err, st.Current().Pricing.Rate)
				}
			}},
		{name: "game added between load and arm", armReloads: 1, wantRate: 1, wantGen: 2, wantGame: "g",
			edit: func(t *testing.T, dir string, _ *Store) { write(t, dir, "games/g.toml", "x = 1\n") }},
		{name: "touched without a change", armReloads: 1, wantRate: 1, wantGen: 1,
			edit: func(t *testing.T, dir string, _ *Store) {
				later := time.Now().Add(time.Hour)
				if err := os.Chtimes(filepath.Join(dir, "pricing.toml"), later, later); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "pricing.toml", rate("1"))
			if tc.readEdit != "" {
				setReadHook(t, func() { write(t, dir, "pricing.toml", tc.readEdit) })
			}
			st, err := Open(dir, StoreOptions{Logger: quiet})
			testHookRead = nil
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Current().Pricing.Rate; got != 1 {
				t.Fatalf("Open loaded rate %v, want 1", got)
			}
			if tc.edit != nil {
				tc.edit(t, dir, st)
			}
			reloads := 0
			w, err := st.Arm(WatchOptions{Poll: -1, Reloaded: func(bool, error) { reloads++ }})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			cur := st.Current()
			if reloads != tc.armReloads {
				t.Errorf("Arm reloaded %d times, want %d", reloads, tc.armReloads)
			}
			if cur.Pricing.Rate != tc.wantRate || cur.Generation != tc.wantGen {
				t.Errorf("after Arm: rate %v generation %d, want rate %v generation %d", cur.Pricing.Rate, cur.Generation, tc.wantRate, tc.wantGen)
			}
			if tc.wantGame != "" && cur.Games[tc.wantGame] == nil {
				t.Errorf("after Arm: game %q not loaded (games %v)", tc.wantGame, cur.Games)
			}
		})
	}
}

// TestWatchFsnotify: with the poll disabled, each kind of edit is seen through fsnotify.
func TestWatchFsnotify(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pricing.toml", "rate = 1.0\n")
	st, err := Open(dir, StoreOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w, err := st.Arm(WatchOptions{Poll: -1})
	if err != nil {
		t.Fatal(err)
	}
	runWatcher(t, w)
	pricing := filepath.Join(dir, "pricing.toml")
	tests := []struct {
		name string
		edit func(t *testing.T)
		done func(*Snapshot) bool
	}{
		{"write in place", func(t *testing.T) { write(t, dir, "pricing.toml", "rate = 2.0\n") },
			func(s *Snapshot) bool { return s.Pricing.Rate == 2 }},
		{"rename over", func(t *testing.T) {
			write(t, dir, ".pricing.toml.swp", "rate = 3.0\n")
			if err := os.Rename(filepath.Join(dir, ".pricing.toml.swp"), pricing); err != nil {
				t.Fatal(err)
			}
		}, func(s *Snapshot) bool { return s.Pricing.Rate == 3 }},
		{"games directory created", func(t *testing.T) { write(t, dir, "games/g.toml", "x = 1\n") },
			func(s *Snapshot) bool { return s.Games["g"] != nil }},
		{"game edited", func(t *testing.T) { write(t, dir, "games/g.toml", "x = 2\n") },
			func(s *Snapshot) bool {
				return s.Games["g"] != nil && s.Games["g"].Version != version([]byte("x = 1\n"))
			}},
		{"game removed", func(t *testing.T) {
			if err := os.Remove(filepath.Join(dir, "games", "g.toml")); err != nil {
				t.Fatal(err)
			}
		}, func(s *Snapshot) bool { return s.Games["g"] == nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.edit(t)
			waitFor(t, st, tc.name, tc.done)
		})
	}
}

// TestPollFallback: with fsnotify blind (its watches removed after Arm), the stat poll alone
// applies each edit, a same-size one included, and debounces it so a save caught half-way
// (truncated, not yet written) is not applied on its own.
func TestPollFallback(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pricing.toml", "rate = 1.0\n")
	st, err := Open(dir, StoreOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	// The save below pauses 20 ms between truncating and writing: the 10 ms poll sees the
	// empty file, and the debounce, far longer than the pause, must hold it back.
	const debounce = 500 * time.Millisecond
	w, err := st.Arm(WatchOptions{Poll: 10 * time.Millisecond, Debounce: debounce})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.fsw.Remove(dir); err != nil {
		t.Fatal(err)
	}
	runWatcher(t, w)
	pricing := filepath.Join(dir, "pricing.toml")
	for _, r := range []float64{5, 6} {
		// A slow save: truncate, pause past several polls, then write.
		f, err := os.OpenFile(pricing, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(f, "rate = %.1f\n", r)
		f.Close()
		waitFor(t, st, fmt.Sprintf("rate %v", r), func(s *Snapshot) bool { return s.Pricing.Rate == r })
	}
	if s := st.Stats(); s.OK != 2 || s.Failed != 0 {
		t.Errorf("stats %+v, want exactly 2 applied reloads (the truncated file applied?)", s)
	}
}

// TestStale: the poll's test fires on any change to the files since they were read, and
// not otherwise.
func TestStale(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pricing.toml", "rate = 1.0\n")
	st, err := Open(dir, StoreOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		change func(t *testing.T)
		stale  bool
	}{
		{"just opened", func(*testing.T) {}, false},
		{"same-size content edit", func(t *testing.T) { write(t, dir, "pricing.toml", "rate = 2.0\n") }, true},
		{"reloaded", func(t *testing.T) { st.Reload("test") }, false},
		{"rejected edit", func(t *testing.T) { write(t, dir, "pricing.toml", "bogus = 1\n") }, true},
		{"rejected by a reload", func(t *testing.T) {
			if _, err := st.Reload("test"); err == nil {
				t.Fatal("Reload accepted an unknown key")
			}
		}, false},
		{"new game file", func(t *testing.T) { write(t, dir, "games/g.toml", "x = 1\n") }, true},
	}
	for _, s := range steps {
		s.change(t)
		if got := st.stale(); got != s.stale {
			t.Errorf("%s: stale() = %v, want %v", s.name, got, s.stale)
		}
	}
}

// waitFor waits until done holds for the store's current snapshot.
func waitFor(t *testing.T, st *Store, what string, done func(*Snapshot) bool) {
	t.Helper()
	t0 := time.Now()
	for !done(st.Current()) {
		if time.Since(t0) > reloadDeadline {
			t.Fatalf("%s: not applied within %v (generation %d, stats %+v, errors %v)", what, reloadDeadline, st.Current().Generation, st.Stats(), st.Errors())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// setReadHook installs f as the hook between a load's read and its parse, until the test ends.
func setReadHook(t *testing.T, f func()) {
	t.Helper()
	testHookRead = f
	t.Cleanup(func() { testHookRead = nil })
}

package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
)

// Window bounds the weight of history in a running average: the first Window observations
// of a strategy are averaged equally, later ones move the mean by 1/Window of their
// difference (an exponential average), so the expected length follows a changed model or
// workload instead of freezing after the first thousands of answers.
const Window = 200

// maxTokens bounds one observation: no response is longer, and a larger value can only be a
// corrupt state file.
const maxTokens = 1 << 24

// LengthStat is one strategy's running average.
type LengthStat struct {
	Mean float64 `json:"mean"`
	N    int64   `json:"n"`
}

// Lengths holds running averages of observed response lengths (tokens) per assistant
// strategy, persisted as JSON in one file. Its methods are safe for concurrent use. The zero
// value keeps averages in memory only.
type Lengths struct {
	path string
	mu   sync.Mutex
	m    map[string]LengthStat
}

// lengthsFile is the persisted form.
type lengthsFile struct {
	Version    int                   `json:"version"`
	Strategies map[string]LengthStat `json:"strategies"`
}

// OpenLengths loads the averages persisted at path (a missing file is an empty history).
// A file that cannot be parsed is an error; the caller decides whether to start afresh.
func OpenLengths(path string) (*Lengths, error) {
	l := &Lengths{path: path, m: map[string]LengthStat{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pricing: read lengths: %w", err)
	}
	var f lengthsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("pricing: parse lengths %s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("pricing: lengths %s: unknown version %d", path, f.Version)
	}
	for s, st := range f.Strategies {
		if !strategyID.MatchString(s) || st.N < 0 || !(st.Mean >= 0 && st.Mean <= maxTokens) {
			return nil, fmt.Errorf("pricing: lengths %s: bad entry %q %+v", path, s, st)
		}
		l.m[s] = st
	}
	return l, nil
}

// Path is the file the averages persist to ("" for in-memory).
func (l *Lengths) Path() string { return l.path }

// Observe adds one response of tokens tokens answered with strategy.
func (l *Lengths) Observe(strategy string, tokens int) error {
	if !strategyID.MatchString(strategy) {
		return fmt.Errorf("pricing: observe: bad strategy id %q", strategy)
	}
	if tokens < 0 || tokens > maxTokens {
		return fmt.Errorf("pricing: observe %s: %d tokens out of range", strategy, tokens)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]LengthStat{}
	}
	st := l.m[strategy]
	st.N++
	w := float64(min(st.N, Window))
	st.Mean += (float64(tokens) - st.Mean) / w
	l.m[strategy] = st
	return nil
}

// Means returns the average length of every strategy with at least one observation.
func (l *Lengths) Means() map[string]float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]float64, len(l.m))
	for s, st := range l.m {
		if st.N > 0 {
			out[s] = st.Mean
		}
	}
	return out
}

// Stats returns a copy of every strategy's average and count (for /v1/status).
func (l *Lengths) Stats() map[string]LengthStat {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]LengthStat, len(l.m))
	for s, st := range l.m {
		st.Mean = math.Round(st.Mean*100) / 100
		out[s] = st
	}
	return out
}

// Save writes the averages to the store's file atomically (write, sync, rename), creating its
// directory. It does nothing for an in-memory store.
func (l *Lengths) Save() error {
	if l.path == "" {
		return nil
	}
	l.mu.Lock()
	f := lengthsFile{Version: 1, Strategies: make(map[string]LengthStat, len(l.m))}
	for s, st := range l.m {
		f.Strategies[s] = st
	}
	l.mu.Unlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".lengths-*")
	if err != nil {
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		return fmt.Errorf("pricing: save lengths: %w", err)
	}
	return nil
}

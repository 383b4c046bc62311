package modelmgr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/inference"
)

// fake is a test-only Generator for scheduler edge cases; the daemon's tests run the real
// engine. Generate blocks until release is closed (or ctx ends) and records start order.
type fake struct {
	path    string
	release chan struct{}
	mu      sync.Mutex
	started []string
	closed  bool
}

func (f *fake) Generate(ctx context.Context, req inference.Request, _ func(inference.Token) error) (inference.Result, error) {
	f.mu.Lock()
	f.started = append(f.started, req.Prompt)
	f.mu.Unlock()
	select {
	case <-f.release:
		return inference.Result{Text: "ok", StopReason: inference.StopEOG}, nil
	case <-ctx.Done():
		return inference.Result{StopReason: inference.StopCancelled}, ctx.Err()
	}
}
func (f *fake) ChatPrompt(m []inference.Message) (string, error) { return m[0].Content, nil }
func (f *fake) Tokenize(string, bool) ([]int32, error)           { return nil, nil }
func (f *fake) Info() inference.ModelInfo                        { return inference.ModelInfo{Path: f.path} }
func (f *fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("closed twice")
	}
	f.closed = true
	return nil
}
func (f *fake) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

type loader struct {
	mu      sync.Mutex
	loaded  map[string]*fake
	gate    chan struct{} // if non-nil, loads wait for it
	failFor string
	release chan struct{}
}

func newLoader() *loader {
	return &loader{loaded: map[string]*fake{}, release: make(chan struct{})}
}

func (l *loader) load(spec config.Spec, progress func(float32)) (inference.Generator, error) {
	progress(0.5)
	if l.gate != nil {
		<-l.gate
	}
	if spec.Path == l.failFor {
		return nil, fmt.Errorf("cannot open %s", spec.Path)
	}
	f := &fake{path: spec.Path, release: l.release}
	l.mu.Lock()
	l.loaded[spec.Path] = f
	l.mu.Unlock()
	return f, nil
}

func (l *loader) get(path string) *fake {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded[path]
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func spec(name, path string, slots int) *config.Spec {
	return &config.Spec{Name: name, Path: path, Slots: slots}
}

func waitState(t *testing.T, m *Manager, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := m.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached; status %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitWaiters waits until n requests wait at the serving model's slot semaphore.
func waitWaiters(t *testing.T, m *Manager, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.mu.Lock()
		_, w := m.cur.slots.counts()
		m.mu.Unlock()
		if w == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters, want %d", w, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func newManager(t *testing.T, l *loader, queue int) *Manager {
	m := New(Options{Load: l.load, QueueSize: queue, Logger: quiet, MemAvailable: func() (uint64, error) { return 1 << 40, nil }})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m
}

// existing returns a path that exists, so the fallback logic does not trigger.
func existing(t *testing.T, name string) string {
	p := t.TempDir() + "/" + name
	if err := writeEmpty(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestQueueFullAndFIFO(t *testing.T) {
	l := newLoader()
	m := newManager(t, l, 5)
	a := existing(t, "a.gguf")
	m.Set(spec("a", a, 1))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	ctx := context.Background()

	var wg sync.WaitGroup
	run := func(prompt string) {
		lease, err := m.Acquire("")
		if err != nil {
			t.Errorf("Acquire %s: %v", prompt, err)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer lease.Release()
			if _, err := lease.Generate(ctx, inference.Request{Prompt: prompt}, nil); err != nil {
				t.Errorf("Generate %s: %v", prompt, err)
			}
		}()
	}
	run("holder")
	waitState(t, m, func(s Status) bool { return s.Running == 1 })
	for i := 1; i <= 5; i++ {
		run(fmt.Sprint(i))
		waitWaiters(t, m, i) // enqueued in this order
	}
	// 1 slot + 5 queued: the next is refused.
	if _, err := m.Acquire(""); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Acquire beyond the queue: %v, want ErrQueueFull", err)
	}
	close(l.release)
	wg.Wait()
	got := strings.Join(l.get(a).started, " ")
	if got != "holder 1 2 3 4 5" {
		t.Errorf("start order %q, want FIFO", got)
	}
	if st := m.Status(); st.InFlight != 0 || st.Running != 0 || st.Queued != 0 {
		t.Errorf("after the burst: %+v", st)
	}
}

func TestCancelWhileQueued(t *testing.T) {
	l := newLoader()
	m := newManager(t, l, 4)
	m.Set(spec("a", existing(t, "a.gguf"), 1))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	hold, _ := m.Acquire("")
	go hold.Generate(context.Background(), inference.Request{Prompt: "hold"}, nil)
	waitState(t, m, func(s Status) bool { return s.Running == 1 })
	lease, _ := m.Acquire("default")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := lease.Generate(ctx, inference.Request{Prompt: "queued"}, nil); done <- err }()
	waitWaiters(t, m, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued Generate after cancel: %v", err)
	}
	lease.Release()
	lease.Release() // idempotent
	st := m.Status()
	if st.InFlight != 1 || st.Queued != 0 {
		t.Errorf("after cancel: %+v", st)
	}
	close(l.release)
	hold.Release()
}

func TestSwapKeepsLeasesAndFreesOld(t *testing.T) {
	l := newLoader()
	var swaps []string
	var mu sync.Mutex
	m := New(Options{Load: l.load, QueueSize: 4, Logger: quiet, MemAvailable: func() (uint64, error) { return 1 << 40, nil },
		OnSwap: func(from, to string) { mu.Lock(); swaps = append(swaps, from+"->"+to); mu.Unlock() }})
	defer m.Close(context.Background())
	a, b := existing(t, "a.gguf"), existing(t, "b.gguf")
	m.Set(spec("a", a, 2))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	old, err := m.Acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	l.gate = make(chan struct{})
	m.Set(spec("b", b, 2))
	// While b loads, a serves new requests, and a request naming b waits (LoadingError).
	st := waitState(t, m, func(s Status) bool { return s.Loading != nil })
	if st.Loading.Name != "b" || st.Loading.Progress != 0.5 || st.Serving.Name != "a" {
		t.Errorf("during the load: %+v", st)
	}
	var le *LoadingError
	if _, err := m.Acquire("b"); !errors.As(err, &le) || le.Name != "b" {
		t.Errorf("Acquire(b) while loading: %v", err)
	}
	during, err := m.Acquire("")
	if err != nil || during.Name() != "a" {
		t.Fatalf("Acquire during the load: %v", err)
	}
	during.Release()
	close(l.gate)
	waitState(t, m, func(s Status) bool { return s.Serving != nil && s.Serving.Name == "b" })
	if l.get(a).isClosed() {
		t.Fatal("old model closed while a lease is held")
	}
	if st := m.Status(); len(st.Draining) != 1 || st.Draining[0] != "a" || st.Swaps != 1 {
		t.Errorf("draining: %+v", st)
	}
	if _, err := m.Acquire("a"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Acquire(a) after the swap: %v", err)
	}
	old.Release()
	waitState(t, m, func(s Status) bool { return len(s.Draining) == 0 })
	deadline := time.Now().Add(5 * time.Second)
	for !l.get(a).isClosed() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !l.get(a).isClosed() {
		t.Fatal("old model not freed after its last lease")
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(swaps, ",") != "->a,a->b" {
		t.Errorf("OnSwap calls %v", swaps)
	}
}

func TestLoadFailureKeepsOldAndRetry(t *testing.T) {
	l := newLoader()
	m := newManager(t, l, 4)
	a, bad := existing(t, "a.gguf"), existing(t, "bad.gguf")
	m.Set(spec("a", a, 1))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	l.failFor = bad
	m.Set(spec("a", bad, 1))
	st := waitState(t, m, func(s Status) bool { return s.Error != "" })
	if st.State != "ready" || st.Serving.Info.Path != a || !strings.Contains(st.Error, "cannot open") || st.LoadFailed != 1 {
		t.Errorf("after a failed swap: %+v", st)
	}
	if lease, err := m.Acquire(""); err != nil {
		t.Fatalf("old model not serving: %v", err)
	} else {
		lease.Release()
	}
	l.failFor = ""
	m.Retry()
	waitState(t, m, func(s Status) bool { return s.Serving != nil && s.Serving.Info.Path == bad && s.Error == "" })
}

func TestMemoryCheckAndFallback(t *testing.T) {
	l := newLoader()
	m := New(Options{Load: l.load, Logger: quiet,
		Estimate:     func(s config.Spec) (uint64, error) { return 8 << 30, nil },
		MemAvailable: func() (uint64, error) { return 1 << 30, nil },
		Fallback:     func() (string, error) { return "/builtin/tiny.gguf", nil }})
	defer m.Close(context.Background())
	m.Set(spec("big", existing(t, "big.gguf"), 1))
	st := waitState(t, m, func(s Status) bool { return s.State == "failed" })
	if !strings.Contains(st.Error, "needs about 8192 MiB but only 1024 MiB") {
		t.Errorf("memory error %q", st.Error)
	}
	if _, err := m.Acquire(""); !errors.Is(err, ErrModelFailed) {
		t.Errorf("Acquire with no model: %v", err)
	}
	m2 := New(Options{Load: l.load, Logger: quiet, Fallback: func() (string, error) { return "/builtin/tiny.gguf", nil }})
	defer m2.Close(context.Background())
	sp := spec("t", "/does/not/exist.gguf", 1)
	sp.Fallback = true
	m2.Set(sp)
	st = waitState(t, m2, func(s Status) bool { return s.State == "ready" })
	if !st.Serving.TestModel || st.Serving.Info.Path != "/builtin/tiny.gguf" || st.Serving.Warning == "" {
		t.Errorf("fallback: %+v", st.Serving)
	}
	// Without the switch a missing file is an error.
	m3 := New(Options{Load: l.load, Logger: quiet, Fallback: func() (string, error) { return "/builtin/tiny.gguf", nil }})
	defer m3.Close(context.Background())
	m3.Set(spec("t", "/does/not/exist.gguf", 1))
	st = waitState(t, m3, func(s Status) bool { return s.State == "failed" })
	if !strings.Contains(st.Error, "exist.gguf") {
		t.Errorf("missing file error %q", st.Error)
	}
}

func TestCloseWaitsForLeases(t *testing.T) {
	l := newLoader()
	m := New(Options{Load: l.load, Logger: quiet, QueueSize: 1})
	a := existing(t, "a.gguf")
	m.Set(spec("a", a, 1))
	waitState(t, m, func(s Status) bool { return s.State == "ready" })
	lease, _ := m.Acquire("")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); err == nil {
		t.Fatal("Close returned while a lease was held")
	}
	if _, err := m.Acquire(""); !errors.Is(err, ErrClosed) {
		t.Errorf("Acquire after Close: %v", err)
	}
	lease.Release()
	deadline := time.Now().Add(5 * time.Second)
	for !l.get(a).isClosed() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !l.get(a).isClosed() {
		t.Fatal("model not freed after the last lease")
	}
}

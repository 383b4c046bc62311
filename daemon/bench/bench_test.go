package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelload"
	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/llamabench"
)

// Benchmark settings: short runs, the CPU is shared.
const (
	genTokens = 32  // tokens per stream
	ctxSize   = 512 // per slot
	prompt    = "You are Alice in a prisoner's dilemma. Cooperate or defect?"
)

func benchModel(b *testing.B) string {
	p := os.Getenv("NASHD_BENCH_MODEL")
	if p == "" {
		p = filepath.Join("..", "..", "models", "testdata", "gen", "bench.gguf")
	}
	if _, err := os.Stat(p); err != nil {
		b.Skipf("bench model %s missing: run `make bench-daemon` (it runs nash model gen --shape bench)", p)
	}
	abs, _ := filepath.Abs(p)
	return abs
}

func threads() int {
	if n := os.Getenv("NASHD_BENCH_THREADS"); n != "" {
		var t int
		fmt.Sscan(n, &t)
		return t
	}
	return 0 // the engine's default: one per physical core
}

type daemonProc struct {
	dir    string
	sock   string
	hc     *http.Client
	cancel context.CancelFunc
	done   chan error
}

func startDaemon(b *testing.B, model string, slots int) *daemonProc {
	b.Helper()
	return startDaemonModels(b, fmt.Sprintf("default = \"bench\"\n[models.bench]\npath = %q\n", model), slots)
}

// startDaemonModels starts a daemon whose models.toml is models.
func startDaemonModels(b *testing.B, models string, slots int) *daemonProc {
	b.Helper()
	return startDaemonFiles(b, fmt.Sprintf("[inference]\nthreads = %d\ncontext_size = %d\nslots = %d\nqueue_size = 16\n[log]\nlevel = \"warn\"\n", threads(), ctxSize, slots), models)
}

// startDaemonFiles starts a daemon whose nashd.toml is nashd and models.toml is models.
func startDaemonFiles(b *testing.B, nashd, models string) *daemonProc {
	b.Helper()
	dir := b.TempDir()
	write(b, filepath.Join(dir, "nashd.toml"), nashd)
	write(b, filepath.Join(dir, "models.toml"), models)
	write(b, filepath.Join(dir, "pricing.toml"), "rate = 1.0\n")
	sd, _ := os.MkdirTemp("", "ndb")
	b.Cleanup(func() { os.RemoveAll(sd) })
	sock := filepath.Join(sd, "s.sock")
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonProc{dir: dir, sock: sock, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		d.done <- daemon.Run(ctx, daemon.RunOptions{ConfigDir: dir, Socket: sock, LogOutput: io.Discard, Version: "bench",
			Load: modelload.Load, Estimate: modelload.Estimate, Fallback: modelload.FallbackModel, Inspect: modelload.Inspect,
			Ready: func(string) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-d.done:
		b.Fatal(err)
	}
	d.hc = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", sock)
	}, MaxIdleConnsPerHost: 16}}
	d.waitStatus(b, 5*time.Minute, func(s api.StatusResponse) bool { return s.Model.State == "ready" })
	return d
}

func (d *daemonProc) stop() {
	d.cancel()
	<-d.done
}

func write(b *testing.B, p, s string) {
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		b.Fatal(err)
	}
}

func (d *daemonProc) status(b *testing.B) api.StatusResponse {
	resp, err := d.hc.Get("http://nashd/v1/status")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var st api.StatusResponse
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

func (d *daemonProc) waitStatus(b *testing.B, limit time.Duration, cond func(api.StatusResponse) bool) time.Duration {
	t0 := time.Now()
	for !cond(d.status(b)) {
		if time.Since(t0) > limit {
			b.Fatalf("status condition not reached in %v", limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(t0)
}

// chat runs one non-streamed completion and returns completion tokens and the body.
func (d *daemonProc) chat(b *testing.B, maxTokens int) (int, string) {
	n, body, _, err := d.chatTimed(maxTokens)
	if err != nil {
		b.Fatal(err)
	}
	return n, body
}

// chatTimed also returns the server's generation timings. It may run on any goroutine: the
// caller reports its error from the benchmark's goroutine.
func (d *daemonProc) chatTimed(maxTokens int) (int, string, inference.Timings, error) {
	body := fmt.Sprintf(`{"messages":[{"role":"user","content":%q}],"max_tokens":%d,"temperature":0}`, prompt, maxTokens)
	resp, err := d.hc.Post("http://nashd/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", inference.Timings{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", inference.Timings{}, fmt.Errorf("chat: reading the response: %w", err)
	}
	if resp.StatusCode != 200 {
		return 0, "", inference.Timings{}, fmt.Errorf("chat: %d %s", resp.StatusCode, raw)
	}
	var r api.ChatResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, "", inference.Timings{}, fmt.Errorf("chat: %w in %s", err, raw)
	}
	if r.Timings == nil {
		return 0, "", inference.Timings{}, fmt.Errorf("chat: no timings in %s", raw)
	}
	return r.Usage.CompletionTokens, string(raw), *r.Timings, nil
}

// speed is one measurement: gen is the aggregate generation speed (sum over concurrent
// streams of completion tokens / generation time, llama-server's predicted_per_second),
// wall is completion tokens / wall-clock time seen by the clients (prompts and HTTP included).
type speed struct{ gen, wall float64 }

func (s speed) best(o speed) speed { return speed{max(s.gen, o.gen), max(s.wall, o.wall)} }

// clients runs n concurrent clients, each generating genTokens.
func (d *daemonProc) clients(b *testing.B, n int) speed {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total, gen := 0, 0.0
	var errs []error
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks, _, tm, err := d.chatTimed(genTokens)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			total += toks
			gen += tm.PredictedPerSecond
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	return speed{gen: gen, wall: float64(total) / time.Since(t0).Seconds()}
}

// bareEngine measures the same request on the engine directly, loaded by the daemon's loader
// without the daemon (chat template applied the same way, same sampler settings as the
// daemon's temperature-0 request).
type bareEngine struct {
	e      inference.Generator
	req    inference.Request
	prompt string // the templated prompt text, for the raw reference
}

func openBare(b *testing.B, model string, slots int) *bareEngine {
	e, err := modelload.Load(config.Spec{Path: model, ContextSize: ctxSize, Threads: threads(), Slots: slots}, nil)
	if err != nil {
		b.Fatal(err)
	}
	p, err := e.ChatPrompt([]inference.Message{{Role: "user", Content: prompt}})
	if err != nil {
		b.Fatal(err)
	}
	s := inference.DefaultSampling(1)
	s.Temperature = 0
	return &bareEngine{e: e, req: inference.Request{Prompt: p, MaxTokens: genTokens, Sampling: s}, prompt: p}
}

// run generates n streams concurrently on the engine.
func (be *bareEngine) run(b *testing.B, n int) speed {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total, gen := 0, 0.0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := be.e.Generate(context.Background(), be.req, nil)
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			total += len(res.Tokens)
			gen += res.Timings.PredictedPerSecond
			mu.Unlock()
		}()
	}
	wg.Wait()
	return speed{gen: gen, wall: float64(total) / time.Since(t0).Seconds()}
}

// rawBatched measures the ceiling: llama.cpp's own batched decode in a minimal C loop (no
// scheduler, no HTTP, greedy sampling), seqs sequences decoded together, same model, prompt
// and threads. No server over this libllama can beat it, so the daemon's slot scaling is
// judged against its scaling.
func rawBatched(b *testing.B, model, prompt string, seqs int) speed {
	th := threads()
	if th == 0 {
		th = engine.PhysicalCores()
	}
	r, err := llamabench.ReferenceBatched(model, prompt, seqs, genTokens, th, ctxSize*seqs)
	if err != nil {
		b.Fatal(err)
	}
	tps := float64(r.GenN) / r.GenMS * 1000
	return speed{gen: tps, wall: float64(r.GenN) / (r.PromptMS + r.GenMS) * 1000}
}

// rounds is how many times each configuration is measured; the best run counts (the CPU
// is shared, so the best run is the least disturbed one). Configurations are interleaved
// round by round so a noisy period hits them alike.
const rounds = 3

// BenchmarkThroughput measures aggregate generation tokens/s through the socket with 1, 2
// and 4 slots (as many concurrent clients, each generating genTokens), and the bare engine,
// side by side in one run.
func BenchmarkThroughput(b *testing.B) {
	model := benchModel(b)
	be := openBare(b, model, 1)
	defer be.e.Close()
	be4 := openBare(b, model, 4)
	defer be4.e.Close()
	ds := map[int]*daemonProc{}
	for _, slots := range []int{1, 2, 4} {
		ds[slots] = startDaemon(b, model, slots)
		defer ds[slots].stop()
		ds[slots].clients(b, slots) // warm-up
	}
	be.run(b, 1)
	be4.run(b, 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var bare, bare4, raw1, raw4 speed
		res := map[int]speed{}
		for r := 0; r < rounds; r++ {
			raw1 = raw1.best(rawBatched(b, model, be.prompt, 1))
			raw4 = raw4.best(rawBatched(b, model, be.prompt, 4))
			bare = bare.best(be.run(b, 1))
			bare4 = bare4.best(be4.run(b, 4))
			for _, slots := range []int{1, 2, 4} {
				res[slots] = res[slots].best(ds[slots].clients(b, slots))
			}
		}
		b.ReportMetric(bare.gen, "bare_tok/s")
		b.ReportMetric(res[1].gen, "slots1_tok/s")
		b.ReportMetric(res[2].gen, "slots2_tok/s")
		b.ReportMetric(res[4].gen, "slots4_tok/s")
		b.ReportMetric(res[1].gen/bare.gen, "single/bare")
		b.ReportMetric(res[1].wall/bare.wall, "single/bare_wall")
		b.ReportMetric(res[4].gen/res[1].gen, "slots4/slots1")
		b.ReportMetric(bare4.gen, "bare4_tok/s")
		b.ReportMetric(res[4].gen/bare4.gen, "slots4/bare4")
		b.ReportMetric(raw4.gen/raw1.gen, "raw4/raw1")
		b.ReportMetric(res[4].gen/raw4.gen, "slots4/raw4")
		b.Logf("threads %d, %d tokens per stream, best of %d rounds", threads(), genTokens, rounds)
		b.Logf("generation tok/s (aggregate): bare engine %.1f; daemon 1 slot %.1f (%.3f× bare), 2 slots %.1f, 4 slots %.1f (%.2f× one slot)",
			bare.gen, res[1].gen, res[1].gen/bare.gen, res[2].gen, res[4].gen, res[4].gen/res[1].gen)
		b.Logf("bare engine with 4 slots and 4 concurrent streams: %.1f tok/s (%.2f× its 1 stream); daemon 4 slots = %.3f× that",
			bare4.gen, bare4.gen/bare.gen, res[4].gen/bare4.gen)
		b.Logf("ceiling, llama.cpp's batched decode in a minimal C loop: 1 sequence %.1f tok/s, 4 sequences %.1f tok/s (%.2f×); daemon 1 slot = %.3f× its 1, daemon 4 slots = %.3f× its 4",
			raw1.gen, raw4.gen, raw4.gen/raw1.gen, res[1].gen/raw1.gen, res[4].gen/raw4.gen)
		b.Logf("wall-clock tok/s (prompt and HTTP included): bare engine %.1f; daemon 1 slot %.1f (%.3f× bare), 2 slots %.1f, 4 slots %.1f (%.2f× one slot)",
			bare.wall, res[1].wall, res[1].wall/bare.wall, res[2].wall, res[4].wall, res[4].wall/res[1].wall)
	}
}

// BenchmarkReload measures models.toml edit → new model serving, and pricing.toml edit →
// first request that reports the new pricing version.
func BenchmarkReload(b *testing.B) {
	model := benchModel(b)
	alias := filepath.Join(b.TempDir(), "bench-alias.gguf")
	if err := os.Symlink(model, alias); err != nil {
		b.Fatal(err)
	}
	d := startDaemon(b, model, 1)
	defer d.stop()
	for i := 0; i < b.N; i++ {
		var swaps []time.Duration
		for k, p := range []string{alias, model} {
			t0 := time.Now()
			write(b, filepath.Join(d.dir, "models.toml"), fmt.Sprintf("default = \"bench\"\n[models.bench]\npath = %q\n", p))
			d.waitStatus(b, 5*time.Minute, func(s api.StatusResponse) bool {
				return s.Model.Serving != nil && s.Model.Serving.Info.Path == p && s.Model.Swaps == uint64(k+1+2*i)
			})
			swaps = append(swaps, time.Since(t0))
		}
		var pricing []time.Duration
		for k := 0; k < 3; k++ {
			content := fmt.Sprintf("rate = %d.5\n", 10*i+k+2)
			sum := sha256.Sum256([]byte(content))
			want := "pricing.toml@" + hex.EncodeToString(sum[:6])
			t0 := time.Now()
			write(b, filepath.Join(d.dir, "pricing.toml"), content)
			for {
				_, body := d.chat(b, 1)
				if strings.Contains(body, want) {
					break
				}
				if time.Since(t0) > time.Minute {
					b.Fatal("pricing edit never applied")
				}
			}
			pricing = append(pricing, time.Since(t0))
		}
		b.ReportMetric(ms(avg(swaps)), "swap_ms")
		b.ReportMetric(ms(avg(pricing)), "pricing_ms")
		b.Logf("models.toml edit → new model serving: %v; pricing.toml edit → request using it: %v", swaps, pricing)
	}
}

func avg(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s / time.Duration(len(ds))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

package gputest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/inferencetest"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// vulkanLines records the log lines of llama.cpp's logger that come from inside the Vulkan
// library (TestBackendLogsRouted).
var vulkanLines struct {
	sync.Mutex
	lines []string
}

// recorder is a slog handler at every level that keeps the ggml_vulkan lines.
type recorder struct{}

func (recorder) Enabled(context.Context, slog.Level) bool { return true }
func (recorder) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "ggml_vulkan") {
		vulkanLines.Lock()
		vulkanLines.lines = append(vulkanLines.lines, r.Message)
		vulkanLines.Unlock()
	}
	return nil
}
func (h recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recorder) WithGroup(string) slog.Handler      { return h }

var modelDir string

// childEnv makes the test binary compute a CPU model's logits without loading a backend (see
// TestCPUModelUnchanged) and write them to the named file.
const childEnv = "NASHD_GPUTEST_CPU_LOGITS"

func TestMain(m *testing.M) {
	llama.SetLogger(slog.New(recorder{}))
	d, err := os.MkdirTemp("", "nashd-gputest-")
	if err != nil {
		panic(err)
	}
	modelDir = d
	code := 0
	if out := os.Getenv(childEnv); out != "" {
		code = cpuLogitsChild(out)
	} else {
		// Say which device the tests run on: a run that dies inside the driver leaves
		// nothing else (scripts/gpu/test-gpu.sh reruns it once when the device is Mesa's
		// software one).
		if devs, err := LoadBackend(); err == nil {
			for _, d := range devs {
				fmt.Fprintf(os.Stderr, "gputest: device %d: %s %s (%s, %s)\n", d.Index, d.Name, d.Description, d.Backend, d.Type)
			}
		}
		code = m.Run()
	}
	os.RemoveAll(d)
	os.Exit(code)
}

// genModel generates the tiny model with the given output scale once per test binary.
var genModel = sync.OnceValues(func() (map[float32]string, error) {
	out := map[float32]string{}
	for _, scale := range []float32{1, 50} {
		spec, err := models.ShapeSpec("tiny")
		if err != nil {
			return nil, err
		}
		spec.OutputScale = scale
		p := filepath.Join(modelDir, fmt.Sprintf("tiny-x%g.gguf", scale))
		if err := models.Generate(p, spec); err != nil {
			return nil, err
		}
		out[scale] = p
	}
	return out, nil
})

// tiny returns the tiny model's path: outputScale 1 (random logits, small margins) or 50
// (large greedy margins, for comparing tokens).
func tiny(t testing.TB, outputScale float32) string {
	t.Helper()
	ps, err := genModel()
	if err != nil {
		t.Fatal(err)
	}
	return ps[outputScale]
}

func loadModel(t testing.TB, path string, p llama.ModelParams) *llama.Model {
	t.Helper()
	m, err := llama.LoadModel(path, p)
	if err != nil {
		t.Fatalf("LoadModel(%s, %+v): %v", path, p, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// text is the teacher-forced sequence (the tiny model's vocabulary spends a token per byte).
const text = "Player 1 chooses Up or Down, player 2 Left or Right; the payoffs are (3,3), (0,5), " +
	"(5,0) and (1,1). In the only Nash equilibrium both defect, although mutual cooperation pays more."

// stepLogits teacher-forces toks through a fresh context: the first nBatch tokens as one
// batch (logits at every position), then one token per decode. It returns the logits after
// every token.
func stepLogits(t testing.TB, m *llama.Model, toks []int32, nBatch int) [][]float32 {
	t.Helper()
	ctx, err := llama.NewContext(m, llama.ContextParams{NCtx: 512, NBatch: 256, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	b := llama.NewBatch(256)
	defer b.Free()
	var out [][]float32
	decode := func(from, to int) {
		b.Clear()
		for i := from; i < to; i++ {
			b.Add(toks[i], i, 0, true)
		}
		if err := ctx.Decode(b); err != nil {
			t.Fatalf("decode [%d, %d): %v", from, to, err)
		}
		for i := range to - from {
			out = append(out, slices.Clone(ctx.Logits(i)))
		}
	}
	decode(0, nBatch)
	for i := nBatch; i < len(toks); i++ {
		decode(i, i+1)
	}
	return out
}

func tokens(t testing.TB, m *llama.Model) []int32 {
	t.Helper()
	toks, err := m.Tokenize(text, true, false)
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

// logitTolerance is the largest difference allowed between a device's logits and the CPU's,
// relative to the largest logit magnitude of the step (at least 1). ggml-vulkan's kernels use
// 16-bit floats where the device supports them (rounding unit 2^-11 ≈ 4.9e-4): on the tiny F32
// model the largest difference measured was 7.5e-4 (2.7e-5 with GGML_VK_DISABLE_F16=1). A
// wrong kernel is off by the logits' own size.
const logitTolerance = 3e-3

// compare returns the largest absolute logit difference over all steps, the largest allowed
// one, and the first step (or -1) whose difference exceeds its tolerance.
func compare(want, got [][]float32) (maxDiff, maxTol float64, bad int) {
	bad = -1
	for s := range want {
		scale := 1.0
		for _, v := range want[s] {
			scale = max(scale, math.Abs(float64(v)))
		}
		d := 0.0
		for i, v := range want[s] {
			d = max(d, math.Abs(float64(v)-float64(got[s][i])))
		}
		tol := logitTolerance * scale
		if d > tol && bad < 0 {
			bad = s
		}
		maxDiff, maxTol = max(maxDiff, d), max(maxTol, tol)
	}
	return maxDiff, maxTol, bad
}

// TestLogitsMatchCPU: with every layer on the device (and some layers, for partial
// offload), the logits after every token equal the CPU's within logitTolerance, both in a
// prompt batch and one token at a time.
func TestLogitsMatchCPU(t *testing.T) {
	devs := Load(t)
	path := tiny(t, 1)
	cpu := loadModel(t, path, llama.ModelParams{})
	toks := tokens(t, cpu)
	want := stepLogits(t, cpu, toks, 32)
	for _, layers := range []int{1, 2, 3, 99} {
		t.Run(fmt.Sprintf("gpu_layers=%d", layers), func(t *testing.T) {
			m := loadModel(t, path, llama.ModelParams{GPULayers: layers})
			if wantL := min(layers, m.NLayer()+1); m.GPULayers() != wantL {
				t.Errorf("GPULayers() = %d, want %d", m.GPULayers(), wantL)
			}
			if d := m.GPUDevices(); len(d) != 1 || d[0] != devs[0].Name {
				t.Errorf("GPUDevices() = %v, want [%s]", d, devs[0].Name)
			}
			got := stepLogits(t, m, toks, 32)
			maxDiff, tol, bad := compare(want, got)
			t.Logf("%d steps on %s: largest logit difference %.3g (tolerance up to %.3g)", len(want), devs[0].Description, maxDiff, tol)
			if bad >= 0 {
				t.Errorf("step %d: logits differ from the CPU's by more than %g relative (largest difference %.3g)", bad, logitTolerance, maxDiff)
			}
		})
	}
}

// openEngine opens an engine with a quiet logger and closes it when the test ends.
func openEngine(t testing.TB, path string, opts engine.Options) *engine.Engine {
	t.Helper()
	opts.Logger = quiet
	if opts.Threads == 0 {
		opts.Threads = 2
	}
	if opts.ContextSize == 0 {
		opts.ContextSize = 1024
	}
	e, err := engine.Open(path, opts)
	if err != nil {
		t.Fatalf("engine.Open(%+v): %v", opts, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func generate(t testing.TB, g inference.Generator, req inference.Request) inference.Result {
	t.Helper()
	r, err := g.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatalf("Generate(%.40q): %v", req.Prompt, err)
	}
	return r
}

// greedyRequests are the requests whose greedy tokens must not depend on the device: plain,
// chat-templated and grammar-constrained.
func greedyRequests(t testing.TB, e *engine.Engine) []inference.Request {
	chat, err := e.ChatPrompt([]inference.Message{{Role: "system", Content: "Answer briefly."}, {Role: "user", Content: "Which strategy is dominant?"}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := []inference.Request{
		{Prompt: text, MaxTokens: 64, AddSpecial: true},
		{Prompt: chat, MaxTokens: 48},
	}
	for _, g := range inferencetest.Grammars {
		reqs = append(reqs, inference.Request{Prompt: "The payoff is", MaxTokens: 64, Grammar: g.GBNF, AddSpecial: true})
	}
	return reqs
}

// tieMargin is the top-1 margin below which the CPU and the device may pick different greedy
// tokens: each side's logits may be off by logitTolerance (relative), so a margin under twice
// that is a near-tie that either may break its own way.
const tieMargin = 2 * logitTolerance

// divergence checks the device's greedy tokens against the CPU's: equal, or equal up to a
// step where the CPU's logits give the two tokens a margin below tieMargin (relative to the
// step's largest logit). It teacher-forces prompt and the CPU's tokens through cpu to find
// that margin; ok is false for a divergence at a clear margin.
func divergence(t testing.TB, cpu *llama.Model, prompt, want, got []int32) (msg string, ok bool) {
	t.Helper()
	k := 0
	for k < len(want) && k < len(got) && want[k] == got[k] {
		k++
	}
	if k == len(want) && k == len(got) {
		return "", true
	}
	if k == len(want) || k == len(got) {
		return fmt.Sprintf("lengths differ after %d equal tokens (cpu %d, device %d)", k, len(want), len(got)), false
	}
	toks := append(slices.Clone(prompt), want[:k]...)
	steps := stepLogits(t, cpu, toks, len(prompt))
	l := steps[len(steps)-1]
	scale := 1.0
	for _, v := range l {
		scale = max(scale, math.Abs(float64(v)))
	}
	margin := float64(l[want[k]] - l[got[k]])
	msg = fmt.Sprintf("token %d: cpu %d, device %d; cpu logit margin %.3g (%.2g relative; near-tie below %.2g)", k, want[k], got[k], margin, margin/scale, tieMargin)
	return msg, margin/scale < tieMargin
}

// TestGreedyMatchesCPU: on the large-margin model (output scale 50), greedy generation gives
// the CPU's tokens with all layers or some on the device, for plain, chat and grammar
// requests, one at a time and four at once in a multi-slot batch. The random model falls into
// repetition loops where even its wide margins shrink: a divergence is accepted only at a
// near-tie of the CPU's own logits (see divergence) and is logged.
func TestGreedyMatchesCPU(t *testing.T) {
	Load(t)
	path := tiny(t, 50)
	cpu := openEngine(t, path, engine.Options{})
	ref := loadModel(t, path, llama.ModelParams{})
	reqs := greedyRequests(t, cpu)
	want := make([][]int32, len(reqs))
	prompts := make([][]int32, len(reqs))
	for i, r := range reqs {
		want[i] = generate(t, cpu, r).Tokens
		if len(want[i]) < 2 {
			t.Fatalf("request %d: the CPU generated only %v", i, want[i])
		}
		toks, err := cpu.Tokenize(r.Prompt, r.AddSpecial)
		if err != nil {
			t.Fatal(err)
		}
		prompts[i] = toks
	}
	for _, layers := range []int{99, 1} {
		for _, slots := range []int{1, 4} {
			t.Run(fmt.Sprintf("gpu_layers=%d/slots=%d", layers, slots), func(t *testing.T) {
				e := openEngine(t, path, engine.Options{GPULayers: layers, Slots: slots})
				if e.Info().GPULayers == 0 {
					t.Fatalf("Info().GPULayers = 0 with GPULayers %d", layers)
				}
				got := make([][]int32, len(reqs))
				errs := make([]error, len(reqs))
				var wg sync.WaitGroup
				for i, r := range reqs {
					run := func() {
						res, err := e.Generate(context.Background(), r, nil)
						got[i], errs[i] = res.Tokens, err
					}
					if slots == 1 {
						run()
						continue
					}
					wg.Add(1)
					go func() { defer wg.Done(); run() }()
				}
				wg.Wait()
				for i := range reqs {
					if errs[i] != nil {
						t.Errorf("request %d: %v", i, errs[i])
						continue
					}
					msg, ok := divergence(t, ref, prompts[i], want[i], got[i])
					switch {
					case !ok:
						t.Errorf("request %d (%.30q): device tokens differ from the CPU's: %s\n gpu %v\n cpu %v", i, reqs[i].Prompt, msg, got[i], want[i])
					case msg != "":
						t.Logf("request %d: near-tie accepted: %s", i, msg)
					}
				}
			})
		}
	}
}

// TestConformanceOnDevice runs the generator conformance suite on the fully offloaded tiny
// model, with one and three slots.
func TestConformanceOnDevice(t *testing.T) {
	Load(t)
	for _, slots := range []int{1, 3} {
		t.Run(fmt.Sprintf("slots=%d", slots), func(t *testing.T) {
			inferencetest.Run(t, func(t *testing.T) inference.Generator {
				e, err := engine.Open(tiny(t, 1), engine.Options{GPULayers: 99, Slots: slots, Threads: 1, ContextSize: 1024, Logger: quiet})
				if err != nil {
					t.Fatal(err)
				}
				return e
			})
		})
	}
}

// TestMainGPU: the device index chooses the device; an index past the devices is an error;
// a negative one spreads the layers over every GPU.
func TestMainGPU(t *testing.T) {
	devs := Load(t)
	path := tiny(t, 1)
	if _, err := llama.LoadModel(path, llama.ModelParams{GPULayers: 99, MainGPU: len(devs)}); err == nil {
		t.Errorf("MainGPU %d of %d devices accepted", len(devs), len(devs))
	} else {
		t.Logf("MainGPU %d: %v", len(devs), err)
	}
	m := loadModel(t, path, llama.ModelParams{GPULayers: 99, MainGPU: -1})
	if m.GPULayers() != m.NLayer()+1 || len(m.GPUDevices()) == 0 {
		t.Errorf("MainGPU -1: GPULayers %d devices %v", m.GPULayers(), m.GPUDevices())
	}
	last := len(devs) - 1
	m = loadModel(t, path, llama.ModelParams{GPULayers: 99, MainGPU: last})
	if d := m.GPUDevices(); len(d) != 1 || d[0] != devs[last].Name {
		t.Errorf("MainGPU %d: devices %v, want [%s]", last, d, devs[last].Name)
	}
	// The engine reports where the model is.
	e := openEngine(t, path, engine.Options{GPULayers: 2})
	if info := e.Info(); info.GPULayers != 2 || !slices.Equal(info.GPUDevices, []string{devs[0].Name}) {
		t.Errorf("Info: GPULayers %d GPUDevices %v", info.GPULayers, info.GPUDevices)
	}
}

// TestBackendLogsRouted: the Vulkan library's own log lines reach llama.SetLogger's logger
// (the library binds to the executable's ggml, whose log callback nashd installs), so they
// go through slog rather than straight to stderr. Engines opened by the tests replace the
// logger, so the lines come from the process's first load.
func TestBackendLogsRouted(t *testing.T) {
	devs := Load(t)
	if devs[0].Backend != "Vulkan" {
		t.Skipf("backend %s", devs[0].Backend)
	}
	vulkanLines.Lock()
	defer vulkanLines.Unlock()
	if len(vulkanLines.lines) == 0 {
		t.Fatal("no ggml_vulkan line reached the logger")
	}
	t.Logf("%d lines, first: %s", len(vulkanLines.lines), vulkanLines.lines[0])
}

// TestDevices: the devices of the loaded backend; a second load of the same directory returns
// them again, another directory is refused.
func TestDevices(t *testing.T) {
	devs := Load(t)
	for i, d := range devs {
		t.Logf("device %d: %+v", i, d)
		if d.Index != i || d.Name == "" || d.Backend == "" || d.Type == "cpu" || d.TotalBytes == 0 || d.FreeBytes > d.TotalBytes {
			t.Errorf("device %d: %+v", i, d)
		}
	}
	dir, _ := Dir()
	again, err := llama.LoadBackends(dir)
	if err != nil || len(again) != len(devs) {
		t.Errorf("second LoadBackends(%s) = %d devices, %v; want %d", dir, len(again), err, len(devs))
	}
	other := t.TempDir()
	if _, err := llama.LoadBackends(other); err == nil {
		t.Errorf("LoadBackends(%s) after %s succeeded", other, dir)
	}
}

// cpuLogitsPrompt is the prompt batch of TestCPUModelUnchanged: 122 tokens, the size that
// op offload once sent to the software device (0.69 s became 39 s).
func cpuLogitsPrompt(m *llama.Model) ([]int32, error) {
	toks, err := m.Tokenize(text+text, true, false)
	if err != nil {
		return nil, err
	}
	return toks[:122], nil
}

// cpuLogits decodes the prompt batch on a CPU model (GPULayers 0) and returns every
// position's logits.
func cpuLogits(path string) ([]float32, error) {
	m, err := llama.LoadModel(path, llama.ModelParams{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if m.GPULayers() != 0 {
		return nil, fmt.Errorf("a GPULayers 0 model reports %d layers on a device", m.GPULayers())
	}
	toks, err := cpuLogitsPrompt(m)
	if err != nil {
		return nil, err
	}
	ctx, err := llama.NewContext(m, llama.ContextParams{NCtx: 256, NBatch: 128, Threads: 2})
	if err != nil {
		return nil, err
	}
	defer ctx.Close()
	b := llama.NewBatch(len(toks))
	defer b.Free()
	for i, tok := range toks {
		b.Add(tok, i, 0, true)
	}
	if err := ctx.Decode(b); err != nil {
		return nil, err
	}
	var out []float32
	for i := range toks {
		out = append(out, ctx.Logits(i)...)
	}
	return out, nil
}

// cpuLogitsChild is the child process of TestCPUModelUnchanged: no backend is loaded.
func cpuLogitsChild(out string) int {
	p, err := genModel()
	if err == nil {
		var l []float32
		if l, err = cpuLogits(p[1]); err == nil {
			var f *os.File
			if f, err = os.Create(out); err == nil {
				err = binary.Write(f, binary.LittleEndian, l)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gputest child:", err)
		return 1
	}
	return 0
}

// TestCPUModelUnchanged: with a backend loaded, a model that asks for no GPU layers computes
// a 122-token prompt batch exactly (bit for bit) as in a process without a backend: none of
// its work goes to the device (llama.cpp's op offload would send that batch there).
func TestCPUModelUnchanged(t *testing.T) {
	Load(t)
	out := filepath.Join(t.TempDir(), "logits")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child without a backend: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(data)/4)
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, want); err != nil {
		t.Fatal(err)
	}
	got, err := cpuLogits(tiny(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d logits with the backend loaded, %d without", len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("logit %d (position %d): %v with the backend loaded, %v without", i, i/(len(got)/122), got[i], want[i])
		}
	}
}

// TestConcurrentEngines: several engines on the device (and one on the CPU) decoding at the
// same time from their own goroutines, while another engine is opened and closed on the
// device, give each request the tokens it gets alone.
func TestConcurrentEngines(t *testing.T) {
	Load(t)
	path := tiny(t, 50)
	req := func(i int) inference.Request {
		return inference.Request{Prompt: fmt.Sprintf("%d %s", i, text[:60]), MaxTokens: 24, AddSpecial: true}
	}
	engines := []*engine.Engine{
		openEngine(t, path, engine.Options{GPULayers: 99}),
		openEngine(t, path, engine.Options{GPULayers: 99, Slots: 2}),
		openEngine(t, path, engine.Options{GPULayers: 1}),
		openEngine(t, path, engine.Options{}),
	}
	want := make([][]int32, len(engines))
	for i, e := range engines {
		want[i] = generate(t, e, req(i)).Tokens
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				r, err := e.Generate(context.Background(), req(i), nil)
				if err != nil {
					errs <- fmt.Errorf("engine %d: %w", i, err)
					return
				}
				if !slices.Equal(r.Tokens, want[i]) {
					errs <- fmt.Errorf("engine %d: %v concurrently, %v alone", i, r.Tokens, want[i])
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 {
			e, err := engine.Open(path, engine.Options{GPULayers: 99, Threads: 1, ContextSize: 256, Logger: quiet})
			if err != nil {
				errs <- err
				return
			}
			if _, err := e.Generate(context.Background(), req(9), nil); err != nil {
				errs <- err
			}
			e.Close()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

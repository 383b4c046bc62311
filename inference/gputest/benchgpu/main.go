// Command benchgpu measures prompt and generation speed (tokens/s) of one model on the CPU and
// on the GPU backend that `make gpu` built (`make bench-gpu`). Three configurations run
// interleaved, one repetition of each in turn (rotating which goes first), so all see the same
// machine load:
//
//   - cpu: the model on the CPU in a child process that loads no GPU backend;
//   - cpu+backend: the model on the CPU (0 GPU layers) in this process, with the backend loaded:
//     its speed must equal cpu's (a CPU model sends no work to the device);
//   - gpu: the model with -gpu-layers layers on the device.
//
// Each repetition decodes -prompt fresh token ids in one batch (no cached prefix), then
// generates -gen tokens greedily one at a time, through package llama directly. It prints
// medians with their range and ends with the ratios of the medians of pairs:
// "gpu_prompt_ratio=X min=A max=B", "gpu_generation_ratio=...", "cpu_backend_prompt_ratio=..."
// and "cpu_backend_generation_ratio=..." (÷ cpu). On Mesa's software Vulkan device the GPU
// numbers only show that the path works; on a real GPU they are the point. The software device
// runs on one thread (LP_NUM_THREADS=0, see llama.SetVulkanEnv) and takes seconds per token on the
// bench model, so there the flags left at their defaults shrink to -reps 3 -prompt 32 -gen 8;
// -cpu-only measures only the first two configurations.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nashd/nashd/inference/engine"
	"github.com/nashd/nashd/inference/gputest"
	"github.com/nashd/nashd/inference/llama"
)

type options struct {
	model         string
	threads       int
	reps          int
	nPrompt, nGen int
	gpuLayers     int
	cpuOnly       bool
}

func main() {
	var o options
	flag.StringVar(&o.model, "m", "models/testdata/gen/bench.gguf", "model file")
	flag.IntVar(&o.threads, "threads", engine.PhysicalCores(), "CPU threads")
	flag.IntVar(&o.reps, "reps", 5, "interleaved repetitions")
	flag.IntVar(&o.nPrompt, "prompt", 128, "prompt tokens")
	flag.IntVar(&o.nGen, "gen", 32, "generated tokens")
	flag.IntVar(&o.gpuLayers, "gpu-layers", 999, "layers on the device (more than the model has: all)")
	flag.BoolVar(&o.cpuOnly, "cpu-only", false, "load the backend but measure only cpu and cpu+backend (the software device is slow)")
	child := flag.Int("child-rep", -1, "internal: run repetition N on the CPU without a backend and print its speeds")
	flag.Parse()
	llama.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if *child >= 0 {
		if err := childRun(o, *child); err != nil {
			fmt.Fprintln(os.Stderr, "benchgpu child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchgpu:", err)
		os.Exit(1)
	}
}

// speed is one repetition's tokens per second.
type speed struct{ prompt, gen float64 }

// measure runs one repetition on m: a fresh context, prompt tokens drawn from the seed rep
// (so no two repetitions share a prefix), then greedy generation.
func measure(m *llama.Model, o options, rep int) (speed, error) {
	ctx, err := llama.NewContext(m, llama.ContextParams{NCtx: o.nPrompt + o.nGen + 16, NBatch: o.nPrompt, Threads: o.threads})
	if err != nil {
		return speed{}, err
	}
	defer ctx.Close()
	rng := rand.New(rand.NewPCG(uint64(rep), 7))
	b := llama.NewBatch(o.nPrompt)
	defer b.Free()
	for i := range o.nPrompt {
		// Ordinary tokens: the ids above the first few hundred, whatever the vocabulary.
		tok := int32(300 + rng.IntN(m.NVocab()-300))
		b.Add(tok, i, 0, i == o.nPrompt-1)
	}
	// A device computes asynchronously: reading the logits waits for the result.
	t0 := time.Now()
	if err := ctx.Decode(b); err != nil {
		return speed{}, fmt.Errorf("prompt: %w", err)
	}
	last := o.nPrompt - 1 // the batch index of the one prompt token with logits
	if ctx.Logits(last) == nil {
		return speed{}, fmt.Errorf("prompt: no logits")
	}
	promptDur := time.Since(t0)
	t0 = time.Now()
	for i := range o.nGen {
		logits := ctx.Logits(last)
		next := int32(0)
		for j, v := range logits {
			if v > logits[next] {
				next = int32(j)
			}
		}
		b.Clear()
		last = b.Add(next, o.nPrompt+i, 0, true)
		if err := ctx.Decode(b); err != nil {
			return speed{}, fmt.Errorf("generation: %w", err)
		}
	}
	if ctx.Logits(last) == nil {
		return speed{}, fmt.Errorf("generation: no logits")
	}
	genDur := time.Since(t0)
	return speed{float64(o.nPrompt) / promptDur.Seconds(), float64(o.nGen) / genDur.Seconds()}, nil
}

// childRun is the "cpu" configuration: a process without a backend.
func childRun(o options, rep int) error {
	m, err := llama.LoadModel(o.model, llama.ModelParams{})
	if err != nil {
		return err
	}
	defer m.Close()
	// The same warm-up as the in-process configurations had: the first decode of a process
	// pays for allocations the others no longer do.
	warm := o
	warm.nGen = 2
	if _, err := measure(m, warm, -1); err != nil {
		return err
	}
	s, err := measure(m, o, rep)
	if err != nil {
		return err
	}
	fmt.Printf("%g %g\n", s.prompt, s.gen)
	return nil
}

// runChild runs repetition rep of the "cpu" configuration in a child process.
func runChild(o options, rep int) (speed, error) {
	exe, err := os.Executable()
	if err != nil {
		return speed{}, err
	}
	cmd := exec.Command(exe, "-m", o.model, "-threads", strconv.Itoa(o.threads), "-prompt", strconv.Itoa(o.nPrompt),
		"-gen", strconv.Itoa(o.nGen), "-child-rep", strconv.Itoa(rep))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return speed{}, fmt.Errorf("child: %w", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	var s speed
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "%g %g", &s.prompt, &s.gen); err == nil {
			return s, nil
		}
	}
	return speed{}, fmt.Errorf("child printed no speeds: %q", out)
}

func run(o options) error {
	if _, err := os.Stat(o.model); err != nil {
		return fmt.Errorf("%w (make %s)", err, o.model)
	}
	devs, err := gputest.LoadBackend()
	if err != nil {
		return err
	}
	software := false
	for _, d := range devs {
		fmt.Printf("device %d: %s (%s, %s), %.1f of %.1f GiB free\n", d.Index, d.Name, d.Description, d.Backend,
			float64(d.FreeBytes)/(1<<30), float64(d.TotalBytes)/(1<<30))
		software = software || strings.Contains(d.Description, "llvmpipe")
	}
	if software && !o.cpuOnly {
		// Mesa's software device takes seconds per token: shrink what the flags left at their
		// defaults, so the run shows the path works in minutes.
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		var shrunk []string
		for _, f := range []struct {
			name string
			v    *int
			to   int
		}{{"reps", &o.reps, 3}, {"prompt", &o.nPrompt, 32}, {"gen", &o.nGen, 8}} {
			if !set[f.name] {
				*f.v = f.to
				shrunk = append(shrunk, fmt.Sprintf("-%s %d", f.name, f.to))
			}
		}
		fmt.Printf("software device (llvmpipe): the GPU figures only show that the path works (defaults shrunk: %s)\n", strings.Join(shrunk, " "))
	}
	cpu, err := llama.LoadModel(o.model, llama.ModelParams{})
	if err != nil {
		return err
	}
	defer cpu.Close()
	names := []string{"cpu", "cpu+backend", "gpu"}
	var gpu *llama.Model
	warm := o
	warm.nGen = 2
	if o.cpuOnly {
		names = names[:2]
		fmt.Printf("model %s (%s): %d threads, %d prompt tokens, %d generated, %d repetitions\n",
			o.model, cpu.Desc(), o.threads, o.nPrompt, o.nGen, o.reps)
	} else {
		if gpu, err = llama.LoadModel(o.model, llama.ModelParams{GPULayers: o.gpuLayers}); err != nil {
			return fmt.Errorf("load on the device: %w", err)
		}
		defer gpu.Close()
		fmt.Printf("model %s (%s): %d of %d layers on %v; %d threads, %d prompt tokens, %d generated, %d repetitions\n",
			o.model, cpu.Desc(), gpu.GPULayers(), cpu.NLayer()+1, gpu.GPUDevices(), o.threads, o.nPrompt, o.nGen, o.reps)
		// Warm-up (shader compilation, page cache), not counted: a full prompt, two tokens.
		if _, err := measure(gpu, warm, -1); err != nil {
			return fmt.Errorf("gpu warm-up: %w", err)
		}
	}
	if _, err := measure(cpu, warm, -1); err != nil {
		return fmt.Errorf("cpu warm-up: %w", err)
	}
	runs := map[string][]speed{}
	for rep := range o.reps {
		for k := range names {
			name := names[(rep+k)%len(names)]
			var s speed
			var err error
			switch name {
			case "cpu":
				s, err = runChild(o, rep)
			case "cpu+backend":
				s, err = measure(cpu, o, rep)
			case "gpu":
				s, err = measure(gpu, o, rep)
			}
			if err != nil {
				return fmt.Errorf("%s, repetition %d: %w", name, rep, err)
			}
			runs[name] = append(runs[name], s)
			fmt.Printf("rep %d %-12s prompt %8.1f tok/s  generation %7.2f tok/s\n", rep, name, s.prompt, s.gen)
		}
	}
	for _, name := range names {
		p, g := pick(runs[name], true), pick(runs[name], false)
		fmt.Printf("%-12s prompt %8.1f tok/s (%.1f-%.1f)  generation %7.2f tok/s (%.2f-%.2f)\n", name,
			median(p), slices.Min(p), slices.Max(p), median(g), slices.Min(g), slices.Max(g))
	}
	// Ratios of the repetitions' pairs (each pair ran in the same round).
	for _, r := range []struct {
		name  string
		num   string
		promp bool
	}{
		{"gpu_prompt_ratio", "gpu", true}, {"gpu_generation_ratio", "gpu", false},
		{"cpu_backend_prompt_ratio", "cpu+backend", true}, {"cpu_backend_generation_ratio", "cpu+backend", false},
	} {
		if len(runs[r.num]) == 0 {
			continue
		}
		num, den := pick(runs[r.num], r.promp), pick(runs["cpu"], r.promp)
		xs := make([]float64, len(num))
		for i := range num {
			xs[i] = num[i] / den[i]
		}
		fmt.Printf("%s=%.3f min=%.3f max=%.3f pairs=%d\n", r.name, median(xs), slices.Min(xs), slices.Max(xs), len(xs))
	}
	return nil
}

func pick(ss []speed, prompt bool) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		if prompt {
			out[i] = s.prompt
		} else {
			out[i] = s.gen
		}
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

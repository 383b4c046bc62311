package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/llama"
	"github.com/nashd/nashd/models"
)

func TestOpenInfo(t *testing.T) {
	var progress []float32
	e := openTiny(t, Options{Slots: 2, Progress: func(p float32) { progress = append(progress, p) }})
	defer e.Close()
	info := e.Info()
	spec, _ := models.ShapeSpec("tiny")
	if info.Architecture != "llama" || info.VocabSize != spec.VocabSize || info.ContextLength != spec.ContextLength ||
		info.ContextSize != 512 || info.Slots != 2 || info.Parameters == 0 || info.SizeBytes == 0 || info.ChatTemplate == "" {
		t.Errorf("Info() = %+v", info)
	}
	if len(progress) == 0 || progress[len(progress)-1] != 1 {
		t.Errorf("progress callbacks %v, want ending at 1", progress)
	}
}

// TestGPULayersWithoutDevice: with no GPU backend loaded (this test binary loads none), a
// model asking for GPU layers runs on the CPU, and Info says so.
func TestGPULayersWithoutDevice(t *testing.T) {
	if len(llama.Devices()) > 0 {
		t.Skip("a GPU device is registered in this process")
	}
	e := openTiny(t, Options{GPULayers: 99, MainGPU: 1})
	defer e.Close()
	if info := e.Info(); info.GPULayers != 0 || len(info.GPUDevices) != 0 {
		t.Errorf("Info(): GPULayers %d GPUDevices %v without a GPU device", info.GPULayers, info.GPUDevices)
	}
	if _, err := e.Generate(context.Background(), inference.Request{Prompt: "payoff", MaxTokens: 4}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(tiny(t), Options{GPULayers: -1}); err == nil {
		t.Error("GPULayers -1 accepted")
	}
}

func TestOpenBadFiles(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(tiny(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello, not a model"),
		"truncated": data[:len(data)*2/3],
		"header":    data[:64],
	}
	flipped := append([]byte(nil), data...)
	for i := 8; i < 24; i++ { // tensor and key counts
		flipped[i] ^= 0x5a
	}
	cases["corrupt counts"] = flipped
	for name, b := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".gguf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if e, err := Open(p, Options{Logger: quiet, Threads: 1}); err == nil {
			e.Close()
			t.Errorf("%s: Open succeeded", name)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.gguf"), Options{Logger: quiet}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(tiny(t), Options{Slots: -1}); err == nil {
		t.Error("negative slots: no error")
	}
}

func TestChatPrompt(t *testing.T) {
	e := openTiny(t, Options{})
	defer e.Close()
	got, err := e.ChatPrompt([]inference.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
	if got != want {
		t.Errorf("ChatPrompt = %q, want %q", got, want)
	}
	if _, err := e.ChatPrompt(nil); !errors.Is(err, inference.ErrInvalidRequest) {
		t.Errorf("no messages: %v", err)
	}
	if _, err := e.ChatPrompt([]inference.Message{{Role: "robot", Content: "x"}}); !errors.Is(err, inference.ErrInvalidRequest) {
		t.Errorf("bad role: %v", err)
	}
	// The special tokens of the template tokenize as single tokens.
	toks, _ := e.Tokenize("<|im_start|>", false)
	if len(toks) != 1 {
		t.Errorf("<|im_start|> tokenizes as %v", toks)
	}
	// Override with a built-in template name.
	e2 := openTiny(t, Options{ChatTemplate: "llama3"})
	defer e2.Close()
	if s, err := e2.ChatPrompt([]inference.Message{{Role: "user", Content: "Hi"}}); err != nil || !strings.Contains(s, "<|start_header_id|>assistant<|end_header_id|>") {
		t.Errorf("llama3 override: %q, %v", s, err)
	}
}

func TestPrefixReuse(t *testing.T) {
	e := openTiny(t, Options{})
	defer e.Close()
	ctx := context.Background()
	base := "The row player chooses between cooperate and defect; the column player"
	r1, err := e.Generate(ctx, inference.Request{Prompt: base, MaxTokens: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Timings.CacheN != 0 || r1.Timings.PromptN != r1.PromptTokens {
		t.Errorf("first request: timings %+v, want no cache use", r1.Timings)
	}
	// The same prompt again: everything but the last prompt token comes from the cache.
	r2, _ := e.Generate(ctx, inference.Request{Prompt: base, MaxTokens: 4}, nil)
	if r2.Timings.CacheN != r2.PromptTokens-1 || r2.Timings.PromptN != 1 {
		t.Errorf("same prompt: cache_n %d prompt_n %d of %d", r2.Timings.CacheN, r2.Timings.PromptN, r2.PromptTokens)
	}
	if r2.Text != r1.Text {
		t.Errorf("cached run %q != fresh run %q", r2.Text, r1.Text)
	}
	// An extension of the prompt decodes only the new suffix.
	ext := base + " answers with a mixed strategy"
	baseToks, _ := e.Tokenize(base, false)
	extToks, _ := e.Tokenize(ext, false)
	shared := 0
	for shared < len(baseToks) && baseToks[shared] == extToks[shared] {
		shared++
	}
	r3, _ := e.Generate(ctx, inference.Request{Prompt: ext, MaxTokens: 4}, nil)
	if r3.Timings.CacheN != shared || r3.Timings.PromptN != len(extToks)-shared {
		t.Errorf("extended prompt: cache_n %d prompt_n %d, want %d and %d", r3.Timings.CacheN, r3.Timings.PromptN, shared, len(extToks)-shared)
	}
	// The output equals a fresh engine's (no stale cache entries leak in).
	fresh := openTiny(t, Options{})
	defer fresh.Close()
	r4, _ := fresh.Generate(ctx, inference.Request{Prompt: ext, MaxTokens: 4}, nil)
	if r4.Text != r3.Text {
		t.Errorf("reused-prefix output %q != fresh output %q", r3.Text, r4.Text)
	}
}

// TestBatchedEqualsAlone decodes several sequences in one batch and compares each with the
// same request decoded alone. The model's output projection is scaled so the top token wins
// by a wide margin: batched kernels round differently, so exact greedy equality is only a fair
// test when margins dwarf rounding (see inference.md).
func TestBatchedEqualsAlone(t *testing.T) {
	spec, _ := models.ShapeSpec("tiny")
	spec.OutputScale = 50
	p := filepath.Join(t.TempDir(), "margin.gguf")
	if err := models.Generate(p, spec); err != nil {
		t.Fatal(err)
	}
	open := func(slots int) *Engine {
		e, err := Open(p, Options{Slots: slots, ContextSize: 256, Threads: 1, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	prompts := []string{"cooperate or defect", "the payoff matrix is", "Nash equilibrium of the game", "mixed strategies"}
	alone := open(1)
	want := make([]string, len(prompts))
	for i, pr := range prompts {
		r, err := alone.Generate(context.Background(), inference.Request{Prompt: pr, MaxTokens: 24}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = fmt.Sprint(r.Tokens)
	}
	alone.Close()
	batched := open(len(prompts))
	defer batched.Close()
	batched.sched.gather = len(prompts) // all four share every batch from the first step
	var wg sync.WaitGroup
	got := make([]string, len(prompts))
	for i, pr := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := batched.Generate(context.Background(), inference.Request{Prompt: pr, MaxTokens: 24}, nil)
			if err != nil {
				t.Error(err)
			}
			got[i] = fmt.Sprint(r.Tokens)
		}()
	}
	wg.Wait()
	if batched.sched.maxSeqsInBatch < len(prompts) {
		t.Errorf("at most %d sequences shared a batch; the test did not batch", batched.sched.maxSeqsInBatch)
	}
	for i := range prompts {
		if got[i] != want[i] {
			t.Errorf("prompt %q: batched %s, alone %s", prompts[i], got[i], want[i])
		}
	}
}

func TestCancelDuringPrompt(t *testing.T) {
	e := openTiny(t, Options{ContextSize: 2048, BatchSize: 2048})
	defer e.Close()
	long := strings.Repeat("best responds; ", 100)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	done := make(chan error)
	go func() {
		_, err := e.Generate(ctx, inference.Request{Prompt: long, MaxTokens: 5}, func(inference.Token) error { calls++; return nil })
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	// The engine still works, and the aborted prompt left nothing inconsistent in the cache.
	r1, err := e.Generate(context.Background(), inference.Request{Prompt: "short prompt", MaxTokens: 6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh := openTiny(t, Options{ContextSize: 2048, BatchSize: 2048})
	defer fresh.Close()
	r2, _ := fresh.Generate(context.Background(), inference.Request{Prompt: "short prompt", MaxTokens: 6}, nil)
	if r1.Text != r2.Text {
		t.Errorf("after an aborted prompt: %q, fresh engine: %q", r1.Text, r2.Text)
	}
}

func TestCloseWhileGenerating(t *testing.T) {
	e := openTiny(t, Options{Slots: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	started := make(chan struct{}, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.Generate(context.Background(), inference.Request{Prompt: fmt.Sprint("game ", i), Grammar: `root ::= [a-z]{400,}`, Sampling: inference.Sampling{Temperature: 1, Seed: uint32(i)}},
				func(inference.Token) error {
					select {
					case started <- struct{}{}:
					default:
					}
					return nil
				})
			errs <- err
		}()
	}
	<-started
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, inference.ErrClosed) {
			t.Errorf("generation interrupted by Close: %v, want nil or ErrClosed", err)
		}
	}
	if _, err := e.Tokenize("x", false); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("Tokenize after Close: %v", err)
	}
}

func TestContextFull(t *testing.T) {
	e := openTiny(t, Options{ContextSize: 256})
	defer e.Close()
	r, err := e.Generate(context.Background(), inference.Request{Prompt: "fill the context", Sampling: inference.Sampling{Temperature: 1, Seed: 9}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StopReason == inference.StopLength && r.PromptTokens+len(r.Tokens) > 256 {
		t.Errorf("%d prompt + %d generated tokens exceed the 256-token context", r.PromptTokens, len(r.Tokens))
	}
}

# nashd build. llama.cpp is compiled by cgo from the Go module github.com/ollama/ollama@v0.17.4
# (see README "Design decisions"). Every target exports the same cgo flags so the Go build cache
# is shared between build, test and bench (a changed flag recompiles llama.cpp: ~3 minutes).

SHELL := /bin/bash
GO ?= go
OLLAMA_MOD := github.com/ollama/ollama
OLLAMA_VERSION := v0.17.4

# PORTABLE=1 builds generic x86-64 kernels (binaries that run on any CPU of the architecture);
# the default tunes ggml's SIMD kernels for this CPU (AVX2/AVX-512 where present).
ifeq ($(PORTABLE),1)
ARCH_FLAGS := -O3
else
ARCH_FLAGS := -O3 -march=native
endif
export CGO_ENABLED := 1
export CGO_CFLAGS := $(ARCH_FLAGS)
export CGO_CXXFLAGS := $(ARCH_FLAGS)

# TAGS=system_llama links a system-wide llama.cpp found with pkg-config instead.
TAGS ?=
GOFLAGS_TAGS := $(if $(TAGS),-tags $(TAGS),)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

BIN := bin
TESTMODEL := models/testdata/gen/tiny.gguf
BENCHMODEL := models/testdata/gen/bench.gguf
# The cgo packages that include llama.h (the binding and the benchmarks' reference loop).
CGO_PATHS := inference/llama/zz_cgo_paths.go inference/llamabench/zz_cgo_paths.go

.PHONY: all build cgo-paths gpu gpu-check oracle test test-short vet fmt check run bench-inference bench-contention bench-solver bench-daemon bench-reasoning clean env help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# cgo finds llama.h through the module directory (never copied into the repo). The path is
# written into an ignored Go file per cgo package so plain `go build/test/vet` work after any
# make target.
cgo-paths: ## write the zz_cgo_paths.go files (include paths of the ollama module)
	@$(GO) mod download $(OLLAMA_MOD)
	@bash scripts/cgo-paths.sh "$$($(GO) list -m -f '{{.Dir}}' $(OLLAMA_MOD))" $(CGO_PATHS)

build: cgo-paths ## build bin/nashd and bin/nash
	$(GO) build $(GOFLAGS_TAGS) -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/nashd ./cmd/nash

# GPU backends are shared libraries built by cmake from the same pinned ggml tree and loaded at
# run time from lib/nashd (see scripts/gpu-build.sh). The build is cached under
# ${XDG_CACHE_HOME:-~/.cache}/nashd/gpu-build (NASHD_GPU_CACHE), keyed by tree, backend, flags and
# the patches in scripts/gpu/patches: a repeated `make gpu` only checks lib/nashd/nashd-gpu.json.
GPU ?= vulkan
gpu: ## build the GPU backend library into lib/nashd (GPU=vulkan, or GPU=cuda where nvcc exists)
	@$(GO) mod download $(OLLAMA_MOD)
	@GPU=$(GPU) OLLAMA_DIR="$$($(GO) list -m -f '{{.Dir}}' $(OLLAMA_MOD))" \
		OLLAMA_TREE="$$($(GO) list -m -f '{{.Path}}@{{.Version}}' $(OLLAMA_MOD))" bash scripts/gpu-build.sh

gpu-check: ## load lib/nashd's backend in a small C program, list devices, check a matmul (llvmpipe: GGML_VK_VISIBLE_DEVICES=0)
	@OLLAMA_DIR="$$($(GO) list -m -f '{{.Dir}}' $(OLLAMA_MOD))" bash scripts/gpu/check.sh

env: ## print the cgo environment (eval "$$(make -s env)")
	@echo export CGO_ENABLED=1 CGO_CFLAGS=\"$(CGO_CFLAGS)\" CGO_CXXFLAGS=\"$(CGO_CXXFLAGS)\"

# lrsnash (Debian package lrslib) is the solver tests' oracle: installed here as root with
# apt-get, otherwise make stops with the command to run. NASHD_SKIP_ORACLE=1 runs the tests
# without it; its tests then skip, and the warning is repeated after the run.
oracle: ## check for lrsnash, the solver tests' oracle (installs lrslib as root)
	@bash scripts/need-lrsnash.sh

SKIP_WARNING := command -v lrsnash >/dev/null || echo "WARNING: NASHD_SKIP_ORACLE=1 and no lrsnash: the cross-checks against the lrsnash oracle were SKIPPED" >&2

test: oracle build ## run every test (installs lrsnash, the solver's oracle, or says how)
	$(GO) test $(GOFLAGS_TAGS) -count=1 -timeout 25m $$($(GO) list ./... | grep -v '/inference/gputest$$')
	GO=$(GO) bash scripts/gpu/test-gpu.sh $(GOFLAGS_TAGS) -count=1 -timeout 15m
	@$(SKIP_WARNING)

test-short: oracle cgo-paths ## quick tests
	$(GO) test $(GOFLAGS_TAGS) -short ./...
	@$(SKIP_WARNING)

vet: cgo-paths ## go vet
	$(GO) vet $(GOFLAGS_TAGS) ./...

fmt: ## gofmt check
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

check: fmt vet test ## everything CI checks

run: build ## the main job: nashd (test model if none configured) answers in GTAlign mode; the solver picks the strategy under pricing.toml, edited live
	bash scripts/run-demo.sh

$(BENCHMODEL): | build
	$(BIN)/nash model gen --shape bench -o $(BENCHMODEL)

bench-inference: build $(BENCHMODEL) ## Go engine vs a C reference loop on the bench model
	bash scripts/bench-inference.sh $(BENCHMODEL)

bench-contention: build $(BENCHMODEL) ## threads 1..cores vs auto, idle and under busy loops (contention_ratio=X, quiet_ratio=Y)
	bash scripts/bench-contention.sh $(BENCHMODEL)

bench-solver: build ## nashd all-equilibria vs lrsnash on random games
	$(GO) test -run '^$$' -bench BenchmarkLemkeHowson100 -benchtime 20x ./solver/bimatrix/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x ./solver/strategic/
	$(GO) run ./solver/bimatrix/cmd/benchlrs

bench-reasoning: build $(BENCHMODEL) ## a GTAlign request vs one unconstrained pass of as many tokens (reasoning_overhead=X)
	$(GO) run $(GOFLAGS_TAGS) ./daemon/bench/benchreason -m $(BENCHMODEL)

.PHONY: bench-gpu
bench-gpu: gpu cgo-paths $(BENCHMODEL) ## CPU vs the GPU backend (make gpu) on the bench model: prompt and generation tok/s, interleaved (BENCH_GPU_ARGS="-reps 9 -cpu-only" ...)
	$(GO) run $(GOFLAGS_TAGS) ./inference/gputest/benchgpu -m $(BENCHMODEL) $(BENCH_GPU_ARGS)

bench-daemon: build $(BENCHMODEL) ## concurrent clients over the socket
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchtime 1x -timeout 30m ./daemon/bench/

clean:
	rm -rf $(BIN) $(CGO_PATHS)

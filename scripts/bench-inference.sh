#!/usr/bin/env bash
# bench-inference.sh MODEL: nashd's engine against a minimal C reference loop over the same
# libllama (inference/llamabench/refloop.c), same model, threads and prompt token ids, in
# engine/reference pairs run back to back. Prints tokens/s for both, the memory-bandwidth
# bound, grammar-constrained vs unconstrained time per token, a thread sweep, and ends with
# "generation_ratio=X min=A max=B pairs=N" and the same for prompt_ratio (engine ÷ reference,
# the median of the pairs' ratios and their range).
# Environment: THREADS (default: physical cores), REPS (pairs, 7), GEN (64), PROMPT (128),
# SWEEP (thread counts, default "1,2"; empty to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: scripts/bench-inference.sh MODEL}"
[[ -f "$model" ]] || { echo "bench-inference: $model not found (make $model)" >&2; exit 1; }
# The Makefile's cgo flags, so the cached llama.cpp build is reused (make exports them already).
eval "$(make -s env)"
make -s cgo-paths
mkdir -p bin
go build -o bin/benchinfer ./inference/engine/benchinfer
args=(-m "$model" -reps "${REPS:-7}" -gen "${GEN:-64}" -prompt "${PROMPT:-128}" -thread-sweep "${SWEEP-1,2}")
[[ -n "${THREADS:-}" ]] && args+=(-threads "$THREADS")
exec bin/benchinfer "${args[@]}"

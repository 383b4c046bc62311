#!/usr/bin/env bash
# bench-contention.sh BENCH_MODEL: prompt and generation tokens/s of nashd's engine with 1, 2,
# … physical-cores threads and with the adaptive count ("auto"), on the tiny model and the
# bench model, first on the machine as it is ("quiet"), then under a bounded load: one
# busy-loop process per CPU, started and stopped by the benchmark (inference/engine/
# benchcontention) around its load phase, at most MAX_LOAD in all. The busy loops also die
# with the benchmark (Linux parent-death signal), stop on their own after MAX_LOAD, and the
# trap below stops the benchmark, and so them, on any exit of this script.
# Prints the table, then "contention_ratio=X" (auto under load ÷ the best fixed count under
# load; target ≥ 0.9) and "quiet_ratio=Y" (the same without the load; target ≥ 0.97).
# Environment: REPS (3), PROMPT (64), GEN (32), MAX_LOAD (4m), THREADS (default 1..cores,auto),
# MODELS (default "tiny,BENCH_MODEL"), RUN_LIMIT (20s: a collapsed request is cut off).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: scripts/bench-contention.sh BENCH_MODEL}"
[[ -f "$model" ]] || { echo "bench-contention: $model not found (make $model)" >&2; exit 1; }
# The Makefile's cgo flags, so the cached llama.cpp build is reused (make exports them already).
eval "$(make -s env)"
make -s cgo-paths
mkdir -p bin
go build -o bin/benchcontention ./inference/engine/benchcontention
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
args=(-models "${MODELS:-tiny,$model}" -reps "${REPS:-3}" -prompt "${PROMPT:-64}" -gen "${GEN:-32}"
	-max-load "${MAX_LOAD:-4m}" -run-limit "${RUN_LIMIT:-20s}")
[[ -n "${THREADS:-}" ]] && args+=(-threads "$THREADS")
pid=
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bin/benchcontention "${args[@]}" &
pid=$!
status=0
wait "$pid" || status=$?
pid=
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
exit "$status"

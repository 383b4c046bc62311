#!/usr/bin/env bash
# bench-contention.sh BENCH_MODEL: prompt and generation tokens/s of nashd's engine with 1, 2,
# … physical-cores threads and with the adaptive count ("auto"), on the tiny model and the
# bench model, first on the machine as it is ("quiet"), then under a bounded load: one
# busy-loop process per CPU, started and stopped by the benchmark (inference/engine/
# benchcontention) around its load phase, at most MAX_LOAD in all. The busy loops also die
# with the benchmark (Linux parent-death signal), stop on their own after MAX_LOAD, and the
# trap below stops the benchmark, and so them, on any exit of this script.
# Prints the table (medians of the repetitions, with their range, and pooled throughput: all
# tokens ÷ all time), the ratios per model and metric against the best fixed count (the one
# configuration whose turn of PROMPT + GEN tokens is the shortest, as a user tuning threads
# would set it; of the medians; per turn against its run just before or after; the share of
# auto's steps at its threads; pooled; against the best count of that metric alone), how much
# CPU other programs used during each phase (a "quiet" phase on a busy machine is not quiet),
# then "contention_ratio=X" (auto under load ÷ the best fixed count under load; target ≥ 0.9)
# and "quiet_ratio=Y" (the same without the load; target ≥ 0.97), each also as "..._pooled="
# and "..._per_metric=" (against the best count of each metric separately).
# Then, unless TRACE=0, it records TRACE of single decode steps per model with each fixed count
# in quick alternation and replays them through the fixed counts and the adaptive controller
# (benchcontention -record/-replay): every policy meets the same moments of the machine, so
# these ratios ("replay auto ÷ best fixed") do not depend on what other programs did between
# the benchmark's turns.
# Environment: REPS (12: every order of 1, 2, auto twice), PROMPT (64), GEN (32), MAX_LOAD (6m), THREADS (default 1..cores,auto;
# "G/B" is a fixed configuration of G generation and B prompt threads, as threads and batch_threads),
# MIN_TIME (1500ms: the least time of one measurement; fast models repeat their request),
# SLICE (100ms: the configurations take turns this long, at least a request each, until each
# has its MIN_TIME, so that they meet the same moments of the machine; MIN_TIME or more
# measures each in one go),
# MODELS (default "tiny,BENCH_MODEL"), RUN_LIMIT (20s: a collapsed request is cut off), TRACE
# (30s per model; 0 skips the traces).
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
args=(-models "${MODELS:-tiny,$model}" -reps "${REPS:-12}" -prompt "${PROMPT:-64}" -gen "${GEN:-32}"
	-max-load "${MAX_LOAD:-6m}" -run-limit "${RUN_LIMIT:-20s}" -min-time "${MIN_TIME:-1500ms}" -slice "${SLICE:-100ms}")
[[ -n "${THREADS:-}" ]] && args+=(-threads "$THREADS")
pid=
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "${out:-}" "${trace:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
out=$(mktemp /tmp/bench-contention-out.XXXXXX)
trace=$(mktemp /tmp/bench-contention-trace.XXXXXX)
bin/benchcontention "${args[@]}" >"$out" 2>&1 &
pid=$!
tail -n +1 -f --pid="$pid" "$out"
status=0
wait "$pid" || status=$?
pid=
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
if [[ "$status" == 0 && "${TRACE:-30s}" != 0 ]]; then
	echo
	echo "step traces: ${TRACE:-30s} per model, the fixed counts in alternation (load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown))"
	targs=(-models "${MODELS:-tiny,$model}" -prompt "${PROMPT:-64}" -gen "${GEN:-32}" -record "$trace" -record-time "${TRACE:-30s}")
	[[ -n "${THREADS:-}" ]] && targs+=(-threads "$THREADS")
	bin/benchcontention "${targs[@]}" &
	pid=$!
	wait "$pid" || status=$?
	pid=
	if [[ "$status" == 0 ]]; then
		bin/benchcontention -replay "$trace" | tee -a "$out" || status=$?
	fi
fi
echo
echo "summary (the benchmark's ratios; the replayed traces' where recorded):"
grep -E '^(contention_ratio|quiet_ratio)|^replay auto' "$out" || true
exit "$status"

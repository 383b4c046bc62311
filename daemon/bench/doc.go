// Package bench holds nashd's daemon benchmarks (`make bench-daemon`): generation throughput
// through the Unix socket with 1, 2 and 4 parallel slots against the bare engine measured in
// the same run, the overhead of a remote model (a nashd serving another nashd's model against
// that nashd directly), experiment throughput against a remote model (`nash experiment games
// --parallel 1, 2, 4` through a nashd whose model lives on another, on the tiny test model),
// and reload latencies (models.toml edit → new model serving, pricing.toml edit → first
// request using it). Most need models/testdata/gen/bench.gguf (`nash model gen --shape
// bench`, which the Makefile target runs). Environment: NASHD_BENCH_MODEL overrides the
// model, NASHD_BENCH_EXPERIMENT_MODEL the experiment benchmark's, NASHD_BENCH_THREADS the
// engine threads (default: one per physical core; on a busy shared machine 1 gives steadier
// figures).
package bench

// Package llamabench holds the measuring instruments of nashd's inference benchmarks
// (scripts/bench-inference.sh, daemon/bench): a reference generation loop in C and a memory
// bandwidth probe. It is a tool for benchmarks and tests, never linked into nashd.
//
// # Reference loop
//
// refloop.c is the plainest C loop over llama.h, the call sequence of llama.cpp's
// examples/simple: load the model, decode the prompt in one batch, then sample greedily and
// decode one token at a time. It calls libllama directly (not through package llama's
// exception-catching shim) and links exactly the same libllama build as package llama, which
// this package imports. [ReferenceRun] runs it on given prompt tokens, so a benchmark can
// feed it exactly the tokens the engine decodes; [ReferenceBatched] decodes several sequences
// per step, the ceiling of any scheduler over this libllama.
//
// # Bandwidth
//
// Generation reads every weight once per token, so memory read bandwidth divided by the
// model's size bounds tokens per second. [ReadBandwidth] measures it with a C loop compiled
// like ggml's kernels.
package llamabench

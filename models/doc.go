// Package models writes, inspects and validates GGUF model files.
//
// # Self-made models
//
// No weights can be downloaded where nashd is developed and tested, so the package writes
// llama-architecture GGUF files with seeded random weights ([Generate]): a "tiny" model of a
// few hundred kilobytes for tests and a "bench" model with the shape of Qwen2.5-0.5B for
// throughput measurements ([ShapeSpec]). Compute and memory traffic of the bench model equal
// those of the real model, so tokens/s figures are honest; the text it produces is
// meaningless. The same seed always gives the same file, byte for byte.
//
// Two vocabularies are available ([Spec.Vocab]):
//   - "bytes": a SentencePiece-style ("llama") vocabulary with the 256 byte-fallback tokens
//     <0x00>..<0xFF> (so any text tokenizes), the ChatML markers <|im_start|> and <|im_end|>
//     as control tokens, and filler pieces up to [Spec.VocabSize];
//   - "llama3": Llama 3.2's real 128,256-token byte-level BPE vocabulary and merges, read at
//     run time from the Ollama module's tokenizer test data (never copied into this
//     repository), with Llama 3's special tokens and chat template.
//
// The weights are approximately normal (std [Spec.WeightStd], default 0.02; norm weights 1)
// and finite. Random models have tiny logit margins; [Spec.OutputScale] (e.g. 50) widens
// them so greedy decoding is stable across batch sizes, for tests that compare batched and
// single-sequence outputs. [GenerateQuantized] writes a quantized model (Q4_K_M, Q8_0, ...)
// through a [Quantizer] such as the inference binding's llama.Quantize; this package itself
// has no cgo. The llama3 vocabulary is looked up with `go list -m`, then GOMODCACHE; the
// NASHD_LLAMA3_VOCAB environment variable may name the folder instead.
//
// # Reading and validating
//
// [Validate] is a strict structural check written for this package (it does not trust a
// third-party parser with hostile input): magic, version, counts, key/value and tensor-info
// encodings, tensor types and shapes, alignment, contiguous tensor data inside the file, and
// for architecture "llama" the keys and tensors llama.cpp requires. Run it before llama.cpp
// sees a file: a truncated or corrupt file becomes an error naming the file and the problem.
// [ReadInfo] summarises a file's metadata (through github.com/gpustack/gguf-parser-go after
// validation) and [EstimateMemory] estimates the memory a loaded model needs;
// [EstimateOffload] splits it between the CPU and a GPU device for a number of offloaded
// layers, and [FitGPULayers] finds the most layers that fit a device's memory (gpu_layers
// = "auto").
//
// The GGUF format is specified in ggml's docs/gguf.md
// (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md); the checks mirror
// gguf_init_from_file_impl in ggml/src/gguf.cpp and llama.cpp's llama-model-loader.
package models

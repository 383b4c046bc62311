package llama

import (
	"os"
	"path/filepath"
)

// SetVulkanEnv sets, where they are unset, the environment variables of the Vulkan drivers
// that nashd relies on. [LoadBackends] calls it before loading a library: the drivers read them
// when ggml-vulkan creates its Vulkan instance, once per process.
//
//   - LP_NUM_THREADS=0, when GGML_VK_VISIBLE_DEVICES is set: Mesa's software Vulkan device
//     (lavapipe, "llvmpipe") computes wrong results when it runs the workgroups of one compute
//     dispatch on several threads (Mesa 22.3: a whole 32×32 output tile of one matrix-multiply
//     workgroup comes out wrong, from identical inputs, in about half of the multi-sequence
//     prompt batches; more threads, more errors). With 0 it runs them on its queue thread,
//     exactly, and the GPU tests ran 1.5 times faster than with one worker thread (77-96 s
//     against 103-171 s for the conformance suite under load). ggml-vulkan only uses this
//     CPU-type device when GGML_VK_VISIBLE_DEVICES lists it, and no other driver reads
//     LP_NUM_THREADS, so real GPUs are unaffected.
//   - MESA_SHADER_CACHE_DIR: Mesa's compiled-shader cache, under the user's cache directory
//     (os.UserCacheDir()/nashd/mesa-shader-cache), so a daemon without the usual home keeps
//     it between runs: a cold cache costs tens of seconds of shader compilation on the
//     software device.
//
// It does not set GGML_VK_VISIBLE_DEVICES (a comma-separated list of Vulkan device indices):
// ggml-vulkan ignores CPU-type devices unless that variable lists them, and setting it would
// hide every other device. On a machine without a GPU, GGML_VK_VISIBLE_DEVICES=0 selects the
// software device.
func SetVulkanEnv() {
	setIfUnset := func(k, v string) {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, v)
		}
	}
	if os.Getenv("GGML_VK_VISIBLE_DEVICES") != "" {
		setIfUnset("LP_NUM_THREADS", "0")
	}
	if d, err := os.UserCacheDir(); err == nil {
		setIfUnset("MESA_SHADER_CACHE_DIR", filepath.Join(d, "nashd", "mesa-shader-cache"))
	}
}

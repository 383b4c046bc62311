package llama

// #include <llama.h>
import "C"

// SystemInfo returns llama.cpp's system information line (SIMD features, backends).
func SystemInfo() string { return C.GoString(C.llama_print_system_info()) }

// BuildInfo names the llama.cpp source nashd was built from.
func BuildInfo() string { return buildInfo }

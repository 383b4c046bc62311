package llama

// #include <stdint.h>
// #include <stdbool.h>
import "C"

import "runtime/cgo"

//export nashGoLog
func nashGoLog(level C.int, text *C.char) {
	handleLog(int(level), C.GoString(text))
}

//export nashGoProgress
func nashGoProgress(h C.uintptr_t, p C.float) C.bool {
	f, ok := cgo.Handle(h).Value().(func(float32) bool)
	if !ok || f == nil {
		return true
	}
	return C.bool(f(float32(p)))
}

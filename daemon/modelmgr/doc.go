// Package modelmgr owns the loaded model: it loads the configured default in the background,
// admits requests against a bounded queue, hands out reference-counted leases, schedules
// generations onto the model's parallel slots in FIFO order, and swaps models without
// failing a request: new requests go to the new model once it is ready, in-flight ones
// finish on the old one, which is closed when its last lease is released.
//
// The engine is reached through [inference.Generator] and a [Loader] function, so the
// manager does not depend on cgo; cmd/nashd injects the llama.cpp engine through
// [github.com/nashd/nashd/daemon/modelload.Load].
package modelmgr

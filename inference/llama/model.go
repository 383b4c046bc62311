package llama

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"runtime/cgo"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// ModelParams configures [LoadModel]. The zero value loads the whole model on the CPU with mmap.
type ModelParams struct {
	// GPULayers is the number of layers to offload to the GPU devices of the backends loaded
	// by [LoadBackends]: the last GPULayers repeating layers, and the output layer too when
	// GPULayers exceeds [Model.NLayer] (llama.cpp's convention: NLayer+1 means everything).
	// 0 keeps the model on the CPU even with a backend loaded (no device, no op offload).
	// Without a GPU device it is ignored: the model loads on the CPU and
	// [Model.GPULayers] reports 0.
	GPULayers int
	// MainGPU chooses the devices of an offloaded model: N >= 0 puts every offloaded layer
	// on GPU device N ([Device.Index]; as llama.cpp's split mode "none"), a negative value
	// spreads them over every GPU device (split mode "layer", in proportion to their free
	// memory). The zero value is the first GPU. Ignored when GPULayers is 0.
	MainGPU   int
	NoMmap    bool // read the file into memory instead of mapping it
	VocabOnly bool // load only the vocabulary (tokenization without weights)
	// Progress, if set, is called with the load progress in [0, 1]; returning false aborts.
	Progress func(float32) bool
}

// Model is a loaded llama.cpp model (weights and vocabulary). Its methods are safe for
// concurrent use; Close must not race with them. After Close, the methods that return an
// error return [ErrClosed] and the others return zero values ("", 0, false, -1 for tokens).
type Model struct {
	mu    sync.Mutex // guards Close
	p     *C.struct_llama_model
	vocab *C.struct_llama_vocab
	index *C.nash_vocab_index // tokens by first byte, for grammar sampling; nil if vocab-only
	path  string
	// gpuLayers is the number of layers llama.cpp placed on GPU devices, gpuDevs their names.
	gpuLayers int
	gpuDevs   []string
}

// LoadModel loads the GGUF model at path. llama.cpp trusts the file's structure, so callers
// should validate untrusted files first (package models does).
func LoadModel(path string, p ModelParams) (*Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("llama: load model: %w", err)
	}
	if p.GPULayers < 0 {
		return nil, errorf("load model "+path, nil, "negative GPU layer count %d", p.GPULayers)
	}
	Init()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var h cgo.Handle
	if p.Progress != nil {
		h = cgo.NewHandle(p.Progress)
		defer h.Delete()
	}
	var cerr, cnames *C.char
	// The device registry must not change while llama.cpp picks devices and allocates.
	registry.RLock()
	mark := logMark()
	m := C.nash_model_load(cpath, C.int32_t(min(p.GPULayers, math.MaxInt32)), C.int32_t(max(min(p.MainGPU, math.MaxInt32), -1)),
		C.bool(!p.NoMmap), C.bool(p.VocabOnly), C.uintptr_t(h), &cnames, &cerr)
	registry.RUnlock()
	var devs []string
	if cnames != nil {
		devs = strings.Split(strings.TrimSuffix(C.GoString(cnames), "\n"), "\n")
		C.free(unsafe.Pointer(cnames))
	}
	if m == nil {
		return nil, cError("load model "+path, cerr, nil, mark)
	}
	ix := C.nash_vocab_index_new(m, &cerr)
	if ix == nil {
		C.llama_model_free(m)
		return nil, cError("index the vocabulary of "+path, cerr, nil, mark)
	}
	model := &Model{p: m, vocab: C.llama_model_get_vocab(m), index: ix, path: path}
	if len(devs) > 0 {
		model.gpuLayers = min(p.GPULayers, model.NLayer()+1)
		model.gpuDevs = devs
	}
	return model, nil
}

// GPULayers returns the number of layers on GPU devices (0: the model runs on the CPU); it
// is NLayer()+1 when the output layer is offloaded too.
func (m *Model) GPULayers() int {
	if m.closed() {
		return 0
	}
	return m.gpuLayers
}

// GPUDevices returns the names of the devices holding the model's offloaded layers ("Vulkan0").
func (m *Model) GPUDevices() []string {
	if m.closed() {
		return nil
	}
	return slices.Clone(m.gpuDevs)
}

// Close frees the model. It is safe to call more than once; contexts created from the model
// must be closed first.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p != nil {
		C.nash_vocab_index_free(m.index)
		C.llama_model_free(m.p)
		m.p, m.vocab, m.index = nil, nil, nil
	}
	return nil
}

// Path returns the file the model was loaded from.
func (m *Model) Path() string { return m.path }

// closed reports whether Close has run (Close must not race with the other methods).
func (m *Model) closed() bool { return m.p == nil }

// Desc returns llama.cpp's description, e.g. "llama 0.5B Q4_K - Medium".
func (m *Model) Desc() string {
	if m.closed() {
		return ""
	}
	var buf [256]C.char
	n := C.llama_model_desc(m.p, &buf[0], C.size_t(len(buf)))
	if n < 0 {
		return ""
	}
	return C.GoString(&buf[0])
}

// Meta returns the string form of a scalar GGUF metadata value.
func (m *Model) Meta(key string) (string, bool) {
	if m.closed() {
		return "", false
	}
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	buf := make([]byte, 512)
	for {
		n := C.llama_model_meta_val_str(m.p, ck, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		if n < 0 {
			return "", false
		}
		if int(n) < len(buf) {
			return string(buf[:n]), true
		}
		buf = make([]byte, int(n)+1)
	}
}

// Size returns the total size of the model's tensors in bytes.
func (m *Model) Size() uint64 {
	if m.closed() {
		return 0
	}
	return uint64(C.llama_model_size(m.p))
}

// NParams returns the number of parameters.
func (m *Model) NParams() uint64 {
	if m.closed() {
		return 0
	}
	return uint64(C.llama_model_n_params(m.p))
}

// NCtxTrain returns the context length the model was trained with.
func (m *Model) NCtxTrain() int {
	if m.closed() {
		return 0
	}
	return int(C.llama_model_n_ctx_train(m.p))
}

// NEmbd returns the embedding width.
func (m *Model) NEmbd() int {
	if m.closed() {
		return 0
	}
	return int(C.llama_model_n_embd(m.p))
}

// NLayer returns the number of layers.
func (m *Model) NLayer() int {
	if m.closed() {
		return 0
	}
	return int(C.llama_model_n_layer(m.p))
}

// HasEncoder reports whether the model needs llama_encode (encoder-decoder models); nashd
// supports decoder-only models.
func (m *Model) HasEncoder() bool { return !m.closed() && bool(C.llama_model_has_encoder(m.p)) }

// ChatTemplate returns the model's default chat template ("" if it has none).
func (m *Model) ChatTemplate() string {
	if m.closed() {
		return ""
	}
	t := C.llama_model_chat_template(m.p, nil)
	if t == nil {
		return ""
	}
	return C.GoString(t)
}

// NVocab returns the vocabulary size.
func (m *Model) NVocab() int {
	if m.closed() {
		return 0
	}
	return int(C.llama_vocab_n_tokens(m.vocab))
}

// BOS returns the beginning-of-sequence token (-1 if none).
func (m *Model) BOS() int32 {
	if m.closed() {
		return -1
	}
	return int32(C.llama_vocab_bos(m.vocab))
}

// EOS returns the end-of-sequence token (-1 if none).
func (m *Model) EOS() int32 {
	if m.closed() {
		return -1
	}
	return int32(C.llama_vocab_eos(m.vocab))
}

// EOT returns the end-of-turn token (-1 if none).
func (m *Model) EOT() int32 {
	if m.closed() {
		return -1
	}
	return int32(C.llama_vocab_eot(m.vocab))
}

// IsEOG reports whether tok ends generation (EOS, EOT and similar).
func (m *Model) IsEOG(tok int32) bool {
	return !m.closed() && bool(C.llama_vocab_is_eog(m.vocab, C.llama_token(tok)))
}

// AddBOS reports whether the vocabulary wants BOS prepended when adding special tokens.
func (m *Model) AddBOS() bool { return !m.closed() && bool(C.llama_vocab_get_add_bos(m.vocab)) }

// ValidToken reports whether tok is a token id of this vocabulary.
func (m *Model) ValidToken(tok int32) bool { return tok >= 0 && int(tok) < m.NVocab() }

// Tokenize converts text to tokens. addSpecial adds BOS/EOS as the vocabulary prescribes;
// parseSpecial lets special-token text (e.g. "<|im_start|>") map to the special token.
func (m *Model) Tokenize(text string, addSpecial, parseSpecial bool) ([]int32, error) {
	if m.closed() {
		return nil, errorf("tokenize", ErrClosed, "model is closed")
	}
	if len(text) > 1<<30 {
		return nil, errorf("tokenize", nil, "text of %d bytes is too long", len(text))
	}
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	n := len(text) + 8
	for range 3 {
		buf := make([]int32, n)
		var cerr *C.char
		mark := logMark()
		r := C.nash_tokenize(m.vocab, ctext, C.int32_t(len(text)), (*C.llama_token)(unsafe.Pointer(&buf[0])), C.int32_t(n), C.bool(addSpecial), C.bool(parseSpecial), &cerr)
		switch {
		case r == C.INT32_MIN:
			return nil, cError("tokenize", cerr, nil, mark)
		case r >= 0:
			return buf[:r], nil
		}
		n = int(-r)
	}
	return nil, errorf("tokenize", nil, "token count kept changing")
}

// TokenToPiece appends the text of tok to buf. special renders special tokens as their text
// (otherwise they render as nothing).
func (m *Model) TokenToPiece(buf []byte, tok int32, special bool) ([]byte, error) {
	if m.closed() {
		return buf, errorf("token to piece", ErrClosed, "model is closed")
	}
	if !m.ValidToken(tok) {
		return buf, errorf("token to piece", nil, "token %d outside the vocabulary [0, %d)", tok, m.NVocab())
	}
	var tmp [64]byte
	p := tmp[:]
	for range 2 {
		var cerr *C.char
		mark := logMark()
		r := C.nash_token_to_piece(m.vocab, C.llama_token(tok), (*C.char)(unsafe.Pointer(&p[0])), C.int32_t(len(p)), C.bool(special), &cerr)
		switch {
		case r == C.INT32_MIN:
			return buf, cError("token to piece", cerr, nil, mark)
		case r >= 0:
			return append(buf, p[:r]...), nil
		}
		p = make([]byte, -r)
	}
	return buf, errorf("token to piece", nil, "piece size kept changing")
}

// Detokenize converts tokens back to text. removeSpecial drops a leading BOS / trailing EOS
// where the vocabulary adds them; unparseSpecial renders special tokens as text.
func (m *Model) Detokenize(toks []int32, removeSpecial, unparseSpecial bool) (string, error) {
	if m.closed() {
		return "", errorf("detokenize", ErrClosed, "model is closed")
	}
	for _, t := range toks {
		if !m.ValidToken(t) {
			return "", errorf("detokenize", nil, "token %d outside the vocabulary [0, %d)", t, m.NVocab())
		}
	}
	if len(toks) == 0 {
		return "", nil
	}
	ctoks := (*C.llama_token)(C.malloc(C.size_t(len(toks)) * 4))
	defer C.free(unsafe.Pointer(ctoks))
	copy(unsafe.Slice((*int32)(unsafe.Pointer(ctoks)), len(toks)), toks)
	n := len(toks)*8 + 16
	for range 3 {
		buf := (*C.char)(C.malloc(C.size_t(n)))
		var cerr *C.char
		mark := logMark()
		r := C.nash_detokenize(m.vocab, ctoks, C.int32_t(len(toks)), buf, C.int32_t(n), C.bool(removeSpecial), C.bool(unparseSpecial), &cerr)
		switch {
		case r == C.INT32_MIN:
			C.free(unsafe.Pointer(buf))
			return "", cError("detokenize", cerr, nil, mark)
		case r >= 0:
			s := C.GoStringN(buf, r)
			C.free(unsafe.Pointer(buf))
			return s, nil
		}
		C.free(unsafe.Pointer(buf))
		n = int(-r)
	}
	return "", errorf("detokenize", nil, "text size kept changing")
}

// ChatMessage is one turn for [ApplyChatTemplate].
type ChatMessage struct{ Role, Content string }

// ApplyChatTemplate renders msgs with the chat template tmpl (a Jinja-like template that
// llama.cpp recognizes, or the name of a built-in template such as "chatml" or "llama3").
// addAssistant opens the assistant's turn at the end.
func ApplyChatTemplate(tmpl string, msgs []ChatMessage, addAssistant bool) (string, error) {
	Init()
	ctmpl := C.CString(tmpl)
	defer C.free(unsafe.Pointer(ctmpl))
	n := len(msgs)
	cmsgs := (*C.struct_llama_chat_message)(C.calloc(C.size_t(max(n, 1)), C.size_t(unsafe.Sizeof(C.struct_llama_chat_message{}))))
	defer C.free(unsafe.Pointer(cmsgs))
	arr := unsafe.Slice(cmsgs, max(n, 1))
	total := len(tmpl)
	for i, msg := range msgs {
		arr[i].role = C.CString(msg.Role)
		arr[i].content = C.CString(msg.Content)
		total += len(msg.Role) + len(msg.Content)
	}
	defer func() {
		for i := range n {
			C.free(unsafe.Pointer(arr[i].role))
			C.free(unsafe.Pointer(arr[i].content))
		}
	}()
	cap := 2*total + 256
	for range 3 {
		buf := (*C.char)(C.malloc(C.size_t(cap)))
		var cerr *C.char
		mark := logMark()
		r := C.nash_chat_apply_template(ctmpl, cmsgs, C.size_t(n), C.bool(addAssistant), buf, C.int32_t(cap), &cerr)
		if r == C.INT32_MIN {
			C.free(unsafe.Pointer(buf))
			return "", cError("apply chat template", cerr, nil, mark)
		}
		if int(r) <= cap {
			s := C.GoStringN(buf, r)
			C.free(unsafe.Pointer(buf))
			return s, nil
		}
		C.free(unsafe.Pointer(buf))
		cap = int(r) + 1
	}
	return "", errorf("apply chat template", nil, "output size kept changing")
}

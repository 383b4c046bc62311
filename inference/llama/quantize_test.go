package llama

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuantize(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "tiny.gguf")
	writeTinyModel(t, in, defaultTinySpec())
	st, _ := os.Stat(in)
	for _, ft := range []string{"Q8_0", "f16", "Q4_0"} {
		out := filepath.Join(dir, ft+".gguf")
		if err := Quantize(in, out, ft, 1); err != nil {
			t.Fatalf("Quantize %s: %v", ft, err)
		}
		qs, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if qs.Size() >= st.Size() {
			t.Errorf("Quantize %s: %d bytes, not smaller than the F32 input's %d", ft, qs.Size(), st.Size())
		}
		m, err := LoadModel(out, ModelParams{})
		if err != nil {
			t.Fatalf("load %s: %v", ft, err)
		}
		if !strings.Contains(strings.ToUpper(m.Desc()), strings.ToUpper(ft)) {
			t.Errorf("%s: model desc %q does not name the type", ft, m.Desc())
		}
		m.Close()
	}
}

func TestQuantizeErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "tiny.gguf")
	writeTinyModel(t, in, defaultTinySpec())
	if err := Quantize(in, filepath.Join(dir, "x.gguf"), "Q9_Z", 1); err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Errorf("unknown ftype: err = %v", err)
	}
	if err := Quantize(filepath.Join(dir, "missing.gguf"), filepath.Join(dir, "x.gguf"), "Q8_0", 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: err = %v", err)
	}
	bad := filepath.Join(dir, "bad.gguf")
	os.WriteFile(bad, []byte("GGUF\x03\x00\x00\x00garbage"), 0o644)
	if err := Quantize(bad, filepath.Join(dir, "x.gguf"), "Q8_0", 1); err == nil {
		t.Error("corrupt input: no error")
	}
}

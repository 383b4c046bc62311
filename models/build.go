package models

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Quantizer converts the GGUF model in into out with weights of type ftype, named as
// llama-quantize names it ("Q4_K_M", "Q8_0", ...). The inference binding's llama.Quantize
// (llama_model_quantize) is the real one; package models stays free of cgo.
type Quantizer func(in, out, ftype string) error

// GenerateQuantized writes the model s describes to path with weights of type quant. "",
// "none", "F32" and "F16" need no quantizer: the weights are written directly in that type
// ("" and "none" keep s.Type). Any other type is produced by writing s to a temporary file
// next to path, converting it with q, validating the result and renaming it into place;
// the temporary files are removed, also on failure.
func GenerateQuantized(path string, s Spec, quant string, q Quantizer) (err error) {
	switch strings.ToUpper(quant) {
	case "", "NONE":
		return Generate(path, s)
	case "F32", "F16":
		s.Type = strings.ToLower(quant)
		return Generate(path, s)
	}
	if q == nil {
		return fmt.Errorf("generate %s: quantization to %s needs a quantizer", path, quant)
	}
	if _, err := s.withDefaults(); err != nil {
		return err
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	src, err := os.CreateTemp(dir, "."+base+".*.src.gguf")
	if err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	src.Close()
	defer os.Remove(src.Name())
	dst, err := os.CreateTemp(dir, "."+base+".*.quant.gguf")
	if err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	dst.Close()
	defer func() {
		if err != nil {
			os.Remove(dst.Name())
		}
	}()
	if err = generate(src.Name(), s, false); err != nil {
		return err
	}
	if err = q(src.Name(), dst.Name(), quant); err != nil {
		return fmt.Errorf("generate %s: quantize to %s: %w", path, quant, err)
	}
	if err = Validate(dst.Name()); err != nil {
		return fmt.Errorf("generate %s: the quantized file is invalid: %w", path, err)
	}
	if err = os.Chmod(dst.Name(), 0o644); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	if err = os.Rename(dst.Name(), path); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	return nil
}

package models_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nashd/nashd/models"
)

func ExampleGenerate() {
	dir, _ := os.MkdirTemp("", "models-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	spec, _ := models.ShapeSpec("tiny")
	spec.Seed = 42
	spec.OutputScale = 50 // large greedy margins, for tests comparing batched and single runs
	if err := models.Generate(path, spec); err != nil {
		fmt.Println(err)
		return
	}
	info, err := models.ReadInfo(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Architecture, info.Quantization, info.Parameters, info.VocabSize, info.Blocks)
	// Output: llama F32 139584 512 2
}

func ExampleValidate() {
	dir, _ := os.MkdirTemp("", "models-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "broken.gguf")
	os.WriteFile(path, []byte("GGUF\x03\x00\x00\x00"), 0o644)

	err := models.Validate(path)
	fmt.Println(errors.Is(err, models.ErrInvalidModel))
	// Output: true
}

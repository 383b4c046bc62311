package pricing

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nashd/nashd/internal/stricttoml"
)

// Load reads and decodes a pricing file with [Decode].
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("pricing: %w", err)
	}
	return Decode(path, b)
}

// Decode decodes pricing.toml strictly, as nashd reads configs/pricing.toml: the file replaces
// the defaults whole (a strategy left out of expected_completion_tokens has no expected length),
// except that payer is "user" and learn_lengths is true when absent. A key that [Config] does
// not define is an error naming file:line, as are syntax and type errors; the config is then
// validated, and a bad value's error names file:line and the field, wrapping [ErrInvalid].
func Decode(file string, data []byte) (Config, error) {
	c := Config{Payer: PayerUser, LearnLengths: true}
	if _, err := stricttoml.Decode(file, data, &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			if line := stricttoml.KeyLine(data, stricttoml.SplitKey(fe.Field)); line > 0 {
				return Config{}, fmt.Errorf("%s:%d: %w", file, line, err)
			}
		}
		return Config{}, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// Version names a pricing file's content as results report it: the file's base name, "@", and
// the first 12 hex digits of the content's SHA-256 ("pricing.toml@3f2a9c0d1e4b"), as nashd
// versions its config files.
func Version(file string, data []byte) string {
	sum := sha256.Sum256(data)
	return filepath.Base(file) + "@" + hex.EncodeToString(sum[:])[:12]
}

package pricing

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
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
	if err := decodeStrict(file, data, &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			if line := keyLine(data, splitKey(fe.Field)); line > 0 {
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

// decodeStrict decodes TOML data from file into v and rejects keys that v does not define,
// reporting "file:line: unknown key k"; syntax and type errors also name file and line. It is
// the house rule of daemon/config (strict.go), which reasoning may not import.
func decodeStrict(file string, data []byte, v any) error {
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(v)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %s", file, pe.Position.Line, pe.Message)
		}
		if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("%s:%s: %s: %s", file, m[1], m[2], m[3])
		}
		return fmt.Errorf("%s: %v", file, err)
	}
	// Report only the outermost unknown keys: an unknown table also lists its children.
	seen := map[string]bool{}
	var msgs []string
	for _, k := range md.Undecoded() {
		s := k.String()
		parent := false
		for i := 1; i < len(k); i++ {
			if seen[toml.Key(k[:i]).String()] {
				parent = true
				break
			}
		}
		seen[s] = true
		if !parent {
			msgs = append(msgs, fmt.Sprintf("%s:%d: unknown key %s", file, keyLine(data, []string(k)), s))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	sort.Strings(msgs)
	return errors.New(strings.Join(msgs, "; "))
}

// typeErr matches BurntSushi/toml's type errors, which carry the line only in the message.
var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*?)"\): (.*)$`)

// keyLine finds the line on which the dotted key k is defined in TOML data, tracking table
// headers. It returns 0 when the key cannot be located (an inline table, say).
func keyLine(data []byte, k []string) int {
	want := strings.Join(k, ".")
	var table []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			h := strings.TrimLeft(s, "[")
			if i := strings.Index(h, "]"); i >= 0 {
				h = h[:i]
			}
			table = splitKey(h)
			if strings.Join(table, ".") == want {
				return line
			}
			continue
		}
		eq := strings.Index(s, "=")
		if eq <= 0 {
			continue
		}
		full := append(append([]string{}, table...), splitKey(s[:eq])...)
		if strings.Join(full, ".") == want {
			return line
		}
	}
	return 0
}

// splitKey splits a dotted TOML key, unquoting quoted parts ("a".b → a, b).
func splitKey(s string) []string {
	var parts []string
	for _, p := range strings.Split(s, ".") {
		p = strings.TrimSpace(p)
		p = strings.Trim(p, `"'`)
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

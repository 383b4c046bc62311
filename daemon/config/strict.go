package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// decodeStrict decodes TOML data from file into v and rejects keys that v does not define,
// reporting "file:line: unknown key k". Type and syntax errors also name file and line.
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
	und := md.Undecoded()
	if len(und) == 0 {
		return nil
	}
	// Report only the outermost unknown keys: an unknown table also lists its children.
	seen := map[string]bool{}
	var msgs []string
	for _, k := range und {
		s := k.String()
		parent := false
		for i := 1; i < len(k); i++ {
			if seen[toml.Key(k[:i]).String()] {
				parent = true
				break
			}
		}
		if parent || seen[s] {
			seen[s] = true
			continue
		}
		seen[s] = true
		msgs = append(msgs, fmt.Sprintf("%s:%d: unknown key %s", file, keyLine(data, k), s))
	}
	sort.Strings(msgs)
	return errors.New(strings.Join(msgs, "; "))
}

// typeErr matches BurntSushi/toml's type errors, which carry the line only in the message.
var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*?)"\): (.*)$`)

// keyLine finds the line on which key k is defined in TOML data, by tracking table headers
// and key/value lines. It returns 0 when the key cannot be located (an inline table, say).
func keyLine(data []byte, k toml.Key) int {
	want := k.String()
	var table []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			h := strings.Trim(s, "[]")
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

// Duration is a time.Duration written in TOML as a Go duration string ("30s", "10m").
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"30s\", \"5m\")", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

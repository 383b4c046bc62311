// Package stricttoml decodes nashd's TOML files the one strict way every config reader uses
// (daemon/config, reasoning/gtalign, reasoning/pricing): a key the target type does not define
// is an error, and every error names the file and line ("pricing.toml:7: unknown key ratee"),
// and the key when the error is about a value ("nashd.toml:9: inference.threads: ...").
package stricttoml

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Decode decodes TOML data read from file into v and rejects keys that v does not define,
// reporting "file:line: unknown key k" (only the outermost unknown key of an unknown table);
// syntax and type errors also name file and line.
func Decode(file string, data []byte, v any) (toml.MetaData, error) {
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(v)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.LastKey != "" {
				// A value's own error (a custom type's UnmarshalTOML) or a syntax error
				// after a key: name the key, as type errors do.
				return md, fmt.Errorf("%s:%d: %s: %s", file, pe.Position.Line, pe.LastKey, pe.Message)
			}
			return md, fmt.Errorf("%s:%d: %s", file, pe.Position.Line, pe.Message)
		}
		if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
			return md, fmt.Errorf("%s:%s: %s: %s", file, m[1], m[2], m[3])
		}
		return md, fmt.Errorf("%s: %v", file, err)
	}
	und := md.Undecoded()
	if len(und) == 0 {
		return md, nil
	}
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
		seen[s] = true
		if parent {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("%s:%d: unknown key %s", file, KeyLine(data, k), s))
	}
	sort.Strings(msgs)
	return md, errors.New(strings.Join(msgs, "; "))
}

// typeErr matches BurntSushi/toml's type errors, which carry the line only in the message.
var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*?)"\): (.*)$`)

// KeyLine finds the line on which key k is defined in TOML data, tracking table and
// array-of-table headers. It returns 0 when the key cannot be located (an inline table, say).
// Keys inside arrays of tables come without their index ("strategies.form"): the first
// matching line after a header of that array is reported.
func KeyLine(data []byte, k toml.Key) int {
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
			h := strings.TrimLeft(s, "[")
			if i := strings.Index(h, "]"); i >= 0 {
				h = h[:i]
			}
			table = SplitKey(h)
			if strings.Join(table, ".") == want {
				return line
			}
			continue
		}
		eq := strings.Index(s, "=")
		if eq <= 0 {
			continue
		}
		full := append(append([]string{}, table...), SplitKey(s[:eq])...)
		if strings.Join(full, ".") == want {
			return line
		}
	}
	return 0
}

// SplitKey splits a dotted TOML key, unquoting quoted parts ("a".b → a, b).
func SplitKey(s string) toml.Key {
	var parts toml.Key
	for _, p := range strings.Split(s, ".") {
		p = strings.TrimSpace(p)
		p = strings.Trim(p, `"'`)
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

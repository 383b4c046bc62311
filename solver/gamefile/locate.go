package gamefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// locateTOML finds the line defining key path (e.g. ["tree", "nodes", "moves"]) in a TOML
// document by a light scan of table headers and "key =" lines. nth selects the occurrence of
// an array-of-tables element ([[tree.nodes]] number nth, 0-based); −1 means any. It returns 0
// when the key is not found (for example inside an inline table).
func locateTOML(data []byte, path []string, nth int) int {
	// A key inside an inline table has no line of its own: fall back to its parents.
	for k := len(path); k > 0; k-- {
		if l := locateKey(data, path[:k], nth); l > 0 {
			return l
		}
	}
	return 0
}

func locateKey(data []byte, path []string, nth int) int {
	lines := strings.Split(string(data), "\n")
	table := ""
	counts := map[string]int{}
	occurrence := -1
	best := 0
	for i, raw := range lines {
		l := strings.TrimSpace(raw)
		if strings.HasPrefix(l, "[") {
			h := strings.Trim(l, "[] \t")
			if c := strings.IndexByte(h, '#'); c >= 0 {
				h = strings.TrimSpace(strings.Trim(h[:c], "[] \t"))
			}
			table = strings.ReplaceAll(h, " ", "")
			if strings.HasPrefix(l, "[[") {
				occurrence = counts[table]
				counts[table]++
			} else {
				occurrence = -1
			}
			// The header itself locates a table key ([tree], [allocation], [[tree.nodes]]).
			if table == strings.Join(path, ".") && (nth < 0 || occurrence == nth || occurrence < 0) && best == 0 {
				best = i + 1
			}
			continue
		}
		key, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		full := key
		if table != "" {
			full = table + "." + key
		}
		if full == strings.Join(path, ".") && (nth < 0 || occurrence == nth || occurrence < 0) {
			return i + 1
		}
		// Fall back to the element's table header line for keys inside [[...]] elements.
		if len(path) > 1 && table == strings.Join(path[:len(path)-1], ".") && (nth < 0 || occurrence == nth) && best == 0 {
			best = i + 1
		}
	}
	return best
}

// locateJSON finds the line of the first occurrence of the last key of path in a JSON text.
func locateJSON(data []byte, path []string) int {
	if len(path) == 0 {
		return 0
	}
	key := `"` + path[len(path)-1] + `"`
	if i := bytes.Index(data, []byte(key)); i >= 0 {
		return lineAt(data, i)
	}
	return 0
}

// jsonErrorLine returns the line of a JSON decoding error.
func jsonErrorLine(data []byte, err error, dec *json.Decoder) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return lineAt(data, int(se.Offset))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return lineAt(data, int(te.Offset))
	}
	if msg := err.Error(); strings.HasPrefix(msg, `json: unknown field "`) {
		name := strings.TrimSuffix(strings.TrimPrefix(msg, `json: unknown field `), "")
		if i := bytes.Index(data, []byte(name)); i >= 0 {
			return lineAt(data, i)
		}
	}
	return lineAt(data, int(dec.InputOffset()))
}

// locateElement returns the line where the element at index path idx (e.g. [1, 0] for
// payoffs[1][0]) of the array value starting on line keyLine begins, by scanning brackets (and
// skipping strings and comments). It returns keyLine when the element is not found.
func locateElement(data []byte, keyLine int, idx []int) int {
	if keyLine <= 0 || len(idx) == 0 {
		return keyLine
	}
	line := 1
	i := 0
	for ; i < len(data) && line < keyLine; i++ {
		if data[i] == '\n' {
			line++
		}
	}
	for ; i < len(data) && data[i] != '='; i++ {
		if data[i] == '\n' {
			return keyLine
		}
	}
	var stack []int    // element counter per open array
	expecting := false // the next significant character starts an element
	for ; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n':
			line++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			continue
		case c == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
			continue
		}
		if expecting && c != ']' {
			expecting = false
			d := len(stack)
			if d == len(idx) && stack[d-1] == idx[d-1] && prefixEqual(stack[:d-1], idx[:d-1]) {
				return line
			}
		}
		switch c {
		case '[':
			stack = append(stack, 0)
			expecting = true
		case ']':
			if len(stack) == 0 {
				return keyLine
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return keyLine
			}
		case ',':
			if len(stack) > 0 {
				stack[len(stack)-1]++
				expecting = true
			}
		case '"', '\'':
			q := c
			for i++; i < len(data) && data[i] != q; i++ {
				if data[i] == '\\' && q == '"' {
					i++
				}
				if i < len(data) && data[i] == '\n' {
					line++
				}
			}
		case '{':
			return keyLine // inline tables: not needed for payoff tables
		}
	}
	return keyLine
}

func prefixEqual(a, b []int) bool {
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

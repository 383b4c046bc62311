package stricttoml

import (
	"errors"
	"strings"
	"testing"
)

// level rejects every value: its errors must name the key.
type level int

func (l *level) UnmarshalTOML(v any) error { return errors.New("not a level") }

type conf struct {
	Rate  float64 `toml:"rate"`
	Level level   `toml:"level"`
	Inner struct {
		Name string `toml:"name"`
	} `toml:"inner"`
	Items []struct {
		ID string `toml:"id"`
	} `toml:"items"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, data, err string // err "" = valid
	}{
		{"valid", "rate = 2\n[inner]\nname = \"x\"\n[[items]]\nid = \"a\"\n", ""},
		{"unknown top key", "rate = 2\nratee = 3\n", "f.toml:2: unknown key ratee"},
		{"unknown table key", "[inner]\nname = \"x\"\nnick = \"y\"\n", "f.toml:3: unknown key inner.nick"},
		{"unknown table reported once", "[other]\na = 1\nb = 2\n", "f.toml:1: unknown key other"},
		{"unknown key in array of tables", "[[items]]\nid = \"a\"\n\n[[items]]\nid = \"b\"\ncolour = 1\n", "f.toml:6: unknown key items.colour"},
		{"syntax", "rate = = 2\n", "f.toml:1:"},
		{"type", "rate = \"fast\"\n", "f.toml:1: rate:"},
		{"value's own error names the key", "rate = 1\n\nlevel = 3\n", "f.toml:3: level: not a level"},
		{"syntax after a key names it", "[inner]\nname = \"x\n", "f.toml:2: inner.name: strings cannot contain newlines"},
		{"two unknown keys in line order", "zz = 1\naa = 2\n", "f.toml:1: unknown key zz; f.toml:2: unknown key aa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c conf
			_, err := Decode("f.toml", []byte(tt.data), &c)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("Decode = %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("Decode = %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestKeyLine(t *testing.T) {
	data := []byte("# comment\na = 1\n\n[t]\n\"quoted\".b = 2\nc = 3\n")
	for key, want := range map[string]int{"a": 2, "t": 4, "t.quoted.b": 5, "t.c": 6, "missing": 0} {
		if got := KeyLine(data, SplitKey(key)); got != want {
			t.Errorf("KeyLine(%s) = %d, want %d", key, got, want)
		}
	}
}

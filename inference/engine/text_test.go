package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextStream(t *testing.T) {
	tests := []struct {
		name   string
		stops  []string
		pieces []string
		want   []string // emitted per piece, then the flush (if not stopped)
		stop   string
	}{
		{"plain", nil, []string{"ab", "c"}, []string{"ab", "c", ""}, ""},
		{"utf8 split", nil, []string{"a\xe6", "\x97", "\xa5b"}, []string{"a", "", "日b", ""}, ""},
		{"utf8 4 bytes", nil, []string{"\xf0\x9f", "\x98\x80"}, []string{"", "😀", ""}, ""},
		{"invalid byte", nil, []string{"a\xffb"}, []string{"a\uFFFDb", ""}, ""},
		{"incomplete at end", nil, []string{"x\xe6\x97"}, []string{"x", "\uFFFD"}, ""},
		{"stop inside", []string{"END"}, []string{"abcENDxyz"}, []string{"abc"}, "END"},
		{"stop split", []string{"END"}, []string{"ab E", "N", "Dz"}, []string{"ab ", "", ""}, "END"},
		{"false alarm", []string{"END"}, []string{"ab E", "NX"}, []string{"ab ", "ENX", ""}, ""},
		{"earliest stop", []string{"yz", "b"}, []string{"abcyz"}, []string{"a"}, "b"},
		{"held then flushed", []string{"END"}, []string{"aEN"}, []string{"a", "EN"}, ""},
	}
	for _, tt := range tests {
		s := textStream{stops: tt.stops}
		var got []string
		stopped := false
		for _, p := range tt.pieces {
			out, done := s.push([]byte(p))
			got = append(got, out)
			if done {
				stopped = true
				break
			}
		}
		if !stopped {
			got = append(got, s.flush())
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || s.stopped != tt.stop {
			t.Errorf("%s: emitted %q stop %q, want %q stop %q", tt.name, got, s.stopped, tt.want, tt.stop)
		}
		if s.emitted.String() != strings.Join(got, "") {
			t.Errorf("%s: emitted %q != concatenation %q", tt.name, s.emitted.String(), strings.Join(got, ""))
		}
	}
}

// FuzzTextStream checks, for any split of any bytes into pieces, that the output is valid
// UTF-8, never contains a stop string, and equals the text before the first stop string.
func FuzzTextStream(f *testing.F) {
	f.Add([]byte("hello END world"), "END", uint8(3))
	f.Add([]byte("日本語のテキスト"), "の", uint8(2))
	f.Add([]byte("\xff\xfe abc"), "c", uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, stop string, step uint8) {
		if stop == "" || !utf8.ValidString(stop) {
			return
		}
		n := int(step%7) + 1
		s := textStream{stops: []string{stop}}
		var out strings.Builder
		stopped := false
		for i := 0; i < len(data) && !stopped; i += n {
			o, done := s.push(data[i:min(len(data), i+n)])
			out.WriteString(o)
			stopped = done
		}
		if !stopped {
			out.WriteString(s.flush())
		}
		got := out.String()
		if !utf8.ValidString(got) {
			t.Fatalf("output %q is not valid UTF-8", got)
		}
		if strings.Contains(got, stop) {
			t.Fatalf("output %q contains stop %q", got, stop)
		}
		full := strings.ToValidUTF8(string(data), "\uFFFD")
		want := full
		if i := strings.Index(full, stop); i >= 0 {
			want = full[:i]
		}
		// Invalid bytes are replaced per piece, so runs of them may split into several
		// U+FFFD where a whole-string conversion gives one; compare on valid input only.
		if utf8.Valid(data) && got != want {
			t.Fatalf("output %q, want %q", got, want)
		}
	})
}

func TestPhysicalCores(t *testing.T) {
	if n := PhysicalCores(); n < 1 {
		t.Errorf("PhysicalCores() = %d", n)
	}
	if n := physicalCores("/nonexistent"); n != 0 {
		t.Errorf("missing cpuinfo: %d", n)
	}
}

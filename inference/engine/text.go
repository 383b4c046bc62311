package engine

import (
	"strings"
	"unicode/utf8"
)

// textStream turns the byte pieces of generated tokens into text that is safe to stream:
//   - UTF-8: an incomplete multi-byte character at the end is held back until its remaining
//     bytes arrive (invalid bytes become U+FFFD);
//   - stop strings: text that could be the beginning of a stop string is held back until it
//     is known not to be one, so no text at or after a stop string is ever emitted.
type textStream struct {
	stops   []string
	raw     []byte          // bytes of an incomplete UTF-8 character
	held    strings.Builder // decoded text not yet emitted
	emitted strings.Builder // everything emitted so far
	stopped string          // the stop string that matched
}

// push adds a token's piece and returns the text that can be emitted now. done reports that
// a stop string matched (the returned text ends right before it).
func (s *textStream) push(piece []byte) (out string, done bool) {
	s.raw = append(s.raw, piece...)
	n := completePrefix(s.raw)
	if n == 0 {
		return "", false
	}
	s.held.WriteString(strings.ToValidUTF8(string(s.raw[:n]), "\uFFFD"))
	s.raw = append(s.raw[:0], s.raw[n:]...)
	h := s.held.String()
	cut, stop := -1, ""
	for _, st := range s.stops {
		if i := strings.Index(h, st); i >= 0 && (cut < 0 || i < cut) {
			cut, stop = i, st
		}
	}
	if cut >= 0 {
		s.stopped = stop
		return s.emit(h[:cut], ""), true
	}
	keep := 0
	for _, st := range s.stops {
		keep = max(keep, overlap(h, st))
	}
	return s.emit(h[:len(h)-keep], h[len(h)-keep:]), false
}

// flush emits everything held back (generation ended without a stop string).
func (s *textStream) flush() string {
	h := s.held.String() + strings.ToValidUTF8(string(s.raw), "\uFFFD")
	s.raw = s.raw[:0]
	return s.emit(h, "")
}

func (s *textStream) emit(out, rest string) string {
	s.held.Reset()
	s.held.WriteString(rest)
	s.emitted.WriteString(out)
	return out
}

// completePrefix returns the length of the longest prefix of b that does not end inside an
// incomplete (but so far valid) UTF-8 sequence.
func completePrefix(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if c := b[i]; c < 0x80 || c >= 0xC0 { // ASCII or a leading byte
			if c >= 0xC0 && !utf8.FullRune(b[i:]) {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}

// overlap returns the length of the longest proper suffix of h that is a prefix of stop.
func overlap(h, stop string) int {
	for k := min(len(h), len(stop)-1); k > 0; k-- {
		if strings.HasSuffix(h, stop[:k]) {
			return k
		}
	}
	return 0
}

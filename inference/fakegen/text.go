package fakegen

import "strings"

// textStream holds back generated text that could be the beginning of a stop string until it
// is known not to be one, so no text at or after a stop string is ever emitted (the engine's
// rule; the fake's tokens are whole code points, so UTF-8 needs no care here).
type textStream struct {
	stops   []string
	held    string          // text not yet emitted
	emitted strings.Builder // everything emitted so far
	stopped string          // the stop string that matched
}

// push adds a token's text and returns the text that can be emitted now. done reports that a
// stop string matched (the returned text ends right before it).
func (s *textStream) push(piece string) (out string, done bool) {
	h := s.held + piece
	cut := -1
	for _, st := range s.stops {
		if i := strings.Index(h, st); i >= 0 && (cut < 0 || i < cut) {
			cut, s.stopped = i, st
		}
	}
	if cut >= 0 {
		return s.emit(h[:cut], ""), true
	}
	keep := 0
	for _, st := range s.stops {
		keep = max(keep, overlap(h, st))
	}
	return s.emit(h[:len(h)-keep], h[len(h)-keep:]), false
}

// flush emits everything held back.
func (s *textStream) flush() string { return s.emit(s.held, "") }

func (s *textStream) emit(out, rest string) string {
	s.held = rest
	s.emitted.WriteString(out)
	return out
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

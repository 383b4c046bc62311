package gtalign

import (
	"testing"

	"github.com/nashd/nashd/reasoning/internal/gbnfmatch"
)

// grammarMatcher decides whether a grammar accepts a whole string (llama.cpp's method, see
// package gbnfmatch); the tests use it to check the generated grammars' languages exactly,
// without a model.
type grammarMatcher struct{ m *gbnfmatch.Matcher }

func newMatcher(t testing.TB, src string) grammarMatcher {
	t.Helper()
	m, err := gbnfmatch.New(src)
	if err != nil {
		t.Fatalf("gbnfmatch.New: %v\n%s", err, src)
	}
	return grammarMatcher{m}
}

func (g grammarMatcher) accepts(s string) bool { return g.m.Accepts(s) }

package llama

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

var fuzzLoaded *Model

var fuzzModel = sync.OnceValues(func() (*Model, error) {
	dir, err := mkTemp()
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "fuzz.gguf")
	writeTinyModel(nopTB{}, p, defaultTinySpec())
	m, err := LoadModel(p, ModelParams{})
	fuzzLoaded = m
	return m, err
})

// FuzzGrammar feeds arbitrary grammars to the sampler and, when one parses, samples a few
// tokens with it: no input may crash the process; an unparsable grammar is ErrInvalidGrammar,
// and a grammar that allows nothing is an error, never an abort.
func FuzzGrammar(f *testing.F) {
	for _, g := range []string{
		`root ::= "a"`, `root ::= ""`, `root ::= root "a"`, `root ::= [^\x00-\U0010FFFF]`,
		`root ::= "x"{0,1000}`, `root ::= ("a" | )*`, `root ::= [a-`, "root ::= \"\xff\xfe\"",
		`root ::= "é" [😀-😂]+`, `a ::= "b"`, `root ::= "\u00"`, `root ::= x x ::= "y"`,
		`root ::= "<|im_end|>"`, "root ::= \"\\x00\"",
	} {
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, g string) {
		m, err := fuzzModel()
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSampler(m, SamplerParams{Grammar: g})
		if err != nil {
			if g != "" && !errors.Is(err, ErrInvalidGrammar) {
				var le *Error
				if !errors.As(err, &le) {
					t.Fatalf("grammar %q: unexpected error type %T: %v", g, err, err)
				}
			}
			return
		}
		defer s.Close()
		c, err := NewContext(m, ContextParams{NCtx: 64, NBatch: 64, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b := NewBatch(8)
		defer b.Free()
		b.Add(m.BOS(), 0, 0, true)
		for pos := 1; pos < 8; pos++ {
			if err := c.Decode(b); err != nil {
				t.Fatal(err)
			}
			tok, err := s.Sample(c, b.Len()-1)
			if err != nil || m.IsEOG(tok) {
				return
			}
			b.Clear()
			b.Add(tok, pos, 0, true)
		}
	})
}

// nopTB lets writeTinyModel run outside a test (for the shared fuzz model).
type nopTB struct{ testing.TB }

func (nopTB) Helper()           {}
func (nopTB) Fatal(args ...any) { panic(args) }

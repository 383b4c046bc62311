package llama

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/inference/gbnf"
	"github.com/nashd/nashd/models"
)

// llamaParses reports whether llama.cpp itself (no Go-side check) accepts grammar g.
func llamaParses(t testing.TB, m *Model, g string) bool {
	t.Helper()
	ok, err := llamaParsesGrammar(m, g)
	if err != nil {
		t.Fatalf("grammar %q: %v", g, err)
	}
	return ok
}

// compareWithLlama checks gbnf.Parse's verdict on g against llama.cpp's parser. llama.cpp is
// only asked where that is safe: the grammar passed the check, or failed it as a syntax error
// (llama.cpp must reject it too). Left recursion, unsafe and limit errors are exactly the
// grammars that crash or stall llama.cpp.
func compareWithLlama(t testing.TB, m *Model, g string) {
	t.Helper()
	if g == "" || strings.IndexByte(g, 0) >= 0 {
		// "" means no grammar to llama.cpp (and to NewSampler); C strings end at NUL, which
		// the check rejects outright.
		return
	}
	_, err := gbnf.Parse(g, gbnf.Limits{})
	var e *gbnf.Error
	switch {
	case err == nil:
		// A <token> must be one token of the vocabulary, which only llama.cpp can tell.
		if !llamaParses(t, m, g) && !strings.Contains(g, "<") {
			t.Errorf("gbnf accepts %q, llama.cpp rejects it", g)
		}
	case !errors.As(err, &e):
		t.Fatalf("grammar %q: error %T %v", g, err, err)
	case errors.Is(err, gbnf.ErrSyntax):
		if llamaParses(t, m, g) {
			t.Errorf("gbnf rejects %q (%v), llama.cpp accepts it", g, err)
		}
	}
}

// TestGrammarCheckAgreesWithLlama compares the Go check with llama.cpp's parser on the test
// grammars, each with one byte deleted at every position (mostly syntax errors).
func TestGrammarCheckAgreesWithLlama(t *testing.T) {
	m := tinyModel(t)
	files, err := filepath.Glob("../gbnf/testdata/valid/*.gbnf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test grammars: %v", err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		if _, err := gbnf.Parse(src, gbnf.Limits{}); err != nil || !llamaParses(t, m, src) {
			t.Errorf("%s does not parse: %v", f, err)
		}
		for i := range len(src) {
			compareWithLlama(t, m, src[:i]+src[i+1:])
			n++
		}
	}
	t.Logf("%d grammars compared", n)
}

// TestGrammarCrashesRejected sends NewSampler grammars that crash or stall llama.cpp when it
// parses them unchecked (measured: SIGSEGV, or minutes of CPU): each is rejected, quickly,
// as an invalid grammar. Without the check this test kills the test binary.
func TestGrammarCrashesRejected(t *testing.T) {
	m := tinyModel(t)
	chain := func(n int, body string) string {
		var b strings.Builder
		b.WriteString("root ::= r0\n")
		for i := range n {
			fmt.Fprintf(&b, "r%d ::= "+body+"\n", i, i+1, i+1)
		}
		fmt.Fprintf(&b, "r%d ::= \"x\"\n", n)
		return b.String()
	}
	for _, tc := range []struct{ name, g string }{
		{"20000 nested groups", "root ::= " + strings.Repeat("(", 20000) + `"a"` + strings.Repeat(")", 20000)},
		{"20000 nested optionals", "root ::= " + strings.Repeat(`("a" `, 20000) + strings.Repeat(")?", 20000)},
		{"100000-rule chain", chain(100000, "r%d%.0d")},
		{"20 ambiguous rules", chain(20, `r%d | r%d "x"`)},
		{"left recursion through a rule that derives empty", "root ::= a root | \"x\"\na ::= b\nb ::= \"\""},
		{"root used, then its only mention redefined away", "a ::= \"x\" root\na ::= \"y\""},
		{"reversed repetition bounds", `root ::= "x"{5,3}`},
		{"repeated repetition", `root ::= "abcdefghij"{2000}{2000}`},
	} {
		start := time.Now()
		_, err := NewSampler(m, SamplerParams{Grammar: tc.g})
		if !errors.Is(err, ErrInvalidGrammar) {
			t.Errorf("%s: err = %v, want ErrInvalidGrammar", tc.name, err)
		}
		t.Logf("%s: %v in %v", tc.name, err, time.Since(start).Round(time.Millisecond))
	}
}

// FuzzGrammarCheck fuzzes the comparison with llama.cpp's parser.
func FuzzGrammarCheck(f *testing.F) {
	files, _ := filepath.Glob("../gbnf/testdata/valid/*.gbnf")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	for _, s := range []string{`root ::= "a"{2,}`, `root ::= [^\]-]`, "root ::= x\nx ::= \"\\u00e9\" | ( \"b\" )+ # c", `root ::= "\xC3"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, g string) {
		m, err := fuzzModel()
		if err != nil {
			t.Fatal(err)
		}
		compareWithLlama(t, m, g)
		if _, err := gbnf.Parse(g, gbnf.Limits{}); err == nil && !strings.Contains(g, "<") {
			compareMatchers(t, m, g, rand.New(rand.NewPCG(uint64(len(g)), 7)), 6)
		}
	})
}

// TestGrammarMatcherAgreesWithLlama walks random token paths through each test grammar and
// compares, at every step and for the whole vocabulary, the tokens the bounded matcher
// (grammar.cpp) allows with those llama.cpp's own grammar sampler allows.
func TestGrammarMatcherAgreesWithLlama(t *testing.T) {
	m := tinyModel(t)
	files, _ := filepath.Glob("../gbnf/testdata/valid/*.gbnf")
	grammars := []string{
		`root ::= "{\"action\": \"" ("DA" | "CQ" | "AQ") "\", \"payoff\": " [0-9] "." [0-9] "}"`,
		`root ::= ("é" | "日本" | "ü") [^a-z\x00-\x1f]{1,3} "✓" .`,
		"root ::= \"a\" s\ns ::= \"a\" s x | \"a\" s y | \"a\" \"a\"{3} \"c\"\nx ::= \"b\"\ny ::= \"b\" | \"\"",
		`root ::= ( [a-c]+ | "ab" | "b"* ) ( " " | "\n" )? <[2]>?`,
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		grammars = append(grammars, string(b))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	steps := 0
	for _, g := range grammars {
		for range 4 {
			steps += compareMatchers(t, m, g, rng, 30)
		}
	}
	t.Logf("%d steps compared over %d grammars", steps, len(grammars))
}

// compareMatchers walks one random token path of up to n steps through grammar g, comparing
// at every step the whole vocabulary's allowed tokens under the bounded matcher and under
// llama.cpp's own grammar sampler. It returns the steps compared.
func compareMatchers(t testing.TB, m *Model, g string, rng *rand.Rand, n int) int {
	t.Helper()
	ours, err := NewSampler(m, SamplerParams{Grammar: g})
	if err != nil {
		t.Fatalf("%q: %v", g, err)
	}
	defer ours.Close()
	theirs, err := NewSampler(m, SamplerParams{Grammar: g, NaiveGrammar: true})
	if err != nil {
		t.Fatalf("%q: %v", g, err)
	}
	defer theirs.Close()
	var path []int32
	for step := range n {
		a, err := ours.grammarMask(m.NVocab())
		if err != nil {
			if errors.Is(err, ErrInvalidGrammar) {
				return step // too ambiguous: llama.cpp would be slow here too
			}
			t.Fatalf("%q: %v", g, err)
		}
		b, err := theirs.grammarMask(m.NVocab())
		if err != nil {
			t.Fatalf("%q: %v", g, err)
		}
		var allowed []int32
		for tok := range a {
			// llama.cpp also allows a token whose text runs into a token element
			// (<[id]>) it then matches by id; its own accept rejects those (see
			// grammar.cpp's rejected), so ours does not allow them.
			if a[tok] != b[tok] && !(b[tok] && strings.Contains(g, "<")) {
				piece, _ := m.TokenToPiece(nil, int32(tok), true)
				t.Fatalf("grammar %q after %q: token %d %q: ours %v, llama.cpp %v", g, pieces(m, path), tok, piece, a[tok], b[tok])
			}
			if a[tok] && !m.IsEOG(int32(tok)) {
				allowed = append(allowed, int32(tok))
			}
		}
		if len(allowed) == 0 {
			return step + 1
		}
		tok := allowed[rng.IntN(len(allowed))]
		path = append(path, tok)
		if err := ours.grammarAccept(tok); err != nil {
			if errors.Is(err, ErrInvalidGrammar) {
				return step + 1
			}
			t.Fatalf("grammar %q after tokens %v (%q): %v", g, path, pieces(m, path), err)
		}
		if err := theirs.grammarAccept(tok); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func pieces(m *Model, toks []int32) []string {
	var out []string
	for _, t := range toks {
		p, _ := m.TokenToPiece(nil, t, true)
		out = append(out, string(p))
	}
	return out
}

// TestGrammarAmbiguityBounded: a 90-byte ambiguous grammar doubles llama.cpp's parse stacks
// with every "a" (15 characters took 18 s per token there, then minutes). Our matcher
// deduplicates them (linear here) and, where a grammar really multiplies them, fails the
// token with an error instead of stalling.
func TestGrammarAmbiguityBounded(t *testing.T) {
	m := tinyModel(t)
	aaa := "root ::= \"a\" s\ns ::= \"a\" s x | \"a\" s y | \"a\" \"a\"{40} \"c\"\nx ::= \"b\"\ny ::= \"b\"\n"
	s, err := NewSampler(m, SamplerParams{Grammar: aaa})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := int32(-1)
	for tok := range int32(m.NVocab()) {
		if p, _ := m.TokenToPiece(nil, tok, true); string(p) == "a" {
			a = tok
		}
	}
	if a < 0 {
		t.Fatal("no token for \"a\"")
	}
	start := time.Now()
	var failed error
	for range 60 {
		if _, err := s.grammarMask(m.NVocab()); err != nil {
			failed = err
			break
		}
		if err := s.grammarAccept(a); err != nil {
			failed = err
			break
		}
	}
	if failed == nil || !strings.Contains(failed.Error(), "too ambiguous") {
		t.Errorf("60 a's: err = %v, want a too-ambiguous error", failed)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("%v after %v", failed, time.Since(start))
}

// BenchmarkGrammarMask filters the whole vocabulary through the JSON grammar, inside a
// string (where most tokens are allowed): the bounded matcher against llama.cpp's.
func BenchmarkGrammarMask(b *testing.B) {
	m := tinyModel(b)
	src, err := os.ReadFile("../gbnf/testdata/valid/json.gbnf")
	if err != nil {
		b.Fatal(err)
	}
	for _, naive := range []bool{false, true} {
		name := "bounded"
		if naive {
			name = "llama.cpp"
		}
		b.Run(name, func(b *testing.B) {
			s, err := NewSampler(m, SamplerParams{Grammar: string(src), NaiveGrammar: naive})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for _, piece := range []string{"{", "\"", "k"} {
				tok := int32(-1)
				for t := range int32(m.NVocab()) {
					if p, _ := m.TokenToPiece(nil, t, true); string(p) == piece {
						tok = t
						break
					}
				}
				if tok < 0 {
					b.Fatalf("no token %q", piece)
				}
				if err := s.grammarAccept(tok); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.NVocab()), "tokens")
			for b.Loop() {
				if _, err := s.grammarMask(m.NVocab()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestGrammarMatcherRealVocab repeats TestGrammarMatcherAgreesWithLlama over full-size
// vocabularies, each in a tiny generated model (package models): Llama 3.2's byte-level BPE
// (128,256 tokens with multi-byte and multi-character pieces) and the bench model's
// 151,936-token vocabulary (the same tokens as models/testdata/gen/bench.gguf).
func TestGrammarMatcherRealVocab(t *testing.T) {
	files, _ := filepath.Glob("../gbnf/testdata/valid/*.gbnf")
	if len(files) == 0 {
		t.Fatal("no grammars in ../gbnf/testdata/valid")
	}
	var grammars []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		grammars = append(grammars, string(b))
	}
	bench, err := models.ShapeSpec("bench")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		spec      models.Spec
		wantVocab int
	}{
		{"llama3", models.Spec{Vocab: "llama3"}, 128256},
		{"bench", models.Spec{Vocab: bench.Vocab, VocabSize: bench.VocabSize}, 151936},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Embd, s.Heads, s.Blocks, s.FFN, s.ContextLength, s.TieEmbeddings = 8, 2, 1, 8, 128, true
			path := filepath.Join(t.TempDir(), tc.name+".gguf")
			if err := models.Generate(path, s); err != nil {
				t.Fatal(err)
			}
			m, err := LoadModel(path, ModelParams{VocabOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.NVocab() != tc.wantVocab {
				t.Fatalf("vocabulary of %d tokens, want %d", m.NVocab(), tc.wantVocab)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			steps := 0
			for _, g := range grammars {
				for range 2 {
					steps += compareMatchers(t, m, g, rng, 12)
				}
			}
			t.Logf("%d steps over a %d-token vocabulary", steps, m.NVocab())
		})
	}
}

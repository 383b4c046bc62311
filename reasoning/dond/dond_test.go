package dond

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const samplePath = "data/sampled_50_deal_no_deal.txt"

// numbersIn reads the six numbers between <tag> and </tag> by hand.
func numbersIn(t *testing.T, line, tag string) []int {
	t.Helper()
	_, rest, _ := strings.Cut(line, "<"+tag+">")
	body, _, _ := strings.Cut(rest, "</"+tag+">")
	var out []int
	for _, f := range strings.Fields(body) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// Every line of the paper's sample parses: Alice gets <input>, Bob <partner_input>.
func TestParseSample(t *testing.T) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("%d lines", len(lines))
	}
	for k, line := range lines {
		s, err := ParseLine(line)
		if err != nil {
			t.Fatalf("line %d: %v", k+1, err)
		}
		in, pin := numbersIn(t, line, "input"), numbersIn(t, line, "partner_input")
		for j := range 3 {
			if s.Counts[j] != in[2*j] || s.Values[0][j] != in[2*j+1] || s.Values[1][j] != pin[2*j+1] {
				t.Fatalf("line %d: setup %+v, data %v / %v", k+1, s, in, pin)
			}
		}
		if !slices.Equal(s.Items, []string{"book", "hat", "ball"}) {
			t.Fatalf("items %v", s.Items)
		}
	}
	s, err := LoadLine(samplePath, 50)
	if err != nil || s.Line != 50 {
		t.Fatalf("LoadLine(50) = %+v, %v", s, err)
	}
}

func TestBadLines(t *testing.T) {
	ok := "<input> 1 1 1 3 3 2 </input> <dialogue> x </dialogue> <output> <no_agreement> </output> <partner_input> 1 1 1 0 3 3 </partner_input>"
	if _, err := ParseLine(ok); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, line, want string
	}{
		{"no input", strings.Replace(ok, "<input>", "", 1), "no <input>"},
		{"no partner close", strings.Replace(ok, "</partner_input>", "", 1), "no </partner_input>"},
		{"five numbers", strings.Replace(ok, "<input> 1 1 1 3 3 2 </input>", "<input> 1 1 1 3 3 </input>", 1), "5 numbers, want 6"},
		{"not a number", strings.Replace(ok, "1 1 1 3 3 2", "1 1 1 three 3 2", 1), `"three"`},
		{"negative", strings.Replace(ok, "1 1 1 3 3 2", "1 1 1 -3 3 2", 1), `"-3"`},
		{"counts differ", strings.Replace(ok, "1 1 1 0 3 3", "2 1 1 0 3 3", 1), "item counts differ"},
		{"worth 9", strings.Replace(ok, "1 1 1 3 3 2", "1 0 1 3 3 2", 1), "worth 9 to Alice"},
		{"worth 11 to Bob", strings.Replace(ok, "1 1 1 0 3 3", "1 2 1 0 3 3", 1), "worth 11 to Bob"},
		{"bad output", strings.Replace(ok, "<no_agreement>", "item0=1", 1), "<output> has 1 fields"},
	} {
		_, err := ParseLine(tt.line)
		if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrData naming %q", tt.name, err, tt.want)
		}
	}
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "line 0 out of range"}, {51, "line 51 out of range: the data has 50 lines"}, {-3, "out of range"}} {
		_, err := LoadLine(samplePath, tt.n)
		if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("line %d: err = %v, want %q", tt.n, err, tt.want)
		}
	}
	if _, err := ReadLine(strings.NewReader(ok+"\n\n"+ok), 2); err == nil || !strings.Contains(err.Error(), "line 2 is empty") {
		t.Errorf("empty line: err = %v", err)
	}
	if _, err := ReadLine(strings.NewReader(ok+"\nnonsense"), 2); err == nil || !strings.Contains(err.Error(), "line 2: ") {
		t.Errorf("malformed line: err = %v (want it to name the line)", err)
	}
	if _, err := LoadLine("testdata/missing.txt", 1); err == nil {
		t.Error("missing file: no error")
	}
}

func TestParseDeal(t *testing.T) {
	items, counts := []string{"book", "hat", "ball"}, []int{1, 2, 3}
	for _, tt := range []struct {
		text string
		want Split
		err  string
	}{
		{"<deal>book=1 hat=0 ball=2</deal>", Split{1, 0, 2}, ""},
		{"I offer <deal>ball=3 book=0 hat=2</deal> ok", Split{0, 2, 3}, ""},
		{"<deal>book=1</deal> then <deal>book=0 hat=1 ball=1</deal>", Split{0, 1, 1}, ""},
		{"<deal>book=2 hat=0 ball=2</deal>", nil, "book=2 (there are 1)"},
		{"<deal>book=1 hat=0</deal>", nil, "no ball= field"},
		{"<deal>book=1 book=1 hat=0 ball=0</deal>", nil, "book given twice"},
		{"<deal>book=1 hat=0 ball=x</deal>", nil, "ball=x"},
		{"<deal>book=1 hat=0 pen=1 ball=0</deal>", nil, `field "pen=1"`},
		{"<deal>book=1 hat=0 ball=0", nil, "no </deal>"},
		{"book=1 hat=0 ball=0", nil, "no <deal>"},
		{"<deal>book=-1 hat=0 ball=0</deal>", nil, "book=-1"},
	} {
		got, err := ParseDeal(tt.text, items, counts)
		if tt.err != "" {
			if !errors.Is(err, ErrDeal) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDeal(%q): err = %v, want %q", tt.text, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseDeal(%q) = %v, %v, want %v", tt.text, got, err, tt.want)
		}
		if back, err := ParseDeal(FormatDeal(items, got), items, counts); err != nil || !slices.Equal(back, got) {
			t.Errorf("FormatDeal round trip of %v: %v, %v", got, back, err)
		}
	}
}

func FuzzParseDeal(f *testing.F) {
	items, counts := []string{"book", "hat", "ball"}, []int{1, 2, 3}
	f.Add("<deal>book=1 hat=0 ball=2</deal>")
	f.Add("<deal>ball=3 book=0 hat=2</deal>")
	f.Add("<deal>book=1 hat=0 ball=99999999999999999999</deal>")
	f.Add("<deal></deal><accept>")
	f.Fuzz(func(t *testing.T, s string) {
		share, err := ParseDeal(s, items, counts)
		if err != nil {
			return
		}
		for j, n := range share {
			if n < 0 || n > counts[j] {
				t.Fatalf("ParseDeal(%q) = %v: out of range", s, share)
			}
		}
		if back, err := ParseDeal(FormatDeal(items, share), items, counts); err != nil || !slices.Equal(back, share) {
			t.Fatalf("round trip of %v: %v, %v", share, back, err)
		}
	})
}

func FuzzParseLine(f *testing.F) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n")[:5] {
		f.Add(l)
	}
	f.Add("<input> 1 10 0 0 0 0 </input> <partner_input> 1 10 0 5 0 5 </partner_input>")
	f.Fuzz(func(t *testing.T, line string) {
		s, err := ParseLine(line)
		if err != nil {
			if !errors.Is(err, ErrData) {
				t.Fatalf("error %v does not wrap ErrData", err)
			}
			return
		}
		for i := range 2 {
			total := 0
			for j := range s.Items {
				if s.Counts[j] < 0 || s.Values[i][j] < 0 {
					t.Fatalf("negative count or value in %+v", s)
				}
				total += s.Counts[j] * s.Values[i][j]
			}
			if total != PoolValue {
				t.Fatalf("pool worth %d to player %d: %+v", total, i, s)
			}
		}
	})
}

package gtalign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrParse is wrapped by every [ParseError].
var ErrParse = errors.New("gtalign: malformed model output")

// ParseError is model output (or a transcript) that does not parse: which block, which field
// where one is to blame, and the problem.
type ParseError struct {
	Block   string // "payoff", "analyze" or "transcript"
	Field   string // e.g. "DQ_DA.user", "choice"; "" when no single field is to blame
	Problem string
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("gtalign: %s: %s", e.Block, e.Problem)
	}
	return fmt.Sprintf("gtalign: %s: %s: %s", e.Block, e.Field, e.Problem)
}

// Unwrap returns [ErrParse].
func (e *ParseError) Unwrap() error { return ErrParse }

// maxPayoffText bounds the payoff text the parsers read (bytes): the grammar's output is far
// shorter, and anything longer is not a payoff block.
const maxPayoffText = 1 << 16

// ParsePayoff parses the `<payoff>` block's text strictly: one JSON object with exactly the
// game's keys (any order, none twice), each {"LLM": x, "user": y} with exactly those two
// fields once each, x and y finite numbers inside the game's payoff range, nothing after the
// object. The matrix comes back in the game's order. Errors are *[ParseError] naming the
// field.
func ParsePayoff(g *Game, text string) (Matrix, error) {
	return decodePayoff([]byte(text), g)
}

// decodePayoff walks the JSON tokens (encoding/json would silently keep the last of two
// duplicate keys). With g nil, any TYPE_STRATEGY keys are accepted in their order and the
// range is not checked.
func decodePayoff(b []byte, g *Game) (Matrix, error) {
	perr := func(field, format string, a ...any) error {
		return &ParseError{Block: "payoff", Field: field, Problem: fmt.Sprintf(format, a...)}
	}
	if len(b) > maxPayoffText {
		return nil, perr("", "%d bytes, at most %d", len(b), maxPayoffText)
	}
	if !utf8.Valid(b) {
		return nil, perr("", "not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	// syntax reports a JSON syntax error met while reading field ("" outside any cell).
	syntax := func(field string, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return perr(field, "invalid JSON at byte %d: %s", se.Offset, se.Error())
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return perr(field, "the JSON object is incomplete")
		}
		return perr(field, "invalid JSON: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntax("", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, perr("", "want a JSON object, found %s", describe(tok))
	}
	var want map[string]bool
	if g != nil {
		want = map[string]bool{}
		for _, k := range g.Keys() {
			want[k] = true
		}
	}
	var m Matrix
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax("", err)
		}
		key, _ := tok.(string)
		switch {
		case seen[key]:
			return nil, perr(key, "duplicate key")
		case want != nil && !want[key]:
			return nil, perr(key, "unknown key (want %s)", strings.Join(g.Keys(), ", "))
		}
		ut, st, ok := SplitKey(key)
		if !ok || !idPattern.MatchString(ut) || !idPattern.MatchString(st) {
			return nil, perr(key, "not a TYPE_STRATEGY key")
		}
		seen[key] = true
		c := Cell{Key: key, UserType: ut, Strategy: st}
		if err := decodeCell(dec, &c, g, perr, syntax); err != nil {
			return nil, err
		}
		m = append(m, c)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntax("", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, syntax("", err)
		}
		return nil, perr("", "%s after the object", describe(tok))
	}
	if g == nil {
		if len(m) == 0 {
			return nil, perr("", "no cells")
		}
		return m, nil
	}
	ordered := make(Matrix, 0, len(m))
	for _, k := range g.Keys() {
		i := m.Index(k)
		if i < 0 {
			return nil, perr(k, "missing")
		}
		ordered = append(ordered, m[i])
	}
	return ordered, nil
}

// decodeCell reads {"LLM": x, "user": y} into c.
func decodeCell(dec *json.Decoder, c *Cell, g *Game, perr func(string, string, ...any) error, syntax func(string, error) error) error {
	tok, err := dec.Token()
	if err != nil {
		return syntax(c.Key, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return perr(c.Key, "want {\"LLM\": x, \"user\": y}, found %s", describe(tok))
	}
	var haveL, haveU bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntax(c.Key, err)
		}
		name, _ := tok.(string)
		field := c.Key + "." + name
		var dst *float64
		switch {
		case name == "LLM" && !haveL:
			dst, haveL = &c.LLM, true
		case name == "user" && !haveU:
			dst, haveU = &c.User, true
		case name == "LLM" || name == "user":
			return perr(field, "duplicate key")
		default:
			return perr(field, "unknown key (want \"LLM\" and \"user\")")
		}
		tok, err = dec.Token()
		if err != nil {
			return syntax(field, err)
		}
		n, ok := tok.(json.Number)
		if !ok {
			return perr(field, "want a number, found %s", describe(tok))
		}
		x, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return perr(field, "%.40s is not a finite float64", n)
		}
		if g != nil && (x < float64(g.Payoff.Min) || x > float64(g.Payoff.Max)) {
			return perr(field, "%.40s outside [%d, %d]", n, g.Payoff.Min, g.Payoff.Max)
		}
		*dst = x
	}
	if _, err := dec.Token(); err != nil {
		return syntax(c.Key, err)
	}
	switch {
	case !haveL:
		return perr(c.Key+".LLM", "missing")
	case !haveU:
		return perr(c.Key+".user", "missing")
	}
	return nil
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("the string %.40q", v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return fmt.Sprintf("%v", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// RepairPayoff parses payoff text written without a grammar (an external transcript, a model
// without grammar support): strictly first, then after repairs of what models commonly get
// wrong. The repairs, in order: the text is cut to its outermost {…} (dropping code fences
// and prose around it); curly quotes become straight; single-quoted strings become JSON
// strings; a comma before '}' or ']' is dropped. It returns the repairs made (nil when the
// text was strict JSON). When the repaired text still fails, the error is the repaired
// text's *[ParseError], its problem noting the repairs.
func RepairPayoff(g *Game, text string) (Matrix, []string, error) {
	m, err := ParsePayoff(g, text)
	if err == nil {
		return m, nil, nil
	}
	fixed, repairs := repair(text)
	if len(repairs) == 0 {
		return nil, nil, err
	}
	m, err2 := ParsePayoff(g, fixed)
	if err2 != nil {
		var pe *ParseError
		if errors.As(err2, &pe) {
			pe.Problem += " (after repairs: " + strings.Join(repairs, ", ") + ")"
		}
		return nil, repairs, err2
	}
	return m, repairs, nil
}

// Repair names reported by [RepairPayoff].
const (
	RepairExtracted     = "extracted the object"
	RepairCurlyQuotes   = "straightened curly quotes"
	RepairSingleQuotes  = "converted single-quoted strings"
	RepairTrailingComma = "dropped trailing commas"
)

func repair(s string) (string, []string) {
	var repairs []string
	if i, j := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}'); i >= 0 && j > i && (strings.TrimSpace(s[:i]) != "" || strings.TrimSpace(s[j+1:]) != "") {
		s = s[i : j+1]
		repairs = append(repairs, RepairExtracted)
	}
	if r := strings.NewReplacer("\u201c", `"`, "\u201d", `"`, "\u201e", `"`, "\u201f", `"`, "\u2033", `"`,
		"\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'", "\u2032", "'"); r.Replace(s) != s {
		s = r.Replace(s)
		repairs = append(repairs, RepairCurlyQuotes)
	}
	if t, ok := singleQuotes(s); ok {
		s = t
		repairs = append(repairs, RepairSingleQuotes)
	}
	if t, ok := trailingCommas(s); ok {
		s = t
		repairs = append(repairs, RepairTrailingComma)
	}
	return s, repairs
}

// singleQuotes rewrites 'strings' outside JSON strings as "strings".
func singleQuotes(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '"' && c != '\'' {
			b.WriteByte(c)
			continue
		}
		j, closed := stringEnd(s, i, c)
		if !closed {
			b.WriteString(s[i:])
			break
		}
		if c == '"' {
			b.WriteString(s[i:j])
		} else {
			b.WriteByte('"')
			inner := s[i+1 : j-1]
			for k := 0; k < len(inner); k++ {
				switch {
				case inner[k] == '\\' && k+1 < len(inner) && inner[k+1] == '\'':
					b.WriteByte('\'')
					k++
				case inner[k] == '\\' && k+1 < len(inner):
					b.WriteString(inner[k : k+2])
					k++
				case inner[k] == '"':
					b.WriteString(`\"`)
				default:
					b.WriteByte(inner[k])
				}
			}
			b.WriteByte('"')
			changed = true
		}
		i = j - 1
	}
	return b.String(), changed
}

// stringEnd returns the index just past the string opened by quote q at s[i], honouring
// backslash escapes; closed is false when the string runs to the end of s.
func stringEnd(s string, i int, q byte) (end int, closed bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1, true
		}
	}
	return len(s), false
}

// trailingCommas drops each ',' (outside strings) followed only by whitespace and '}' or ']'.
func trailingCommas(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			j, _ := stringEnd(s, i, '"')
			b.WriteString(s[i:j])
			i = j - 1
			continue
		}
		if c == ',' {
			rest := strings.TrimLeft(s[i+1:], " \t\r\n")
			if rest != "" && (rest[0] == '}' || rest[0] == ']') {
				changed = true
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), changed
}

// Analysis is an `<analyze>` block: the frontier as written and the chosen key.
type Analysis struct {
	Frontier []string `json:"frontier"`
	Choice   string   `json:"choice"`
}

// String writes the analysis as the block's text (without tags): "frontier: K, K\nchoice: K".
func (a Analysis) String() string {
	return "frontier: " + strings.Join(a.Frontier, ", ") + "\nchoice: " + a.Choice
}

// ParseAnalyze parses an `<analyze>` block's text: a line "frontier: K, K, …" and a line
// "choice: K" (labels case-insensitive; keys separated by commas and/or spaces, optionally
// quoted; a key listed twice counts once). Every key must be the game's. Other lines are
// ignored, so prose written without the grammar does not fail the parse. Errors are
// *[ParseError].
func ParseAnalyze(g *Game, text string) (Analysis, error) {
	perr := func(field, format string, a ...any) error {
		return &ParseError{Block: "analyze", Field: field, Problem: fmt.Sprintf(format, a...)}
	}
	known := map[string]bool{}
	for _, k := range g.Keys() {
		known[k] = true
	}
	var a Analysis
	var haveF, haveC bool
	for _, line := range strings.Split(text, "\n") {
		label, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		for i, f := range fields {
			fields[i] = strings.Trim(f, "\"'`.;")
		}
		switch strings.ToLower(strings.TrimSpace(label)) {
		case "frontier":
			if haveF {
				return a, perr("frontier", "given twice")
			}
			haveF = true
			seen := map[string]bool{}
			for _, k := range fields {
				if !known[k] {
					return a, perr("frontier", "unknown key %.40q", k)
				}
				if seen[k] {
					return a, perr("frontier", "key %s listed twice", k)
				}
				seen[k] = true
				a.Frontier = append(a.Frontier, k)
			}
			if len(a.Frontier) == 0 {
				return a, perr("frontier", "empty")
			}
		case "choice":
			if haveC {
				return a, perr("choice", "given twice")
			}
			haveC = true
			if len(fields) != 1 {
				return a, perr("choice", "want one key, found %d", len(fields))
			}
			if !known[fields[0]] {
				return a, perr("choice", "unknown key %.40q", fields[0])
			}
			a.Choice = fields[0]
		}
	}
	switch {
	case !haveF:
		return a, perr("frontier", "missing")
	case !haveC:
		return a, perr("choice", "missing")
	}
	return a, nil
}

// Transcript is a whole GTAlign answer split into its blocks' texts (without the tags; the
// line break after an opening tag and the one before a closing tag are dropped).
type Transcript struct {
	Thinking string `json:"thinking"`
	Payoff   string `json:"payoff"`
	Analyze  string `json:"analyze"`
	Response string `json:"response"`
}

// blockNames are the four blocks in order.
var blockNames = [4]string{"thinking", "payoff", "analyze", "response"}

// ParseTranscript splits text into the four blocks: each once, in order, each closed by the
// first matching closing tag, with nothing but whitespace outside them. Errors are
// *[ParseError] with Block "transcript" and the block concerned as Field.
func ParseTranscript(text string) (Transcript, error) {
	var t Transcript
	dst := [4]*string{&t.Thinking, &t.Payoff, &t.Analyze, &t.Response}
	rest := text
	for i, name := range blockNames {
		open, close := "<"+name+">", "</"+name+">"
		j := strings.Index(rest, open)
		if j < 0 {
			return t, &ParseError{Block: "transcript", Field: name, Problem: "missing " + open}
		}
		if before := strings.TrimSpace(rest[:j]); before != "" {
			return t, &ParseError{Block: "transcript", Field: name, Problem: fmt.Sprintf("text outside the blocks before %s: %.40q", open, before)}
		}
		rest = rest[j+len(open):]
		k := strings.Index(rest, close)
		if k < 0 {
			return t, &ParseError{Block: "transcript", Field: name, Problem: open + " is not closed"}
		}
		body := strings.TrimPrefix(rest[:k], "\n")
		body = strings.TrimSuffix(body, "\n")
		*dst[i] = body
		rest = rest[k+len(close):]
	}
	if after := strings.TrimSpace(rest); after != "" {
		return t, &ParseError{Block: "transcript", Field: "response", Problem: fmt.Sprintf("text outside the blocks after </response>: %.40q", after)}
	}
	return t, nil
}

// String writes the transcript back in the canonical layout (the inverse of
// [ParseTranscript]).
func (t Transcript) String() string {
	var b strings.Builder
	for i, body := range [4]string{t.Thinking, t.Payoff, t.Analyze, t.Response} {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "<%s>\n%s\n</%s>", blockNames[i], body, blockNames[i])
	}
	return b.String()
}

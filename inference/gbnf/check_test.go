package gbnf

import (
	"bytes"
	"errors"
	"testing"
)

func TestWriteCheck(t *testing.T) {
	for _, tt := range []struct {
		src, want string
		err       error
	}{
		{`root ::= ("yes" | "no") "."`, "g: ok: 2 rules, ", nil},
		{"root ::= answer\nanswer ::= [a-", "g:2:12: unterminated character set\n", ErrSyntax},
		{`root ::= <think> "x"`, "g: note: it names tokens by text", nil},
	} {
		var b bytes.Buffer
		err := WriteCheck(&b, "g", tt.src)
		if !errors.Is(err, tt.err) || !bytes.Contains(b.Bytes(), []byte(tt.want)) {
			t.Errorf("WriteCheck(%q) = %v, wrote %q; want %v and %q", tt.src, err, b.String(), tt.err, tt.want)
		}
	}
}

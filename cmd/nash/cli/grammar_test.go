package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGrammarCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.gbnf", `root ::= ("yes" | "no") "."`)
	bad := write("bad.gbnf", "root ::= answer\nanswer ::= [a-")
	leftrec := write("lr.gbnf", "root ::= a root | \"x\"\na ::= b\nb ::= \"\"")
	schema := write("s.json", `{"type":"object","properties":{"move":{"enum":["C","D"]}},"required":["move"]}`)
	for _, tc := range []struct {
		args []string
		exit int // 0 ok, 1 a grammar failed, 2 usage
		out  []string
	}{
		{[]string{good}, 0, []string{"good.gbnf: ok: 2 rules", "fanout 2"}},
		{[]string{good, bad, leftrec}, 1, []string{"good.gbnf: ok", "bad.gbnf:2:12: unterminated character set", "lr.gbnf: grammar: left recursion"}},
		{[]string{"--schema", schema, "--print"}, 0, []string{`root ::= `, "s.json: ok"}},
		{nil, 2, nil},
		{[]string{"--schema", schema, good}, 2, nil},
	} {
		var out, errb bytes.Buffer
		exit := Run(context.Background(), append([]string{"grammar", "check"}, tc.args...), nil, &out, &errb)
		if exit != tc.exit {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, exit, tc.exit, out.String(), errb.String())
		}
		for _, want := range tc.out {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, want, out.String())
			}
		}
	}
}

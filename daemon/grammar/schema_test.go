package grammar

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustGrammar(t *testing.T, schema string) *oracle {
	t.Helper()
	src, err := FromJSONSchema([]byte(schema))
	if err != nil {
		t.Fatalf("FromJSONSchema(%s): %v", schema, err)
	}
	g, err := parseGBNF(src)
	if err != nil {
		t.Fatalf("emitted grammar does not parse: %v\n%s", err, src)
	}
	for name, n := range g.rules {
		checkRefs(t, g, name, n)
	}
	return g
}

func checkRefs(t *testing.T, g *oracle, rule string, n *gnode) {
	if n.kind == 'r' {
		if _, ok := g.rules[n.ref]; !ok {
			t.Fatalf("rule %s references undefined %s", rule, n.ref)
		}
	}
	for _, it := range n.items {
		checkRefs(t, g, rule, it)
	}
}

func TestFromJSONSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		accept []string
		reject []string
	}{
		{"enum", `{"enum":["cooperate","defect",3,null]}`,
			[]string{`"cooperate"`, `"defect"`, `3`, `null`}, []string{`"other"`, `4`, `"Cooperate"`}},
		{"object required+optional", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"boolean"},"c":{"type":"string"}},"required":["a"]}`,
			[]string{`{"a":1}`, `{"a":-20,"b":true}`, `{"a":0, "c":"x"}`, `{ "a" : 5 , "b" : false , "c" : "" }`, "{\n  \"a\": 1\n}"},
			[]string{`{}`, `{"b":true}`, `{"a":1.5}`, `{"a":1,"d":2}`, `{"b":true,"a":1}`, `{"a":01}`, `{"a":1,}`}},
		{"object all optional", `{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"null"}}}`,
			[]string{`{}`, `{"x":1.25e3}`, `{"y":null}`, `{"x":-0.5,"y":null}`}, []string{`{"y":null,"x":1}`, `{,}`, `{"x":1 "y":null}`}},
		{"nullable and type list", `{"type":"object","properties":{"n":{"type":"string","nullable":true},"m":{"type":["integer","null"]}},"required":["n","m"]}`,
			[]string{`{"n":null,"m":null}`, `{"n":"s","m":7}`}, []string{`{"n":1,"m":null}`, `{"n":null,"m":"7"}`}},
		{"array bounds", `{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}`,
			[]string{`[1]`, `[1,2]`, `[1, 2, 3]`}, []string{`[]`, `[1,2,3,4]`, `["a"]`, `[1,]`}},
		{"unbounded array", `{"type":"array","items":{"type":"boolean"}}`,
			[]string{`[]`, `[true]`, `[true,false,true,true,false]`}, []string{`[tru]`, `[true false]`}},
		{"string length", `{"type":"string","minLength":2,"maxLength":4}`,
			[]string{`"ab"`, `"abcd"`, `"a\"c"`, `"éè"`}, []string{`"a"`, `"abcde"`, `"a"b"`}},
		{"string escapes", `{"type":"string"}`,
			[]string{`""`, `"a\nb"`, `"\u00e9"`, `"tab\t"`}, []string{"\"a\nb\"", `"\x"`, `"abc`}},
		{"anyOf", `{"anyOf":[{"type":"integer"},{"type":"object","properties":{"k":{"const":"v"}},"required":["k"]}]}`,
			[]string{`12`, `{"k":"v"}`}, []string{`{"k":"w"}`, `true`}},
		{"nested", `{"type":"object","properties":{"moves":{"type":"array","items":{"type":"object","properties":{"p":{"enum":["A","B"]},"s":{"type":"integer"}},"required":["p","s"]},"maxItems":2}},"required":["moves"]}`,
			[]string{`{"moves":[]}`, `{"moves":[{"p":"A","s":1},{"p":"B","s":2}]}`}, []string{`{"moves":[{"p":"C","s":1}]}`, `{"moves":[{"s":1,"p":"A"}]}`}},
		{"any value", `{}`, []string{`1`, `"x"`, `{"a":[1,{"b":null}]}`, `[]`}, []string{`{`, `nul`}},
		{"numbers", `{"type":"number"}`, []string{`0`, `-0`, `3.14`, `1e5`, `-2.5E-10`, `123456789012345`}, []string{`01`, `1.`, `.5`, `1e`, `1e123`, `+1`, `1.1234567890123456`}},
		{"special key", `{"type":"object","properties":{"a \"q\"":{"type":"integer"}},"required":["a \"q\""]}`, []string{`{"a \"q\"":1}`}, []string{`{"a q":1}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustGrammar(t, tc.schema)
			for _, doc := range tc.accept {
				if !g.match(doc) {
					t.Errorf("grammar rejects valid %s", doc)
				}
			}
			for _, doc := range tc.reject {
				if g.match(doc) {
					t.Errorf("grammar accepts invalid %s", doc)
				}
			}
		})
	}
}

func TestJSONObjectGrammar(t *testing.T) {
	g, err := parseGBNF(JSONObject)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,2,{"c":null}]}, "d": "e"}`} {
		if !g.match(doc) {
			t.Errorf("rejects %s", doc)
		}
	}
	for _, doc := range []string{`[]`, `1`, `{"a"}`, `{"a":1,}`} {
		if g.match(doc) {
			t.Errorf("accepts %s", doc)
		}
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		schema string
		want   error
		msg    string
	}{
		{`{"$ref":"#/defs/a"}`, ErrUnsupported, "$ref"},
		{`{"type":"string","pattern":"a+"}`, ErrUnsupported, "pattern"},
		{`{"type":"strin"}`, ErrInvalidSchema, "unknown type"},
		{`{"type":"object","properties":{"a":{}},"required":["b"]}`, ErrInvalidSchema, "required property \"b\""},
		{`{"enum":[]}`, ErrInvalidSchema, "empty enum"},
		{`{"type":"array","minItems":3,"maxItems":2}`, ErrInvalidSchema, "out of range"},
		{`[1]`, ErrInvalidSchema, "object or a boolean"},
		{`{"type":"object"`, ErrInvalidSchema, ""},
		{`{} {}`, ErrInvalidSchema, "trailing"},
		{`false`, ErrInvalidSchema, "matches nothing"},
		{`{"properties":{"a":{},"a":{}}}`, ErrInvalidSchema, "duplicate"},
		{strings.Repeat(`{"type":"array","items":`, 40) + `{}` + strings.Repeat(`}`, 40), ErrUnsupported, "deeper"},
	}
	for _, tc := range tests {
		_, err := FromJSONSchema([]byte(tc.schema))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("FromJSONSchema(%.60s) = %v, want %v containing %q", tc.schema, err, tc.want, tc.msg)
		}
	}
}

// FuzzFromJSONSchema: any input gives a grammar that parses (with every rule defined) or an
// error; never a panic.
func FuzzFromJSONSchema(f *testing.F) {
	for _, s := range []string{`{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}`, `{"enum":[1,"x"]}`,
		`{"type":"array","items":{"type":"string","maxLength":3},"maxItems":2}`, `{"anyOf":[{"type":"null"},{"const":[1]}]}`, `true`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, schema string) {
		src, err := FromJSONSchema([]byte(schema))
		if err != nil {
			if !errors.Is(err, ErrInvalidSchema) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("schema %q: %v", schema, err)
			}
			return
		}
		g, err := parseGBNF(src)
		if err != nil {
			t.Fatalf("schema %q gave an unparsable grammar: %v", schema, err)
		}
		for name, n := range g.rules {
			checkRefs(t, g, name, n)
		}
		var v any
		_ = json.Unmarshal([]byte(schema), &v)
	})
}

package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nashd/nashd/inference/gbnf"
)

// ErrUnsupported marks a schema feature the converter cannot enforce.
var ErrUnsupported = errors.New("grammar: unsupported JSON Schema feature")

// ErrInvalidSchema marks a schema that is not valid JSON Schema.
var ErrInvalidSchema = errors.New("grammar: invalid JSON Schema")

// JSONObject is the grammar for response_format {"type": "json_object"}: any JSON object.
const JSONObject = `root ::= object
` + commonRules

const commonRules = `value ::= object | array | string | number | boolean | null
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" char* "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] )
number ::= "-"? int-part ( "." [0-9] [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? )? ( [eE] [-+]? [0-9] [0-9]? )?
int-part ::= [0-9] | [1-9] [0-9] [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]? [0-9]?
integer ::= "-"? int-part
boolean ::= "true" | "false"
null ::= "null"
ws ::= | " " | "\n" [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]?
`

// maxDepth bounds schema nesting (a hostile schema must not exhaust the stack).
const maxDepth = 32

// maxRules bounds the grammar size.
const maxRules = 2000

// FromJSONSchema returns a GBNF grammar whose language is the JSON documents that match
// schema (within the supported subset; see the package docs).
func FromJSONSchema(schema []byte) (string, error) {
	var root node
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	if err := decodeNode(dec, &root); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	if dec.More() {
		return "", fmt.Errorf("%w: trailing data after the schema", ErrInvalidSchema)
	}
	c := &conv{names: map[string]bool{}}
	body, err := c.expr(&root, "root", 0)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("root ::= " + body + "\n")
	for _, r := range c.rules {
		b.WriteString(r)
		b.WriteByte('\n')
	}
	b.WriteString(commonRules)
	src := b.String()
	// The sampler runs the same check; failing here names the schema, not a grammar the
	// user never wrote.
	if _, err := gbnf.Parse(src, gbnf.Limits{}); err != nil {
		if errors.Is(err, gbnf.ErrLimit) {
			return "", fmt.Errorf("%w: the schema's grammar is too large or ambiguous to sample from: %v", ErrUnsupported, err)
		}
		return "", fmt.Errorf("grammar: internal error: the grammar for this schema is invalid: %v", err)
	}
	return src, nil
}

// node is a decoded schema object with its properties in document order.
type node struct {
	isBool    bool // the schema was `true` or `false`
	boolValue bool
	fields    map[string]json.RawMessage
	propOrder []string
	props     map[string]*node
}

// decodeNode decodes one schema, keeping "properties" in order.
func decodeNode(dec *json.Decoder, n *node) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if b, ok := tok.(bool); ok {
		n.isBool, n.boolValue = true, b
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("a schema must be an object or a boolean, got %v", tok)
	}
	n.fields = map[string]json.RawMessage{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		k := kt.(string)
		if k == "properties" {
			if err := decodeProps(dec, n); err != nil {
				return fmt.Errorf("properties: %w", err)
			}
			n.fields[k] = json.RawMessage("{}")
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		n.fields[k] = raw
	}
	_, err = dec.Token() // '}'
	return err
}

func decodeProps(dec *json.Decoder, n *node) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("must be an object")
	}
	n.props = map[string]*node{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		k := kt.(string)
		if _, dup := n.props[k]; dup {
			return fmt.Errorf("duplicate property %q", k)
		}
		var c node
		if err := decodeNode(dec, &c); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		n.propOrder = append(n.propOrder, k)
		n.props[k] = &c
	}
	_, err = dec.Token()
	return err
}

type conv struct {
	rules []string
	names map[string]bool
}

// rule adds a named rule and returns its (unique) name.
func (c *conv) rule(hint, body string) (string, error) {
	if len(c.rules) >= maxRules {
		return "", fmt.Errorf("%w: schema needs more than %d grammar rules", ErrUnsupported, maxRules)
	}
	name := sanitize(hint)
	for i := 1; c.names[name]; i++ {
		name = sanitize(hint) + "-" + strconv.Itoa(i)
	}
	c.names[name] = true
	c.rules = append(c.rules, name+" ::= "+body)
	return name, nil
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" || out == "root" {
		out = "r"
	}
	if len(out) > 40 {
		out = out[:40]
	}
	return "s-" + out
}

func (n *node) field(k string, v any) (bool, error) {
	raw, ok := n.fields[k]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%w: %q: %v", ErrInvalidSchema, k, err)
	}
	return true, nil
}

// expr returns a GBNF expression for n. path names the location for errors and rule names.
func (c *conv) expr(n *node, path string, depth int) (string, error) {
	if depth > maxDepth {
		return "", fmt.Errorf("%w: %s: nesting deeper than %d", ErrUnsupported, path, maxDepth)
	}
	if n.isBool {
		if !n.boolValue {
			return "", fmt.Errorf("%w: %s: the schema false matches nothing", ErrInvalidSchema, path)
		}
		return "value", nil
	}
	for _, k := range []string{"$ref", "pattern", "patternProperties", "allOf", "not", "if", "prefixItems"} {
		if _, ok := n.fields[k]; ok {
			return "", fmt.Errorf("%w: %s: %q", ErrUnsupported, path, k)
		}
	}
	var nullable bool
	if _, err := n.field("nullable", &nullable); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	wrap := func(e string) string {
		if nullable {
			return "( " + e + " | null )"
		}
		return e
	}
	var cst any
	if ok, err := n.field("const", &cst); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	} else if ok {
		return wrap(literal(n.fields["const"])), nil
	}
	var enum []json.RawMessage
	if ok, err := n.field("enum", &enum); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	} else if ok {
		if len(enum) == 0 {
			return "", fmt.Errorf("%w: %s: empty enum", ErrInvalidSchema, path)
		}
		alts := make([]string, len(enum))
		for i, e := range enum {
			alts[i] = literal(e)
		}
		return wrap("( " + strings.Join(alts, " | ") + " )"), nil
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		raw, ok := n.fields[k]
		if !ok {
			continue
		}
		var subs []json.RawMessage
		if err := json.Unmarshal(raw, &subs); err != nil || len(subs) == 0 {
			return "", fmt.Errorf("%w: %s.%s: must be a non-empty array of schemas", ErrInvalidSchema, path, k)
		}
		alts := make([]string, len(subs))
		for i, s := range subs {
			var sn node
			dec := json.NewDecoder(bytes.NewReader(s))
			dec.UseNumber()
			if err := decodeNode(dec, &sn); err != nil {
				return "", fmt.Errorf("%w: %s.%s[%d]: %v", ErrInvalidSchema, path, k, i, err)
			}
			e, err := c.expr(&sn, fmt.Sprintf("%s-%s%d", path, k, i), depth+1)
			if err != nil {
				return "", err
			}
			alts[i] = e
		}
		return wrap("( " + strings.Join(alts, " | ") + " )"), nil
	}
	var types []string
	if raw, ok := n.fields["type"]; ok {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			types = []string{one}
		} else if err := json.Unmarshal(raw, &types); err != nil || len(types) == 0 {
			return "", fmt.Errorf("%w: %s: \"type\" must be a string or a non-empty array of strings", ErrInvalidSchema, path)
		}
	} else {
		switch {
		case n.props != nil:
			types = []string{"object"}
		case n.fields["items"] != nil:
			types = []string{"array"}
		default:
			return wrap("value"), nil
		}
	}
	alts := make([]string, 0, len(types))
	for _, t := range types {
		var e string
		var err error
		switch t {
		case "string":
			e, err = c.str(n, path)
		case "number":
			e = "number"
		case "integer":
			e = "integer"
		case "boolean":
			e = "boolean"
		case "null":
			e = "null"
		case "object":
			e, err = c.object(n, path, depth)
		case "array":
			e, err = c.array(n, path, depth)
		default:
			return "", fmt.Errorf("%w: %s: unknown type %q", ErrInvalidSchema, path, t)
		}
		if err != nil {
			return "", err
		}
		alts = append(alts, e)
	}
	if len(alts) == 1 {
		return wrap(alts[0]), nil
	}
	return wrap("( " + strings.Join(alts, " | ") + " )"), nil
}

// bounds reads an optional [min, max] pair of non-negative integer keywords.
func (n *node) bounds(path, minK, maxK string) (lo, hi int, hasHi bool, err error) {
	hi = -1
	if _, err = n.field(minK, &lo); err != nil {
		return
	}
	if hasHi, err = n.field(maxK, &hi); err != nil {
		return
	}
	if lo < 0 || (hasHi && hi < lo) {
		err = fmt.Errorf("%w: %s: %s/%s out of range", ErrInvalidSchema, path, minK, maxK)
	}
	const limit = 256
	if lo > limit || (hasHi && hi > limit) {
		if hasHi && hi > limit && lo <= limit {
			hasHi = false // treat a large maximum as unbounded
		} else {
			err = fmt.Errorf("%w: %s: %s above %d", ErrUnsupported, path, minK, limit)
		}
	}
	return
}

// repeat returns item repeated between lo and hi times (hi < 0 or !hasHi: unbounded),
// separated by sep.
func repeat(item, sep string, lo, hi int, hasHi bool) string {
	var parts []string
	for i := 0; i < lo; i++ {
		if i > 0 && sep != "" {
			parts = append(parts, sep)
		}
		parts = append(parts, item)
	}
	join := func(extra string) string {
		if len(parts) == 0 {
			return extra
		}
		return strings.Join(parts, " ") + " " + extra
	}
	sepItem := item
	if sep != "" {
		sepItem = sep + " " + item
	}
	if !hasHi {
		if lo == 0 {
			if sep == "" {
				return join(item + "*")
			}
			return "( " + item + " ( " + sepItem + " )* )?"
		}
		return join("( " + sepItem + " )*")
	}
	if hi == lo {
		if len(parts) == 0 {
			return `""`
		}
		return strings.Join(parts, " ")
	}
	// Nested optionals: (a (, a (, a)?)?)?
	tail := ""
	for i := hi; i > lo; i-- {
		first := sepItem
		if i == 1 || (lo == 0 && i == lo+1) {
			first = item
		}
		if tail == "" {
			tail = "( " + first + " )?"
		} else {
			tail = "( " + first + " " + tail + " )?"
		}
	}
	return join(tail)
}

func (c *conv) str(n *node, path string) (string, error) {
	lo, hi, hasHi, err := n.bounds(path, "minLength", "maxLength")
	if err != nil {
		return "", err
	}
	if lo == 0 && !hasHi {
		return "string", nil
	}
	return c.rule(path+"-string", `"\"" `+repeat("char", "", lo, hi, hasHi)+` "\""`)
}

func (c *conv) array(n *node, path string, depth int) (string, error) {
	item := "value"
	if raw, ok := n.fields["items"]; ok {
		var in node
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := decodeNode(dec, &in); err != nil {
			return "", fmt.Errorf("%w: %s.items: %v", ErrInvalidSchema, path, err)
		}
		e, err := c.expr(&in, path+"-item", depth+1)
		if err != nil {
			return "", err
		}
		item = e
		if strings.ContainsAny(e, " |") {
			if item, err = c.rule(path+"-item", e); err != nil {
				return "", err
			}
		}
	}
	lo, hi, hasHi, err := n.bounds(path, "minItems", "maxItems")
	if err != nil {
		return "", err
	}
	return c.rule(path+"-array", `"[" ws `+repeat(item, `ws "," ws`, lo, hi, hasHi)+` ws "]"`)
}

func (c *conv) object(n *node, path string, depth int) (string, error) {
	var required []string
	if _, err := n.field("required", &required); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if n.props == nil || len(n.propOrder) == 0 {
		if len(required) > 0 {
			return "", fmt.Errorf("%w: %s: required names properties that are not defined", ErrInvalidSchema, path)
		}
		return "object", nil
	}
	req := map[string]bool{}
	for _, r := range required {
		if _, ok := n.props[r]; !ok {
			return "", fmt.Errorf("%w: %s: required property %q is not in properties", ErrInvalidSchema, path, r)
		}
		req[r] = true
	}
	var reqKV, optKV []string
	for _, k := range n.propOrder {
		e, err := c.expr(n.props[k], path+"-"+k, depth+1)
		if err != nil {
			return "", err
		}
		kv, err := c.rule(path+"-"+k+"-kv", literal(mustJSON(k))+` ws ":" ws `+e)
		if err != nil {
			return "", err
		}
		if req[k] {
			reqKV = append(reqKV, kv)
		} else {
			optKV = append(optKV, kv)
		}
	}
	var body string
	if len(reqKV) > 0 {
		body = strings.Join(reqKV, ` ws "," ws `)
		for _, o := range optKV {
			body += ` ( ws "," ws ` + o + ` )?`
		}
	} else {
		// Any ordered subset of the optional properties, commas between.
		var alts []string
		for i := range optKV {
			a := optKV[i]
			for _, o := range optKV[i+1:] {
				a += ` ( ws "," ws ` + o + ` )?`
			}
			alts = append(alts, a)
		}
		body = "( " + strings.Join(alts, " | ") + " )?"
	}
	return c.rule(path+"-object", `"{" ws `+body+` ws "}"`)
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// literal renders JSON text (compacted) as a GBNF string literal.
func literal(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	return gbnf.Quote(buf.String())
}

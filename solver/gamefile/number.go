package gamefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/nashd/nashd/solver/game"
)

// Number is an exact rational decoded from a TOML integer, float or string, or from a JSON
// number or string.
type Number struct{ R *big.Rat }

// UnmarshalTOML implements toml.Unmarshaler.
func (n *Number) UnmarshalTOML(v any) error {
	r, err := toRat(v)
	if err != nil {
		return err
	}
	n.R = r
	return nil
}

func toRat(v any) (*big.Rat, error) {
	switch x := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(x), nil
	case float64:
		r, err := game.RatFromFloat(x)
		if err != nil {
			return nil, fmt.Errorf("number %v is not finite", x)
		}
		return r, nil
	case string:
		r, err := game.ParseRat(x)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return nil, fmt.Errorf("expected a number or a quoted fraction, found %s", describe(v))
}

func describe(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// UnmarshalJSON implements json.Unmarshaler: a number literal or a string.
func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	r, err := game.ParseRat(s)
	if err != nil {
		return fmt.Errorf("expected a number or a quoted fraction: %v", err)
	}
	n.R = r
	return nil
}

// MarshalJSON writes the number as a string "p/q" (or "p").
func (n Number) MarshalJSON() ([]byte, error) {
	if n.R == nil {
		return []byte("null"), nil
	}
	return json.Marshal(n.R.RatString())
}

// Table is a nested array of numbers (the normal-form payoff table): each element is a
// *big.Rat or a Table.
type Table []any

// UnmarshalTOML implements toml.Unmarshaler.
func (t *Table) UnmarshalTOML(v any) error {
	x, err := convertTable(v, 0)
	if err != nil {
		return err
	}
	*t = x
	return nil
}

// maxDepth bounds the nesting of a payoff table (one level per player plus the vector).
const maxDepth = 65

func convertTable(v any, depth int) (Table, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected an array, found %s", describe(v))
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("payoff table nested deeper than %d", maxDepth)
	}
	out := make(Table, len(arr))
	for i, e := range arr {
		if sub, ok := e.([]any); ok {
			t, err := convertTable(sub, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]%v", i, err)
			}
			out[i] = t
			continue
		}
		r, err := toRat(e)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %v", i, err)
		}
		out[i] = r
	}
	return out, nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Table) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	x, err := convertTable(jsonToTOMLish(v), 0)
	if err != nil {
		return err
	}
	*t = x
	return nil
}

// jsonToTOMLish turns json.Number leaves into strings (read exactly by toRat).
func jsonToTOMLish(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = jsonToTOMLish(x[i])
		}
		return x
	case json.Number:
		return string(x)
	}
	return v
}

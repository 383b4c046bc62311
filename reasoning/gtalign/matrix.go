package gtalign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nashd/nashd/reasoning/pricing"
)

// Cell is one outcome of the game: the user is of type UserType and the assistant answers with
// Strategy; LLM and User are the two sides' payoffs.
type Cell struct {
	Key      string // Key(UserType, Strategy)
	UserType string
	Strategy string
	LLM      float64
	User     float64
}

// Matrix is a payoff matrix: its cells in the game's order. In JSON it is the payoff block's
// object, keys in order: {"DQ_DA": {"LLM": 4.2, "user": 4.3}, …}.
type Matrix []Cell

// Index returns the position of key in m, or -1.
func (m Matrix) Index(key string) int {
	for i, c := range m {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// Keys returns the cells' keys in order.
func (m Matrix) Keys() []string {
	keys := make([]string, len(m))
	for i, c := range m {
		keys[i] = c.Key
	}
	return keys
}

// MarshalJSON writes m as the payoff block's JSON object, cells in order. Numbers are written
// with the fewest digits that read back to the same float64.
func (m Matrix) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range m {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(c.Key)
		fmt.Fprintf(&b, `%s: {"LLM": %s, "user": %s}`, k, num(c.LLM), num(c.User))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// UnmarshalJSON reads a payoff object with any keys of the form TYPE_STRATEGY, in their
// order, with the strict rules of [ParsePayoff] except the game's key set and range: exact
// "LLM" and "user" fields, no duplicate keys, finite numbers. null and {} read as the empty
// matrix (what an empty Matrix encodes to: a result whose payoff block never parsed).
func (m *Matrix) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); string(t) == "null" || (len(t) >= 2 && t[0] == '{' && len(bytes.TrimSpace(t[1:len(t)-1])) == 0 && t[len(t)-1] == '}') {
		*m = nil
		return nil
	}
	cells, err := decodePayoff(b, nil)
	if err != nil {
		return err
	}
	*m = cells
	return nil
}

// Transform returns m with the pricing plan applied to every cell by the cell's strategy
// ([pricing.Plan.Adjust]), each payoff rounded to 1e-9 so that float noise from the pricing
// arithmetic cannot break ties. A nil plan returns a copy of m. m is not modified.
func Transform(m Matrix, plan *pricing.Plan) Matrix {
	out := make(Matrix, len(m))
	copy(out, m)
	if plan == nil {
		return out
	}
	for i := range out {
		c := &out[i]
		c.LLM, c.User = plan.Adjust(c.Strategy, c.LLM, c.User)
		c.LLM, c.User = roundPayoff(c.LLM), roundPayoff(c.User)
	}
	return out
}

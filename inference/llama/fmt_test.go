package llama

import "fmt"

// fmtSscanf parses the grammar test's output shape.
func fmtSscanf(s string, act *string, a, b *int) (int, error) {
	var x string
	n, err := fmt.Sscanf(s, `{"action": "%2s", "payoff": %d.%d}%s`, act, a, b, &x)
	if n == 3 && err != nil && x == "" {
		return 3, nil
	}
	if x != "" {
		return 0, fmt.Errorf("trailing %q", x)
	}
	return n, err
}

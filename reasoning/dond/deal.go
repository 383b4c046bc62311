package dond

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Split is one player's share of the pool: how many units of each item they get (the
// other player gets the rest).
type Split []int

// Rest returns the other player's share.
func (s Split) Rest(counts []int) Split {
	r := make(Split, len(s))
	for j := range s {
		r[j] = counts[j] - s[j]
	}
	return r
}

// Value returns the share's worth under values.
func (s Split) Value(values []int) int {
	v := 0
	for j, n := range s {
		v += n * values[j]
	}
	return v
}

// The tags of a turn's decision.
const (
	DealOpen  = "<deal>"
	DealClose = "</deal>"
	// AcceptTag accepts the opponent's latest proposal as it stands.
	AcceptTag = "<accept>"
)

// FormatDeal writes a proposal: "<deal>book=1 hat=0 ball=2</deal>".
func FormatDeal(items []string, share Split) string {
	return DealOpen + shareText(items, share) + DealClose
}

// shareText writes a share without the tags: "book=1 hat=0 ball=2".
func shareText(items []string, share Split) string {
	parts := make([]string, len(items))
	for j, it := range items {
		parts[j] = it + "=" + strconv.Itoa(share[j])
	}
	return strings.Join(parts, " ")
}

// ErrDeal reports a proposal that does not parse or exceeds the pool.
var ErrDeal = errors.New("dond: invalid proposal")

// ParseDeal reads the share inside the last "<deal>…</deal>" of text: item=n fields
// separated by spaces, every item exactly once (in any order), 0 ≤ n ≤ its count. Errors
// wrap [ErrDeal] and name the problem.
func ParseDeal(text string, items []string, counts []int) (Split, error) {
	i := strings.LastIndex(text, DealOpen)
	if i < 0 {
		return nil, fmt.Errorf("%w: no %s", ErrDeal, DealOpen)
	}
	body, _, ok := strings.Cut(text[i+len(DealOpen):], DealClose)
	if !ok {
		return nil, fmt.Errorf("%w: no %s after %s", ErrDeal, DealClose, DealOpen)
	}
	share := make(Split, len(items))
	seen := make([]bool, len(items))
	for _, f := range strings.Fields(body) {
		name, val, ok := strings.Cut(f, "=")
		j := slices.Index(items, name)
		if !ok || j < 0 {
			return nil, fmt.Errorf("%w: field %q (want item=number, items %s)", ErrDeal, f, strings.Join(items, ", "))
		}
		if seen[j] {
			return nil, fmt.Errorf("%w: %s given twice", ErrDeal, name)
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > counts[j] {
			return nil, fmt.Errorf("%w: %s=%s (there are %d)", ErrDeal, name, val, counts[j])
		}
		seen[j], share[j] = true, n
	}
	for j, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%w: no %s= field", ErrDeal, items[j])
		}
	}
	return share, nil
}

// answer is one parsed turn: a message, and a proposal or an acceptance.
type answer struct {
	message string
	accept  bool
	share   Split // the speaker's share, when proposing
}

// parseAnswer reads a turn: the message from the line starting "Message:" (else the text
// before the decision), then whichever comes last of a proposal and AcceptTag. Acceptance
// needs canAccept (a standing proposal to accept).
func parseAnswer(text string, items []string, counts []int, canAccept bool) (answer, error) {
	var a answer
	d, acc := strings.LastIndex(text, DealOpen), strings.LastIndex(text, AcceptTag)
	head := text
	switch {
	case acc > d:
		if !canAccept {
			return a, fmt.Errorf("%s is not allowed on this turn (no proposal to accept, or a workflow agent's proposal that is not envy-free for it)", AcceptTag)
		}
		a.accept, head = true, text[:acc]
	case d >= 0:
		share, err := ParseDeal(text, items, counts)
		if err != nil {
			return a, err
		}
		a.share, head = share, text[:d]
	default:
		return a, fmt.Errorf("neither %s…%s nor %s", DealOpen, DealClose, AcceptTag)
	}
	for _, l := range strings.Split(head, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "Message:"); ok {
			a.message = strings.TrimSpace(rest)
			return a, nil
		}
	}
	a.message = strings.Join(strings.Fields(head), " ")
	return a, nil
}

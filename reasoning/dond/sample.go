package dond

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed data/sampled_50_deal_no_deal.txt
var sample string

// SampleName names the shipped sample of the data in messages: the 50 dialogues of Lewis et
// al. 2017 that the negotiation-games paper samples (data/README.md has the attribution).
const SampleName = "the shipped sample (50 Deal or No Deal dialogues)"

// Sample returns the whole shipped sample, one dialogue per line, in the data's format.
func Sample() []byte { return []byte(sample) }

// SampleLine reads line n (from 1) of the shipped sample, for servers that must not read
// files their clients name. A line out of range is an error that says how many there are.
func SampleLine(n int) (*Setup, error) {
	s, err := ReadLine(strings.NewReader(sample), n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", SampleName, err)
	}
	return s, nil
}

package fakegen_test

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nashd/nashd/inference"
	"github.com/nashd/nashd/inference/fakegen"
	"github.com/nashd/nashd/inference/inferencetest"
)

// words is the vocabulary of suiteScript's made-up replies.
var words = strings.Fields("cooperate defect payoff swerve straight equilibrium mixed pure strategy row column best reply")

// suiteScript answers as a model would have to for the conformance suite's output checks: a
// sample of the grammar when one of the suite's grammars is set, lower-case letters under
// LongGrammar, otherwise words drawn from the prompt (and the seed, when sampling at a
// temperature), so equal requests get equal replies and seeds change them.
func suiteScript(req inference.Request) (string, error) {
	for _, gc := range inferencetest.Grammars {
		if req.Grammar == gc.GBNF {
			return gc.Sample, nil
		}
	}
	if req.Grammar == inferencetest.LongGrammar {
		return strings.Repeat("abcdefghij", 30), nil
	}
	h := fnv.New64a()
	h.Write([]byte(req.Prompt))
	seed := uint64(0)
	if req.Sampling.Temperature > 0 {
		seed = uint64(req.Sampling.Seed) + 1
	}
	rng := rand.New(rand.NewPCG(h.Sum64(), seed))
	var sb strings.Builder
	for range 40 {
		sb.WriteString(" " + words[rng.IntN(len(words))])
	}
	return sb.String(), nil
}

func TestConformance(t *testing.T) {
	inferencetest.Run(t, func(t *testing.T) inference.Generator {
		return fakegen.New(suiteScript, &fakegen.Options{ContextSize: 512})
	})
}

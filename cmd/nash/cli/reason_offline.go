package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nashd/nashd/reasoning/gtalign"
	"github.com/nashd/nashd/reasoning/pricing"
)

// selection is what `nash reason --offline --json` prints: the solver's side of a GTAlign
// result (the fields keep the daemon's result object's names), and the repairs the matrix
// needed.
type selection struct {
	Matrix       gtalign.Matrix `json:"matrix"`
	Repairs      []string       `json:"repairs,omitempty"`
	Transformed  gtalign.Matrix `json:"transformed"`
	Frontier     []string       `json:"frontier"`
	SolverChoice string         `json:"solver_choice"`
	Tied         []string       `json:"tied,omitempty"`
	Disagreement *float64       `json:"disagreement,omitempty"`
	Rule         gtalign.Rule   `json:"rule"`
	Pricing      *pricing.Plan  `json:"pricing"`
}

// selectOffline does GTAlign's selection without a model: it reads the payoff block's JSON
// from matrixFile ("-": stdin) for the game in gameFile ("": GTAlign's default game),
// strictly, then with the repairs a transcript written without a grammar may need; applies the
// pricing file's values as written (no learned lengths; "": no pricing); and lets the solver
// choose by rule.
func selectOffline(stdin io.Reader, matrixFile, pricingFile, gameFile, rule string) (*selection, error) {
	r, err := gtalign.ParseRule(rule)
	if err != nil {
		return nil, fmt.Errorf("%w: --rule: %w", ErrUsage, err)
	}
	g := gtalign.Default()
	if gameFile != "" {
		if g, err = gtalign.LoadGame(gameFile); err != nil {
			return nil, err
		}
	}
	var data []byte
	if matrixFile == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(matrixFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read the matrix: %w", err)
	}
	m, repairs, err := gtalign.RepairPayoff(g, string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", matrixFile, err)
	}
	sel := &selection{Matrix: m, Repairs: repairs, Rule: r}
	if pricingFile != "" {
		b, err := os.ReadFile(pricingFile)
		if err != nil {
			return nil, err
		}
		cfg, err := pricing.Decode(pricingFile, b)
		if err != nil {
			return nil, err
		}
		if sel.Pricing, err = pricing.NewPlan(cfg, pricing.Version(pricingFile, b), nil); err != nil {
			return nil, fmt.Errorf("%s: %w", pricingFile, err)
		}
		if err := sel.Pricing.Covers(g.StrategyIDs()); err != nil {
			return nil, fmt.Errorf("%s: %w", pricingFile, err)
		}
	}
	sel.Transformed = gtalign.Transform(m, sel.Pricing)
	d, err := gtalign.Decide(sel.Transformed, r, float64(g.Payoff.Min))
	if err != nil {
		return nil, err
	}
	sel.Frontier, sel.SolverChoice, sel.Tied, sel.Disagreement = d.Frontier, d.Choice, d.Tied, d.Disagreement
	return sel, nil
}

// writeSelection prints a selection with the daemon's result printer, and the repairs.
func writeSelection(w io.Writer, s *selection) error {
	if len(s.Repairs) > 0 {
		if _, err := fmt.Fprintf(w, "the matrix is not strict JSON; read it after these repairs: %s\n\n", strings.Join(s.Repairs, ", ")); err != nil {
			return err
		}
	}
	return gtalign.WriteText(w, &gtalign.Result{Matrix: s.Matrix, Transformed: s.Transformed, Frontier: s.Frontier,
		SolverChoice: s.SolverChoice, Tied: s.Tied, Disagreement: s.Disagreement, Rule: s.Rule, Pricing: s.Pricing})
}

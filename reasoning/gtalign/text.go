package gtalign

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nashd/nashd/reasoning/pricing"
)

// WriteText prints a result for people: the payoff matrix as a table (rows: user types,
// columns: strategies, cells "LLM/user"), the pricing applied and the transformed matrix
// (frontier cells marked "*", the solver's choice ">"), the frontier, the rule, the
// solver's choice and, when the model wrote an analysis, its choice and whether they agree,
// what was applied, then the blocks' texts and the passes. Parts a result lacks are left out,
// so a selection without a model (only Matrix, Transformed, Frontier, SolverChoice, Rule and
// Pricing set) prints just the tables and the choice. Numbers are rounded to 4 decimals; the
// JSON result carries them exactly.
func WriteText(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	p := func(format string, a ...any) { fmt.Fprintf(ew, format, a...) }
	decided := r.Transformed // the matrix the solver chose on
	if r.Pricing == nil || len(decided) == 0 {
		decided = r.Matrix
	}
	if len(r.Matrix) > 0 {
		if r.Pricing == nil {
			p("payoff matrix, no pricing applied (LLM/user; rows: user types, columns: strategies; * Pareto frontier, > solver's choice)\n")
			writeMatrix(ew, r.Matrix, r.Frontier, r.SolverChoice)
		} else {
			p("payoff matrix as written (LLM/user; rows: user types, columns: strategies)\n")
			writeMatrix(ew, r.Matrix, nil, "")
		}
	}
	if r.Pricing != nil {
		p("\n")
		writePricing(ew, r.Pricing, strategies(r.Matrix))
		if len(r.Transformed) > 0 {
			p("\ntransformed matrix, after pricing (* Pareto frontier, > solver's choice)\n")
			writeMatrix(ew, r.Transformed, r.Frontier, r.SolverChoice)
		}
	}
	if len(r.Frontier) > 0 || r.SolverChoice != "" {
		p("\n")
	}
	if len(r.Frontier) > 0 {
		p("Pareto frontier: %s\n", strings.Join(r.Frontier, ", "))
	}
	if r.Rule != "" {
		p("rule: %s\n", ruleLine(r.Rule, r.Disagreement))
	}
	if r.SolverChoice != "" {
		p("solver's choice: %s%s\n", r.SolverChoice, cellText(decided, r.SolverChoice, r.Rule, r.Disagreement))
		if len(r.Tied) > 1 {
			p("  tied with %s; the game's order decided\n", strings.Join(slices.DeleteFunc(slices.Clone(r.Tied), func(k string) bool { return k == r.SolverChoice }), ", "))
		}
	}
	switch {
	case r.AnalyzeBy == AnalyzeBySolver:
		p("model's choice: none (analyze_by solver: nashd wrote the analysis)\n")
	case r.ModelAnalyzeError != "":
		p("model's choice: unreadable (%s)\n", r.ModelAnalyzeError)
	case r.ModelChoice != "":
		agree := "agrees with the solver"
		if !r.Agree {
			agree = "DISAGREES with the solver"
		}
		p("model's choice: %s (%s)\n", r.ModelChoice, agree)
		if len(r.ModelFrontier) > 0 && !r.FrontierAgree {
			note := ""
			if r.Pricing != nil {
				note = " (the model reads the matrix as written, before pricing)"
			}
			p("  model's frontier: %s%s\n", strings.Join(r.ModelFrontier, ", "), note)
		}
	}
	if r.Applied != "" {
		how := ""
		switch {
		case r.AnalyzeBy == AnalyzeBySolver || r.Agree:
		case r.Applied == r.SolverChoice:
			how = fmt.Sprintf(" (policy %s: the solver's choice)", r.Policy)
		default:
			how = fmt.Sprintf(" (policy %s: the model's choice)", r.Policy)
		}
		p("applied: %s, strategy %s%s\n", r.Applied, r.AppliedStrategy, how)
	}
	if r.Thinking != "" {
		p("\nthinking:\n%s\n", indent(r.Thinking))
	}
	if r.Analyze != "" {
		p("\nanalysis in the context:\n%s\n", indent(r.Analyze))
	}
	if r.Response != "" || r.Truncated {
		p("\nresponse%s:\n%s\n", responseNote(r), indent(r.Response))
	}
	if len(r.Passes) > 0 {
		p("\npasses:\n")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  pass\tprompt tokens\tcache_n\tgenerated\tprompt ms\tgenerate ms\twall ms\tstop\n")
		for _, ps := range r.Passes {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%s\n", ps.Name, ps.PromptTokens, ps.CacheN, ps.GeneratedTokens, ps.PromptMS, ps.GenerateMS, ps.MS, ps.StopReason)
		}
		tw.Flush()
		u := r.Usage
		p("total: %d prompt + %d generated tokens, %d reused from the KV cache, %.0f ms\n", u.PromptTokens, u.CompletionTokens, u.CacheN, r.MS)
	}
	return ew.err
}

// responseNote describes the response's form check: " (answer_question, form ok)".
func responseNote(r *Result) string {
	var notes []string
	c := r.ResponseCheck
	if c.Form != "" {
		notes = append(notes, c.Form)
	}
	switch {
	case r.Truncated:
		notes = append(notes, "cut short at the token limit")
	case c.Problem != "":
		notes = append(notes, c.Problem)
	case c.OK:
		notes = append(notes, "form ok")
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, ", ") + ")"
}

// writeMatrix prints m as a table: rows are user types and columns strategies, in the
// matrix's order; frontier cells carry "*", the chosen cell ">".
func writeMatrix(w io.Writer, m Matrix, frontier []string, choice string) {
	rows, cols := userTypes(m), strategies(m)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  ")
	for _, s := range cols {
		fmt.Fprintf(tw, "\t %s", s)
	}
	fmt.Fprint(tw, "\n")
	for _, u := range rows {
		fmt.Fprintf(tw, "  %s", u)
		for _, s := range cols {
			k := Key(u, s)
			i := m.Index(k)
			if i < 0 {
				fmt.Fprint(tw, "\t -")
				continue
			}
			mark := " "
			switch {
			case k == choice:
				mark = ">"
			case slices.Contains(frontier, k):
				mark = "*"
			}
			fmt.Fprintf(tw, "\t%s%s/%s", mark, pay(m[i].LLM), pay(m[i].User))
		}
		fmt.Fprint(tw, "\n")
	}
	tw.Flush()
}

// writePricing prints the plan: version, transform, payer, and per strategy what it costs.
func writePricing(w io.Writer, p *pricing.Plan, cols []string) {
	var extra []string // strategies the plan prices that the matrix lacks
	for s := range p.CompletionTokens {
		if !slices.Contains(cols, s) {
			extra = append(extra, s)
		}
	}
	slices.Sort(extra)
	cols = append(slices.Clip(cols), extra...)
	if p.Transform == pricing.TransformPaper {
		other := "LLM"
		if p.ShiftSide == pricing.PayerProvider {
			other = "user"
		}
		fmt.Fprintf(w, "pricing %s: paper transform: %s added to every %s payoff; %s bonus by strategy:", p.Version, signed(p.Shift), side(p.ShiftSide), other)
		for _, s := range cols {
			fmt.Fprintf(w, " %s %s", s, signed(p.Bonus[s]))
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "pricing %s: cost transform: the %s pays; its payoff loses rate × expected cost\n", p.Version, payer(p.Payer))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  strategy\texpected completion tokens\tcost\tpayoff charged\n")
	for _, s := range cols {
		n, ok := p.CompletionTokens[s]
		if !ok {
			fmt.Fprintf(tw, "  %s\tnone (not charged)\t-\t-\n", s)
			continue
		}
		src := "configured"
		if p.Learned[s] {
			src = "learned"
		}
		fmt.Fprintf(tw, "  %s\t%s (%s)\t%s\t%s\n", s, short(n), src, strconv.FormatFloat(p.Costs[s], 'g', 4, 64), short(p.Penalty[s]))
	}
	tw.Flush()
}

func payer(p string) string {
	if p == pricing.PayerProvider {
		return "provider (the LLM side)"
	}
	return p
}

func side(s string) string {
	if s == pricing.PayerProvider {
		return "LLM"
	}
	return s
}

func signed(x float64) string {
	if x >= 0 {
		return "+" + short(x)
	}
	return short(x)
}

// cellText describes a cell's payoffs and its score under the rule.
func cellText(m Matrix, key string, rule Rule, d *float64) string {
	i := m.Index(key)
	if i < 0 {
		return ""
	}
	c := m[i]
	s := fmt.Sprintf(" (LLM %s, user %s", pay(c.LLM), pay(c.User))
	switch {
	case rule == RuleNashProduct && d != nil:
		s += fmt.Sprintf("; (LLM − d)·(user − d) = %s", pay((c.LLM-*d)*(c.User-*d)))
	case rule == RuleWelfare:
		s += fmt.Sprintf("; LLM + user = %s", pay(c.LLM+c.User))
	}
	return s + ")"
}

// ruleLine describes a rule for the table (prompt.go's ruleText words it for the model).
func ruleLine(rule Rule, d *float64) string {
	switch rule {
	case RuleWelfare:
		return "welfare: the frontier cell with the largest LLM + user; ties: higher user, then higher LLM"
	case RuleNashProduct:
		s := "nash_product: the frontier cell with the largest (LLM − d)·(user − d); ties: higher user, then higher LLM"
		if d != nil {
			s += "; d = " + pay(*d)
		}
		return s
	}
	return string(rule)
}

// short formats x rounded to 4 decimals, without trailing zeros.
func short(x float64) string {
	r := math.Round(x*1e4) / 1e4
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// pay formats a payoff as short does, with at least one decimal ("3.0"), as the model writes it.
func pay(x float64) string {
	s := short(x)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// userTypes and strategies list a matrix's user types and strategies in order of appearance.
func userTypes(m Matrix) []string {
	var out []string
	for _, c := range m {
		if !slices.Contains(out, c.UserType) {
			out = append(out, c.UserType)
		}
	}
	return out
}

func strategies(m Matrix) []string {
	var out []string
	for _, c := range m {
		if !slices.Contains(out, c.Strategy) {
			out = append(out, c.Strategy)
		}
	}
	return out
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// errWriter keeps the first write error and drops later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	_, e.err = e.w.Write(p)
	return len(p), nil
}

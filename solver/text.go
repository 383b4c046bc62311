package solver

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"

	"github.com/nashd/nashd/solver/game"
)

// WriteText writes the report for people: the equilibria as a table with strategy names and
// exact fractions, then the method's extra information.
func (r *Report) WriteText(w io.Writer) error { return r.writeText(w, "") }

// WriteSolved writes a solved game as `nash solve` prints it, locally or from the daemon's
// answer alike: g's payoff table ([WriteMatrix]) and a blank line when g is in normal form,
// then the report ([Report.WriteText]). A non-empty solvedBy is named on the report's first
// line: "game:    pd (solved by nashd)".
func WriteSolved(w io.Writer, g *game.Game, r *Report, solvedBy string) error {
	if g != nil && g.Normal != nil {
		if err := WriteMatrix(w, g.Normal); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return r.writeText(w, solvedBy)
}

func (r *Report) writeText(w io.Writer, solvedBy string) error {
	bw := &errWriter{w: w}
	if solvedBy != "" {
		fmt.Fprintf(bw, "game:    %s (solved by %s)\n", r.Game, solvedBy)
	} else {
		fmt.Fprintf(bw, "game:    %s\n", r.Game)
	}
	fmt.Fprintf(bw, "players: %s\n", strings.Join(r.Players, ", "))
	complete := "not guaranteed complete"
	if r.Complete {
		complete = "complete"
	}
	fmt.Fprintf(bw, "method:  %s (%s)\n", r.Method, complete)
	if len(r.Equilibria) > 0 || (r.Correlated == nil && r.Allocation == nil) {
		fmt.Fprintf(bw, "\n%d equilibri%s\n", len(r.Equilibria), plural(len(r.Equilibria), "um", "a"))
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "#\t%s\tpayoffs\n", strings.Join(r.Players, "\t"))
		for n, e := range r.Equilibria {
			cells := make([]string, len(r.Players))
			var pay []string
			if e.Exact() {
				for i, d := range e.Profile {
					cells[i] = mixed(r.strategies(i, len(d)), d)
				}
				for _, x := range e.Payoffs {
					pay = append(pay, x.RatString())
				}
			} else {
				for i, d := range e.Approx {
					cells[i] = mixedFloat(r.strategies(i, len(d)), d)
				}
				for _, x := range e.ApproxPayoffs {
					pay = append(pay, decimal(x))
				}
			}
			note := ""
			if !e.Exact() {
				note = fmt.Sprintf("  (approximate: max regret %.2g)", roundDigits(e.MaxRegret, regretDigits))
			}
			fmt.Fprintf(tw, "%d\t%s\t%s%s\n", n+1, strings.Join(cells, "\t"), strings.Join(pay, ", "), note)
		}
		tw.Flush()
	}
	if r.Note != "" {
		fmt.Fprintf(bw, "\nnote: %s\n", r.Note)
	}
	if z := r.ZeroSum; z != nil {
		fmt.Fprintf(bw, "\nvalue to %s: %s (payoffs sum to %s)\n", r.Players[0], z.Value.RatString(), z.Constant.RatString())
	}
	if c := r.Correlated; c != nil {
		fmt.Fprintf(bw, "\ncorrelated equilibrium maximising total payoff (welfare %s, payoffs %s)\n", c.Welfare, strings.Join(ratStrings(c.Payoffs), ", "))
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\tprobability\n", strings.Join(r.Players, "\t"))
		for _, d := range c.Distribution {
			fmt.Fprintf(tw, "%s\t%s\n", strings.Join(d.Profile, "\t"), d.Prob)
		}
		tw.Flush()
	}
	if r.Eliminated != nil || r.Remaining != nil { // JSON omits an empty Eliminated
		fmt.Fprintf(bw, "\neliminated (in order):\n")
		if len(r.Eliminated) == 0 {
			fmt.Fprintf(bw, "  nothing is dominated\n")
		}
		for _, e := range r.Eliminated {
			by := e.By
			if by == "" {
				var parts []string
				for s, p := range e.Mixture {
					parts = append(parts, s+":"+p)
				}
				by = "the mixture " + strings.Join(sortStrings(parts), " ")
			}
			fmt.Fprintf(bw, "  round %d: %s's %s, dominated by %s\n", e.Round, e.Player, e.Strategy, by)
		}
		for i, rem := range r.Remaining {
			fmt.Fprintf(bw, "remaining for %s: %s\n", r.Players[i], strings.Join(rem, ", "))
		}
	}
	if p := r.Pareto; p != nil {
		fmt.Fprintf(bw, "\nPareto-optimal outcomes:\n")
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\tpayoffs\n", strings.Join(r.Players, "\t"))
		for _, o := range p.Strict {
			fmt.Fprintf(tw, "%s\t%s\n", strings.Join(o.Profile, "\t"), strings.Join(ratStrings(o.Payoffs), ", "))
		}
		tw.Flush()
		fmt.Fprintf(bw, "(%d weakly Pareto-optimal outcomes)\n", len(p.Weak))
		for _, rule := range []string{"sum", "nash_product", "maxmin"} {
			if sel, ok := p.Select[rule]; ok {
				tied := ""
				if len(sel.Tied) > 1 {
					tied = fmt.Sprintf(" (%d tied)", len(sel.Tied))
				}
				fmt.Fprintf(bw, "best by %s: %s (%s)%s\n", rule, strings.Join(sel.Outcome.Profile, ", "), strings.Join(ratStrings(sel.Outcome.Payoffs), ", "), tied)
			}
		}
	}
	if s := r.SPE; s != nil {
		unique := "unique"
		if !s.Unique {
			unique = "not unique: some player is indifferent"
		}
		fmt.Fprintf(bw, "\nsubgame-perfect equilibrium (%s): payoffs %s, path %s\n", unique, strings.Join(ratStrings(s.Payoffs), ", "), strings.Join(s.Path, " → "))
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "node\tplayer\tmove\tvalue\tties\n")
		for _, c := range s.Choices {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Node, c.Player, c.Action, strings.Join(ratStrings(c.Value), ", "), strings.Join(c.Ties, " "))
		}
		tw.Flush()
	}
	if a := r.Allocation; a != nil {
		fmt.Fprintf(bw, "\n%d splits of %s; max total welfare %s; %d envy-free\n", a.Splits, itemList(a.Items, a.Counts), a.MaxWelfare, a.EnvyFree)
		if a.MaxEnvyFreeWelfare == nil {
			fmt.Fprintf(bw, "no envy-free split\n")
		} else {
			fmt.Fprintf(bw, "max total welfare among envy-free splits: %s\n", *a.MaxEnvyFreeWelfare)
		}
		writeSplits := func(title string, ss []SplitInfo) {
			fmt.Fprintf(bw, "%s:\n", title)
			tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "%s\tpayoffs\tenvy-free\tPareto\n", strings.Join(r.Players, "\t"))
			for _, s := range ss {
				var cells []string
				for _, sh := range s.Shares {
					cells = append(cells, bundle(a.Items, sh))
				}
				fmt.Fprintf(tw, "%s\t%s\t%v\t%v\n", strings.Join(cells, "\t"), strings.Join(ratStrings(s.Payoffs), ", "), s.EnvyFree, s.Pareto)
			}
			tw.Flush()
		}
		if len(a.BestEnvyFree) > 0 {
			writeSplits("best envy-free splits", a.BestEnvyFree)
		}
		writeSplits("Pareto-optimal splits", a.ParetoOptimal)
		if a.NashBargaining != nil {
			writeSplits("Nash bargaining split (max product of gains over disagreement)", []SplitInfo{*a.NashBargaining})
		}
		if l := a.NashBargainingLottery; l != nil {
			fmt.Fprintf(bw, "Nash bargaining over lotteries: the second split with probability %s, payoffs %s\n", l.P, strings.Join(ratStrings(l.Payoffs), ", "))
			writeSplits("lottery between", []SplitInfo{l.First, l.Second})
		}
	}
	return bw.err
}

// WriteText writes the verdict for people: each player's payoff, regret and best responses,
// then the profile's welfare rank and the outcomes that Pareto-dominate it.
func (v *Verification) WriteText(w io.Writer) error {
	bw := &errWriter{w: w}
	fmt.Fprintf(bw, "game:    %s\nprofile: %s\n", v.Game, strings.Join(v.Profile, ", "))
	verdict := "not a Nash equilibrium"
	if v.Equilibrium {
		verdict = "a Nash equilibrium"
	}
	fmt.Fprintf(bw, "verdict: %s\n\n", verdict)
	for i, p := range v.Players {
		fmt.Fprintf(bw, "  %-12s payoff %-8s regret %-8s best responses: %s\n", p, v.Payoffs[i].RatString(), v.Regret[i].RatString(), strings.Join(v.BestResponses[i], ", "))
	}
	fmt.Fprintf(bw, "\nwelfare %s, rank %d of %d outcomes\n", v.Welfare, v.WelfareRank, v.Outcomes)
	if len(v.DominatedBy) == 0 {
		fmt.Fprintln(bw, "Pareto-optimal among the pure outcomes")
	} else {
		fmt.Fprintln(bw, "Pareto-dominated by:")
		for _, o := range v.DominatedBy {
			fmt.Fprintf(bw, "  %s (%s)\n", strings.Join(o.Profile, ", "), strings.Join(ratStrings(o.Payoffs), ", "))
		}
	}
	return bw.err
}

func (r *Report) strategies(i, n int) []string {
	if i < len(r.Strategies) && len(r.Strategies[i]) == n {
		return r.Strategies[i]
	}
	out := make([]string, n)
	for k := range out {
		out[k] = fmt.Sprint(k + 1)
	}
	return out
}

// mixed writes a mixed strategy: the label for a pure one, else "a:1/3 b:2/3".
func mixed(labels []string, d []*big.Rat) string {
	var parts []string
	for s, p := range d {
		if p.Sign() == 0 {
			continue
		}
		if p.Cmp(big.NewRat(1, 1)) == 0 {
			return labels[s]
		}
		parts = append(parts, labels[s]+":"+p.RatString())
	}
	return strings.Join(parts, " ")
}

func mixedFloat(labels []string, d []float64) string {
	var parts []string
	for s, p := range d {
		if p == 0 {
			continue
		}
		p = roundDigits(p, decimalDigits)
		parts = append(parts, labels[s]+":"+strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.6f", p), "0"), "."))
	}
	return strings.Join(parts, " ")
}

func ratStrings(v []*big.Rat) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = x.RatString()
	}
	return out
}

func bundle(items []string, shares []int) string {
	var parts []string
	for j, c := range shares {
		if c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, items[j]))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func itemList(items []string, counts []int) string {
	return bundle(items, counts)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// MaxMatrixText is the largest strategy count per player that [WriteMatrix] prints.
const MaxMatrixText = 12

// WriteMatrix writes a two-player game's payoff table (rows: player 1's strategies, columns:
// player 2's, cells "row payoff, column payoff" as exact fractions). It writes nothing for
// other games or for games with more than MaxMatrixText strategies per player.
func WriteMatrix(w io.Writer, g *game.Normal) error {
	if g == nil || g.NumPlayers() != 2 || g.NumStrategies(0) > MaxMatrixText || g.NumStrategies(1) > MaxMatrixText {
		return nil
	}
	A, B, _ := g.Matrices()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s \\ %s\t", g.Players()[0], g.Players()[1])
	for _, s := range g.Strategies(1) {
		fmt.Fprintf(tw, "%s\t", s)
	}
	fmt.Fprintln(tw)
	for i, s := range g.Strategies(0) {
		fmt.Fprintf(tw, "%s\t", s)
		for j := range A[i] {
			fmt.Fprintf(tw, "%s, %s\t", A[i][j].RatString(), B[i][j].RatString())
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

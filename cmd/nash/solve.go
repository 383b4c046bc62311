package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/gamefile"
)

func init() {
	register(&command{
		name:    "solve",
		summary: "solve a game file (.toml, .json or Gambit .nfg) exactly: equilibria, dominance, Pareto, SPE",
		usage:   "FILE [--method all|pure|lh|zerosum|ce|iesds|iewds|pareto|spe] [--json] [--verify s1,s2,...]",
		run:     runSolve,
	})
}

func runSolve(args []string, stdout, stderr io.Writer) error {
	c := commands["solve"]
	fs := newFlags(c, stderr)
	method := fs.String("method", "", "what to compute: "+strings.Join(solver.Methods, ", ")+" (default: spe for sequential games, all otherwise)")
	asJSON := fs.Bool("json", false, "print the stable JSON report (docs/solver.md) instead of tables")
	verify := fs.String("verify", "", "instead of solving, judge the pure profile naming one strategy per player, comma-separated (exit status 1 if it is not an equilibrium)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one game file, got %d arguments", errUsage, len(pos))
	}
	g, err := gamefile.Load(pos[0])
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *verify != "" {
		v, err := solver.VerifyChoice(g, strings.Split(*verify, ","))
		if err != nil {
			return err
		}
		if *asJSON {
			if err := writeJSON(stdout, v); err != nil {
				return err
			}
		} else {
			writeVerification(stdout, v)
		}
		if !v.Equilibrium {
			return exitError{1}
		}
		return nil
	}
	r, err := solver.Solve(ctx, g, *method)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	return r.WriteText(stdout)
}

func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

func writeVerification(w io.Writer, v *solver.Verification) {
	fmt.Fprintf(w, "game:    %s\nprofile: %s\n", v.Game, strings.Join(v.Profile, ", "))
	verdict := "not a Nash equilibrium"
	if v.Equilibrium {
		verdict = "a Nash equilibrium"
	}
	fmt.Fprintf(w, "verdict: %s\n\n", verdict)
	for i, p := range v.Players {
		fmt.Fprintf(w, "  %-12s payoff %-8s regret %-8s best responses: %s\n", p, v.Payoffs[i].RatString(), v.Regret[i].RatString(), strings.Join(v.BestResponses[i], ", "))
	}
	fmt.Fprintf(w, "\nwelfare %s, rank %d of %d outcomes\n", v.Welfare, v.WelfareRank, v.Outcomes)
	if len(v.DominatedBy) == 0 {
		fmt.Fprintln(w, "Pareto-optimal among the pure outcomes")
	} else {
		fmt.Fprintln(w, "Pareto-dominated by:")
		for _, o := range v.DominatedBy {
			var pay []string
			for _, x := range o.Payoffs {
				pay = append(pay, x.RatString())
			}
			fmt.Fprintf(w, "  %s (%s)\n", strings.Join(o.Profile, ", "), strings.Join(pay, ", "))
		}
	}
}

package experiment

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nashd/nashd/solver"
	"github.com/nashd/nashd/solver/game"
)

// Summary is what [Report] computes from an output directory: the Markdown summary and the
// charts.
type Summary struct {
	Manifest *Manifest
	Records  int
	Markdown string
	Charts   []*Chart
}

// Report recomputes the summary of the experiment in dir from its manifest.json and
// records.jsonl alone. It writes nothing.
func Report(dir string) (*Summary, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	recs, err := readRecords(dir, false)
	if err != nil {
		return nil, err
	}
	s := &Summary{Manifest: m, Records: len(recs)}
	var b strings.Builder
	fmt.Fprintf(&b, "# Experiment: %s\n\n", m.Experiment)
	fmt.Fprintf(&b, "- model file SHA-256: `%s`\n- parameters SHA-256: `%s`\n- records: %d of %d runs\n\n", orNone(m.ModelSHA256), m.ParamsHash, len(recs), m.Runs)
	switch m.Experiment {
	case KindGames:
		var c GamesConfig
		if err := json.Unmarshal(m.Params, &c); err != nil {
			return nil, fmt.Errorf("experiment: %s: %w", ManifestFile, err)
		}
		rs, err := decodeRecords[GameRecord](recs)
		if err != nil {
			return nil, err
		}
		s.Charts = gamesSummary(&b, &c, rs)
	case KindDond:
		var c DondConfig
		if err := json.Unmarshal(m.Params, &c); err != nil {
			return nil, fmt.Errorf("experiment: %s: %w", ManifestFile, err)
		}
		rs, err := decodeRecords[DondRecord](recs)
		if err != nil {
			return nil, err
		}
		if s.Charts, err = dondSummary(&b, &c, rs); err != nil {
			return nil, err
		}
	case KindGtalign:
		var c GtalignConfig
		if err := json.Unmarshal(m.Params, &c); err != nil {
			return nil, fmt.Errorf("experiment: %s: %w", ManifestFile, err)
		}
		rs, err := decodeRecords[GtalignRecord](recs)
		if err != nil {
			return nil, err
		}
		s.Charts = gtalignSummary(&b, &c, rs)
	}
	if len(s.Charts) > 0 {
		b.WriteString("\n## Plots\n\n")
		for _, c := range s.Charts {
			fmt.Fprintf(&b, "- %s: [%s.png](%s.png), [%s.svg](%s.svg)\n", c.Title, c.Name, c.Name, c.Name, c.Name)
		}
	}
	s.Markdown = b.String()
	return s, nil
}

// WriteReport computes the summary ([Report]) and writes summary.md and the plots into dir.
func WriteReport(dir string) (*Summary, error) {
	s, err := Report(dir)
	if err != nil {
		return nil, err
	}
	for _, c := range s.Charts {
		if err := c.save(dir); err != nil {
			return nil, err
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, SummaryFile), []byte(s.Markdown)); err != nil {
		return nil, err
	}
	return s, nil
}

func orNone(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func baseName(p string) string { return filepath.Base(p) }

func ratStrings(v []*big.Rat) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = x.RatString()
	}
	return out
}

// rate is k/n printed with two decimals ("–" when n is 0).
func rate(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(k)/float64(n))
}

func ratef(k, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

func num(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

func row(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |\n" }

func rule(n int) string { return "|" + strings.Repeat("---|", n) + "\n" }

// gamesSummary writes the games table: the share of runs reaching the equilibrium per game
// (rows, the suite's order) and column (mode and negotiation), and the average row.
func gamesSummary(b *strings.Builder, c *GamesConfig, rs []GameRecord) []*Chart {
	cols := c.columns()
	type cell struct{ k, n int }
	cells := map[string]*cell{}
	forfeits, claimsOK, claims, generated, turns := 0, 0, 0, 0, 0
	var totalMS, modelMS float64
	for _, r := range rs {
		key := fmt.Sprintf("%s|%s|%d", r.Game, r.Mode, r.Rounds)
		x := cells[key]
		if x == nil {
			x = &cell{}
			cells[key] = x
		}
		x.n++
		if r.Reached {
			x.k++
		}
		if r.Forfeit != nil {
			forfeits++
		}
		for _, cl := range r.Claims {
			if cl != nil {
				claims += cl.Total
				claimsOK += cl.Correct
			}
		}
		generated += r.Tokens.Generated
		turns += r.Tokens.Turns
		totalMS += r.Timings.TotalMS
		modelMS += r.Timings.ModelMS
	}
	fmt.Fprintf(b, "Share of runs reaching the Nash equilibrium (the Pareto-optimal one where several exist; for sequential games a subgame-perfect play), %d runs per cell, both agents in the column's mode; \"talk (N)\": N rounds of pre-play negotiation (simultaneous games only). Seed %d, temperature %g.\n\n",
		c.Runs, c.Seed, c.Temperature)
	head := []string{"game", "type"}
	for _, col := range cols {
		head = append(head, col.label())
	}
	b.WriteString(row(head...))
	b.WriteString(rule(len(head)))
	sums := make([]float64, len(cols))
	counts := make([]int, len(cols))
	chart := &Chart{Name: "equilibrium_rate", Title: "Equilibrium rate per game and mode", YLabel: "share of runs at the equilibrium", YMax: 1}
	for _, col := range cols {
		chart.Series = append(chart.Series, Series{Name: col.label()})
	}
	for _, g := range c.Games {
		typ := "simultaneous"
		if g.Kind == "tree" {
			typ = "sequential"
		}
		line := []string{g.Name, typ}
		chart.Categories = append(chart.Categories, g.Name)
		for j, col := range cols {
			x := cells[fmt.Sprintf("%s|%s|%d", g.Name, col.Mode, col.Rounds)]
			if x == nil || x.n == 0 {
				line = append(line, "–")
				chart.Series[j].Values = append(chart.Series[j].Values, math.NaN())
				continue
			}
			v := float64(x.k) / float64(x.n)
			sums[j] += v
			counts[j]++
			s := rate(x.k, x.n)
			if x.n != c.Runs {
				s += fmt.Sprintf(" (%d runs)", x.n)
			}
			line = append(line, s)
			chart.Series[j].Values = append(chart.Series[j].Values, v)
		}
		b.WriteString(row(line...))
	}
	avg := []string{"**average**", ""}
	chart.Categories = append(chart.Categories, "average")
	for j := range cols {
		v := math.NaN()
		if counts[j] > 0 {
			v = sums[j] / float64(counts[j])
		}
		avg = append(avg, "**"+num(v)+"**")
		chart.Series[j].Values = append(chart.Series[j].Values, v)
	}
	b.WriteString(row(avg...))
	fmt.Fprintf(b, "\nThe average is over the games with runs in the column. %d runs ended in a forfeit (no valid answer: counted as not reaching the equilibrium).", forfeits)
	if claims > 0 {
		fmt.Fprintf(b, " Prompted agents' workflow claims: %d of %d correct (%s).", claimsOK, claims, rate(claimsOK, claims))
	}
	b.WriteString("\n")
	if len(rs) > 0 {
		fmt.Fprintf(b, "\nModel: %d turns, %d generated tokens; %.1f games/min of wall time per run in sequence (mean %.0f ms a game), %.1f%% of it outside the model.\n",
			turns, generated, 60000*float64(len(rs))/math.Max(totalMS, 1e-9), totalMS/float64(len(rs)), 100*math.Max(0, 1-modelMS/math.Max(totalMS, 1e-9)))
	}
	return []*Chart{chart}
}

// dondSummary writes the per-pairing table, the reference row and the meta-game.
func dondSummary(b *strings.Builder, c *DondConfig, rs []DondRecord) ([]*Chart, error) {
	type agg struct {
		n, rounds, agree, alice, bob, pareto, ef, total int
	}
	by := map[string]*agg{}
	best := map[int]BestSplit{}
	for _, r := range rs {
		a := by[r.Pairing]
		if a == nil {
			a = &agg{}
			by[r.Pairing] = a
		}
		a.n++
		a.rounds += r.Rounds
		a.alice += r.Scores[0]
		a.bob += r.Scores[1]
		a.total += r.Total
		if r.Agreement {
			a.agree++
		}
		if r.ParetoOptimal {
			a.pareto++
		}
		if r.EnvyFree {
			a.ef++
		}
		best[r.Line] = r.Best
	}
	fmt.Fprintf(b, "Deal or No Deal on %s (%d dialogues, %d with an envy-free split counted), %d runs each, round limit %d. Seed %d, temperature %g. Scores are each player's value of its share (0 without a deal); rates are shares of runs.\n\n",
		c.Data, c.Lines, len(c.Counted), c.Runs, roundLimit(c.MaxRounds), c.Seed, c.Temperature)
	b.WriteString(row("pairing (Alice-Bob)", "runs", "rounds", "agreement", "Alice", "Bob", "Pareto-optimal", "envy-free", "total"))
	b.WriteString(rule(9))
	chart := &Chart{Name: "dond_scores", Title: "Deal or No Deal: mean scores per pairing and the solver's best", YLabel: "mean score",
		Series: []Series{{Name: "Alice"}, {Name: "Bob"}, {Name: "total"}}}
	add := func(name string, a, bo, t float64) {
		chart.Categories = append(chart.Categories, name)
		for i, v := range []float64{a, bo, t} {
			chart.Series[i].Values = append(chart.Series[i].Values, v)
		}
	}
	means := map[string][2]*big.Rat{}
	for _, p := range c.Pairings {
		a := by[p.String()]
		if a == nil {
			b.WriteString(row(p.String(), "0", "–", "–", "–", "–", "–", "–", "–"))
			continue
		}
		n := float64(a.n)
		b.WriteString(row(p.String(), fmt.Sprint(a.n), num(float64(a.rounds)/n), rate(a.agree, a.n), num(float64(a.alice)/n), num(float64(a.bob)/n),
			rate(a.pareto, a.n), rate(a.ef, a.n), num(float64(a.total)/n)))
		add(p.String(), float64(a.alice)/n, float64(a.bob)/n, float64(a.total)/n)
		means[p.String()] = [2]*big.Rat{ratMean(a.alice, a.n), ratMean(a.bob, a.n)}
	}
	var lines []int
	for l := range best {
		lines = append(lines, l)
	}
	sort.Ints(lines)
	ds := make([]Dialogue, len(lines))
	for i, l := range lines {
		ds[i] = Dialogue{Best: best[l]}
	}
	br := BestRow(ds)
	b.WriteString(row(fmt.Sprintf("**best** (solver, %d dialogues)", br.Dialogues), "–", "–", "–", num(br.Alice), num(br.Bob), "1.00", "1.00", num(br.Total)))
	add("best (solver)", br.Alice, br.Bob, br.Total)
	b.WriteString("\nThe best row: per dialogue, the envy-free split of the largest total (ties: the smallest score difference), averaged over the dialogues played.\n")
	if err := metaGame(b, c.Pairings, means); err != nil {
		return nil, err
	}
	return []*Chart{chart}, nil
}

func roundLimit(n int) int {
	if n == 0 {
		return 10
	}
	return n
}

// metaGame writes the paper's meta-question: the agent kinds as strategies, the pairings'
// mean scores as payoffs, solved by nashd's solver.
func metaGame(b *strings.Builder, pairings []Pairing, means map[string][2]*big.Rat) error {
	b.WriteString("\n## Meta-game: is adopting the workflow rational?\n\n")
	var kinds [2][]string
	for _, p := range pairings {
		for i := range 2 {
			if !contains(kinds[i], string(p[i])) {
				kinds[i] = append(kinds[i], string(p[i]))
			}
		}
	}
	A := make([][]*big.Rat, len(kinds[0]))
	B := make([][]*big.Rat, len(kinds[0]))
	var missing []string
	for i, ka := range kinds[0] {
		A[i] = make([]*big.Rat, len(kinds[1]))
		B[i] = make([]*big.Rat, len(kinds[1]))
		for j, kb := range kinds[1] {
			m, ok := means[ka+"-"+kb]
			if !ok {
				missing = append(missing, ka+"-"+kb)
				continue
			}
			A[i][j], B[i][j] = m[0], m[1]
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(b, "Not solved: the game needs every pairing of the kinds played; no runs of %s.\n", strings.Join(missing, ", "))
		return nil
	}
	nf, err := game.NewBimatrix(A, B)
	if err != nil {
		return err
	}
	if nf, err = nf.Rename([]string{"Alice", "Bob"}, [][]string{kinds[0], kinds[1]}); err != nil {
		return err
	}
	g := &game.Game{Name: "dond_meta", Description: "Deal or No Deal agent kinds, mean scores as payoffs", Normal: nf}
	rep, err := solver.Solve(context.Background(), g, "all")
	if err != nil {
		return fmt.Errorf("experiment: solve the meta-game: %w", err)
	}
	b.WriteString("Strategies: each player's agent kind; payoffs: the mean scores of the pairing (exact means of the records).\n\n")
	head := []string{"Alice \\ Bob"}
	head = append(head, kinds[1]...)
	b.WriteString(row(head...))
	b.WriteString(rule(len(head)))
	for i, ka := range kinds[0] {
		line := []string{ka}
		for j := range kinds[1] {
			line = append(line, fmt.Sprintf("%s, %s", ratNum(A[i][j]), ratNum(B[i][j])))
		}
		b.WriteString(row(line...))
	}
	fmt.Fprintf(b, "\nEquilibria (solver method %q, %d found", rep.Method, len(rep.Equilibria))
	if !rep.Complete {
		b.WriteString(", possibly not all")
	}
	b.WriteString("):\n\n")
	for _, e := range rep.Equilibria {
		var parts []string
		for i, pl := range []string{"Alice", "Bob"} {
			var mix []string
			for s, name := range kinds[i] {
				var p string
				if e.Exact() {
					p = ratNum(e.Profile[i][s])
				} else {
					p = fmt.Sprintf("%.4f", e.Approx[i][s])
				}
				mix = append(mix, fmt.Sprintf("%s %s", name, p))
			}
			parts = append(parts, pl+": "+strings.Join(mix, ", "))
		}
		pay := ""
		if e.Exact() {
			pay = ratNum(e.Payoffs[0]) + ", " + ratNum(e.Payoffs[1])
		} else {
			pay = fmt.Sprintf("%.4f, %.4f", e.ApproxPayoffs[0], e.ApproxPayoffs[1])
		}
		fmt.Fprintf(b, "- %s; payoffs (%s)\n", strings.Join(parts, "; "), pay)
	}
	if pure := pureWorkflow(rep, kinds); pure != "" {
		b.WriteString("\n" + pure + "\n")
	}
	return nil
}

// pureWorkflow says whether both players adopting the workflow is an equilibrium.
func pureWorkflow(rep *solver.Report, kinds [2][]string) string {
	wi, wj := indexOf(kinds[0], "workflow"), indexOf(kinds[1], "workflow")
	if wi < 0 || wj < 0 {
		return ""
	}
	for _, e := range rep.Equilibria {
		if e.Exact() && e.Profile[0][wi].Cmp(big.NewRat(1, 1)) == 0 && e.Profile[1][wj].Cmp(big.NewRat(1, 1)) == 0 {
			return "Both adopting the workflow is an equilibrium of the meta-game."
		}
	}
	return "Both adopting the workflow is not an equilibrium of the meta-game."
}

// ratNum prints a rational as a decimal with up to 4 places, exact values as integers.
func ratNum(r *big.Rat) string {
	if r.IsInt() {
		return r.RatString()
	}
	f, _ := r.Float64()
	return fmt.Sprintf("%.4g", f)
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// gtalignSummary writes the per-pricing table, the action distribution and the
// mutual-welfare terms.
func gtalignSummary(b *strings.Builder, c *GtalignConfig, rs []GtalignRecord) []*Chart {
	type agg struct {
		n, parse, payoff, format, agree, respOK, words, tokens, completion, withA, retries, repaired int
		genMS                                                                                        float64
		actions                                                                                      map[string]int
		u, l, w, lin, a                                                                              float64
	}
	by := map[string]*agg{}
	strategies := map[string]bool{}
	for _, r := range rs {
		a := by[r.Pricing]
		if a == nil {
			a = &agg{actions: map[string]int{}}
			by[r.Pricing] = a
		}
		a.n++
		a.retries += r.Retries
		if len(r.Repairs) > 0 {
			a.repaired++
		}
		if r.ParseOK {
			a.parse++
			if r.Agree {
				a.agree++
			}
		}
		if r.Score.Terms.PayoffOK {
			a.payoff++
		}
		if r.Score.Terms.FormatOK {
			a.format++
		}
		if r.ResponseCheck {
			a.respOK++
		}
		if r.AppliedStrategy != "" {
			a.actions[r.AppliedStrategy]++
			strategies[r.AppliedStrategy] = true
		}
		a.words += r.Score.Terms.ResponseWords
		a.tokens += r.ResponseTokens
		a.completion += r.Usage.CompletionTokens
		for _, p := range r.Timings.PassMS {
			a.genMS += p.GenerateMS
		}
		a.u += r.Score.U
		a.l += r.Score.L
		a.w += r.Score.W
		a.lin += r.Score.Linear
		if r.Quality != nil {
			a.withA++
			a.a += *r.Quality
		}
	}
	var strat []string
	for s := range strategies {
		strat = append(strat, s)
	}
	sort.Strings(strat)
	withRef := 0
	for _, p := range c.Prompts {
		if p.Reference != "" {
			withRef++
		}
	}
	fmt.Fprintf(b, "GTAlign over %s (%d prompts, %d with a reference answer), rule %s, %d runs each. Seed %d, temperature %g.\n\n",
		c.PromptsFile, len(c.Prompts), withRef, c.Rule, c.Runs, c.Seed, c.Temperature)
	switch {
	case c.Judge != nil:
		fmt.Fprintf(b, "Answer quality A: the judge model %s (%s, SHA-256 `%s`).\n\n", c.Judge.Name, c.Judge.Model, orNone(c.Judge.ModelSHA256))
	case withRef > 0:
		b.WriteString("Answer quality A: the reference answers (word-overlap F1; no judge model).\n\n")
	default:
		b.WriteString("Answer quality A: none (no judge model, no reference answers): the welfare terms are without A.\n\n")
	}
	b.WriteString("## Validity and agreement\n\n")
	b.WriteString(row("pricing", "runs", "matrix parsed", "payoff valid", "format valid", "response form ok", "model = solver", "response words", "response tokens", "tokens/s"))
	b.WriteString(rule(10))
	for _, p := range c.Pricing {
		a := by[p.Name]
		if a == nil {
			b.WriteString(row(p.Name, "0", "–", "–", "–", "–", "–", "–", "–", "–"))
			continue
		}
		n := float64(a.n)
		tps := math.NaN()
		if a.genMS > 0 {
			tps = float64(a.completion) / (a.genMS / 1000)
		}
		b.WriteString(row(p.Name, fmt.Sprint(a.n), rate(a.parse, a.n), rate(a.payoff, a.n), rate(a.format, a.n), rate(a.respOK, a.n), rate(a.agree, a.parse),
			num(float64(a.words)/n), num(float64(a.tokens)/n), num(tps)))
	}
	b.WriteString("\n\"model = solver\" is over the runs whose matrix parsed; tokens/s is the completion tokens over the generation time of all passes.\n")
	for _, p := range c.Pricing {
		if a := by[p.Name]; a != nil && (a.retries > 0 || a.repaired > 0) {
			fmt.Fprintf(b, "\nThe model took no grammar (a remote server of the openai dialect): under %s, pass 1 was retried %d times, and %d of %d runs needed a tolerant reading of it.\n", p.Name, a.retries, a.repaired, a.n)
		}
	}
	b.WriteString("\n## Action distribution per pricing\n\n")
	head := append([]string{"pricing", "version"}, strat...)
	b.WriteString(row(head...))
	b.WriteString(rule(len(head)))
	chart := &Chart{Name: "action_distribution", Title: "GTAlign: the applied strategy per pricing", YLabel: "share of runs", YMax: 1}
	for _, s := range strat {
		chart.Series = append(chart.Series, Series{Name: s})
	}
	for _, p := range c.Pricing {
		line := []string{p.Name, orDash(p.Version)}
		chart.Categories = append(chart.Categories, p.Name)
		a := by[p.Name]
		for i, s := range strat {
			if a == nil {
				line = append(line, "–")
				chart.Series[i].Values = append(chart.Series[i].Values, math.NaN())
				continue
			}
			line = append(line, rate(a.actions[s], a.n))
			chart.Series[i].Values = append(chart.Series[i].Values, ratef(a.actions[s], a.n))
		}
		b.WriteString(row(line...))
	}
	b.WriteString("\n## Mutual welfare (GTAlign's reward terms)\n\n")
	b.WriteString(row("pricing", "runs with A", "mean A", "U", "L", "W = √(U·L)", "(U+L)/2"))
	b.WriteString(rule(7))
	for _, p := range c.Pricing {
		a := by[p.Name]
		if a == nil {
			continue
		}
		n := float64(a.n)
		meanA := math.NaN()
		if a.withA > 0 {
			meanA = a.a / float64(a.withA)
		}
		b.WriteString(row(p.Name, fmt.Sprintf("%d of %d", a.withA, a.n), num(meanA), fmt.Sprintf("%.4f", a.u/n), fmt.Sprintf("%.4f", a.l/n), fmt.Sprintf("%.4f", a.w/n), fmt.Sprintf("%.4f", a.lin/n)))
	}
	qualityNote(b, c, rs, withRef)
	return []*Chart{chart}
}

// qualityNote says where the answer quality A of the welfare table came from and what the
// runs without A mean.
func qualityNote(b *strings.Builder, c *GtalignConfig, rs []GtalignRecord, withRef int) {
	const without = "their U and L are the terms without A (0.5·A in U and 0.4·A in L left out), so W is lower for them by construction"
	if c.Judge == nil {
		switch {
		case withRef == 0:
			b.WriteString("\nThere is no answer quality A: no judge model was configured and no prompt has a reference answer, so U and L are the terms without A (0.5·A in U and 0.4·A in L left out) in every run. Give --judge NAME (a model of models.toml), or add \"reference\" answers to the prompts, to measure it.\n")
		case withRef == len(c.Prompts):
			b.WriteString("\nThe answer quality A is the word-overlap F1 between the response and the prompt's reference answer (no judge model).\n")
		default:
			fmt.Fprintf(b, "\nThe answer quality A is the word-overlap F1 between the response and the prompt's reference answer (no judge model); prompts without a reference have no A, and %s.\n", without)
		}
		return
	}
	scale := c.Judge.Scale
	var scored, empty, none, both int
	var judgeA, overlap float64
	for _, r := range rs {
		v := r.Judge
		switch {
		case v == nil:
			continue
		case v.Score != nil:
			scored++
		case r.Quality != nil:
			empty++
		default:
			none++
		}
		if r.Quality != nil && r.Overlap != nil && v.Score != nil {
			both++
			judgeA += *r.Quality
			overlap += *r.Overlap
		}
	}
	fmt.Fprintf(b, "\nThe answer quality A is the judge model %s's score of each response, an integer s from 1 to %d (grammar-constrained, greedy), as A = (s−1)/%d; its rubric shows the request, the reference answer where there is one, and the response. The judge scored %d of %d runs", c.Judge.Name, scale, scale-1, scored, len(rs))
	if empty > 0 {
		fmt.Fprintf(b, "; %d empty responses got A = 0 without asking it", empty)
	}
	b.WriteString(".")
	if none > 0 {
		fmt.Fprintf(b, " In %d runs its answer held no score: those runs have no A, and %s.", none, without)
	}
	b.WriteString("\n")
	if both > 0 {
		fmt.Fprintf(b, "\nOver the %d judged runs with a reference answer: mean judge A %.4f, mean word-overlap F1 %.4f.\n", both, judgeA/float64(both), overlap/float64(both))
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

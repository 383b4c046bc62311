// Command benchlrs compares nashd's extreme-equilibrium enumeration (bimatrix.Enumerate) with
// lrsnash on the same seeded random n×n games (integer payoffs 0..hi), checking that both find the
// same set of equilibria, and prints per size the median times and their ratios. lrsnash runs as a
// whole process; nashd is timed both in-process and as a process (this program run with -solve on
// the same input file: start-up, reading, solving, printing). The last line is
//
//	solver_vs_lrsnash=X
//
// with X the geometric mean over sizes of (nashd process median ÷ lrsnash median); the line before
// it gives the same ratio for the in-process time.
//
// Usage:
//
//	benchlrs [-sizes 6,8,10,12] [-seeds 5] [-hi 99]
//	benchlrs -solve FILE   (solve one game in lrsnash format, print the equilibria)
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nashd/nashd/solver/bimatrix"
	"github.com/nashd/nashd/solver/bimatrix/lrsnash"
)

func main() {
	sizes := flag.String("sizes", "6,8,10,12", "comma-separated game sizes n (n×n games)")
	seeds := flag.Int("seeds", 5, "games per size")
	hi := flag.Int64("hi", 99, "payoffs are uniform integers in 0..hi")
	solve := flag.String("solve", "", "solve one game file in lrsnash format and print its equilibria")
	flag.Parse()
	var err error
	if *solve != "" {
		err = solveFile(*solve)
	} else {
		err = bench(*sizes, *seeds, *hi)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchlrs:", err)
		os.Exit(1)
	}
}

func solveFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	A, B, err := lrsnash.ReadGame(bufio.NewReader(f))
	if err != nil {
		return err
	}
	eqs, err := bimatrix.Enumerate(A, B)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for _, e := range eqs {
		fmt.Fprintln(w, key(e.X, e.Y), e.U.RatString(), e.V.RatString())
	}
	fmt.Fprintf(w, "equilibria %d\n", len(eqs))
	return w.Flush()
}

func key(x, y []*big.Rat) string {
	var b strings.Builder
	for _, v := range x {
		b.WriteString(v.RatString() + " ")
	}
	b.WriteString("|")
	for _, v := range y {
		b.WriteString(" " + v.RatString())
	}
	return b.String()
}

func randomGame(r *rand.Rand, n int, hi int64) (A, B [][]*big.Rat) {
	gen := func() [][]*big.Rat {
		M := make([][]*big.Rat, n)
		for i := range M {
			M[i] = make([]*big.Rat, n)
			for j := range M[i] {
				M[i][j] = big.NewRat(r.Int64N(hi+1), 1)
			}
		}
		return M
	}
	return gen(), gen()
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func bench(sizeList string, seeds int, hi int64) error {
	lrsPath, err := lrsnash.Path()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "benchlrs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var logIn, logProc float64
	var nsizes int
	fmt.Printf("%4s %5s %12s %12s %12s %9s %9s  %s\n", "n", "games", "lrsnash", "nashd-proc", "nashd-inproc", "proc/lrs", "inproc/lrs", "equilibria")
	for _, field := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return fmt.Errorf("bad size %q", field)
		}
		var tl, tp, ti []time.Duration
		var counts []string
		for s := range seeds {
			r := rand.New(rand.NewPCG(uint64(n), uint64(s)))
			A, B := randomGame(r, n, hi)
			file := filepath.Join(dir, fmt.Sprintf("g%d_%d", n, s))
			f, err := os.Create(file)
			if err != nil {
				return err
			}
			if err := lrsnash.WriteGame(f, A, B); err != nil {
				return err
			}
			f.Close()

			start := time.Now()
			want, err := lrsnash.RunFile(context.Background(), lrsPath, file, n, n)
			tl = append(tl, time.Since(start))
			if err != nil {
				return err
			}

			start = time.Now()
			out, err := exec.Command(self, "-solve", file).Output()
			tp = append(tp, time.Since(start))
			if err != nil {
				return fmt.Errorf("nashd process on %s: %w", file, err)
			}

			start = time.Now()
			got, err := bimatrix.Enumerate(A, B)
			ti = append(ti, time.Since(start))
			if err != nil {
				return err
			}

			if err := sameSet(got, want); err != nil {
				return fmt.Errorf("n=%d seed=%d: %w", n, s, err)
			}
			if !strings.HasSuffix(string(out), fmt.Sprintf("equilibria %d\n", len(got))) {
				return fmt.Errorf("n=%d seed=%d: process output disagrees with in-process result", n, s)
			}
			counts = append(counts, strconv.Itoa(len(got)))
		}
		ml, mp, mi := median(tl), median(tp), median(ti)
		rp, ri := mp.Seconds()/ml.Seconds(), mi.Seconds()/ml.Seconds()
		fmt.Printf("%4d %5d %12s %12s %12s %9.3f %9.3f  %s (identical sets)\n", n, seeds,
			ml.Round(time.Microsecond), mp.Round(time.Microsecond), mi.Round(time.Microsecond), rp, ri, strings.Join(counts, ","))
		logProc += math.Log(rp)
		logIn += math.Log(ri)
		nsizes++
	}
	fmt.Printf("solver_inprocess_vs_lrsnash=%.3f\n", math.Exp(logIn/float64(nsizes)))
	fmt.Printf("solver_vs_lrsnash=%.3f\n", math.Exp(logProc/float64(nsizes)))
	return nil
}

func sameSet(got []bimatrix.Equilibrium, want []lrsnash.Equilibrium) error {
	g := map[string]bool{}
	for _, e := range got {
		g[key(e.X, e.Y)] = true
	}
	w := map[string]bool{}
	for _, e := range want {
		w[key(e.X, e.Y)] = true
	}
	for k := range w {
		if !g[k] {
			return fmt.Errorf("nashd misses lrsnash's equilibrium %s", k)
		}
	}
	for k := range g {
		if !w[k] {
			return fmt.Errorf("nashd finds %s, lrsnash does not", k)
		}
	}
	if len(got) != len(g) {
		return fmt.Errorf("nashd reports duplicates")
	}
	return nil
}

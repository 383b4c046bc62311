// Package lrsnash runs lrsnash (lrslib, D. Avis; Debian package lrslib), the reference
// implementation of extreme-equilibrium enumeration for bimatrix games, and parses its output.
// nashd uses it as an independent oracle in tests and benchmarks; tests get it through
// [Require], which fails when lrsnash is missing (unless NASHD_SKIP_ORACLE=1).
//
// Input ([WriteGame]): "m n", a blank line, the m rows of A, a blank line, the m rows of B.
// Output ([Parse]): groups of one or more lines "2 y_1 … y_n u" (a column strategy and the row
// player's payoff) followed by one or more lines "1 x_1 … x_m v" (a row strategy and the column
// player's payoff). Every pairing of a group's x lines with its y lines is an extreme equilibrium;
// in degenerate games a group can have several lines of each kind.
package lrsnash

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"strings"
)

// Equilibrium is one extreme equilibrium printed by lrsnash: strategies X (row player) and Y
// (column player) with payoffs U to the row player and V to the column player.
type Equilibrium struct {
	X, Y []*big.Rat
	U, V *big.Rat
}

// ErrNotInstalled is returned by [Path] and [Run] when no lrsnash executable is found.
var ErrNotInstalled = errors.New("lrsnash: not installed (apt-get install lrslib)")

// Path returns the path of the lrsnash executable found in $PATH.
func Path() (string, error) {
	p, err := exec.LookPath("lrsnash")
	if err != nil {
		return "", ErrNotInstalled
	}
	return p, nil
}

// WriteGame writes the game (A, B), both m×n, in lrsnash's input format.
func WriteGame(w io.Writer, A, B [][]*big.Rat) error {
	if len(A) == 0 || len(A[0]) == 0 || len(B) != len(A) {
		return fmt.Errorf("lrsnash: write game: empty or mismatched matrices")
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d %d\n", len(A), len(A[0]))
	for _, M := range [][][]*big.Rat{A, B} {
		bw.WriteString("\n")
		for _, row := range M {
			if len(row) != len(A[0]) {
				return fmt.Errorf("lrsnash: write game: ragged matrix")
			}
			for j, v := range row {
				if j > 0 {
					bw.WriteByte(' ')
				}
				bw.WriteString(v.RatString())
			}
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// Run writes (A, B) to a temporary file, runs lrsnash on it and returns the parsed equilibria.
func Run(ctx context.Context, A, B [][]*big.Rat) ([]Equilibrium, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "lrsnash-*.txt")
	if err != nil {
		return nil, fmt.Errorf("lrsnash: %w", err)
	}
	defer os.Remove(f.Name())
	if err := WriteGame(f, A, B); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("lrsnash: %w", err)
	}
	return RunFile(ctx, path, f.Name(), len(A), len(A[0]))
}

// RunFile runs the lrsnash executable at path on an input file of an m×n game.
func RunFile(ctx context.Context, path, file string, m, n int) ([]Equilibrium, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, path, file)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("lrsnash %s: %w: %s", file, err, strings.TrimSpace(errb.String()))
	}
	eqs, err := Parse(&out, m, n)
	if err != nil {
		return nil, fmt.Errorf("lrsnash %s: %w", file, err)
	}
	return eqs, nil
}

// Parse reads lrsnash's output for an m×n game. Lines starting with '*' are comments.
func Parse(r io.Reader, m, n int) ([]Equilibrium, error) {
	type line struct {
		s   []*big.Rat
		pay *big.Rat
	}
	var (
		out  []Equilibrium
		ys   []line // the "2" lines of the current group
		xs   []line // the "1" lines of the current group
		lnum int
	)
	flush := func() {
		for _, x := range xs {
			for _, y := range ys {
				out = append(out, Equilibrium{X: x.s, Y: y.s, U: y.pay, V: x.pay})
			}
		}
		xs, ys = nil, nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		lnum++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "*") {
			continue
		}
		var size int
		switch f[0] {
		case "1":
			size = m
		case "2":
			size = n
			if len(xs) > 0 {
				flush()
			}
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", lnum, sc.Text())
		}
		if len(f) != size+2 {
			return nil, fmt.Errorf("line %d: %d fields, want %d", lnum, len(f), size+2)
		}
		vals := make([]*big.Rat, size+1)
		for k, s := range f[1:] {
			v, ok := new(big.Rat).SetString(s)
			if !ok {
				return nil, fmt.Errorf("line %d: bad number %q", lnum, s)
			}
			vals[k] = v
		}
		l := line{s: vals[:size], pay: vals[size]}
		if f[0] == "1" {
			if len(ys) == 0 {
				return nil, fmt.Errorf("line %d: strategy of player 1 before any of player 2", lnum)
			}
			xs = append(xs, l)
		} else {
			ys = append(ys, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ys) > 0 && len(xs) == 0 {
		return nil, fmt.Errorf("line %d: group without a strategy of player 1", lnum)
	}
	flush()
	return out, nil
}

// ReadGame reads a game in lrsnash's input format ([WriteGame]): "m n", then the m·n entries of A
// and the m·n entries of B, separated by white space; entries are integers, decimals or a/b.
func ReadGame(r io.Reader) (A, B [][]*big.Rat, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	sc.Split(bufio.ScanWords)
	next := func(what string) (string, error) {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return "", err
			}
			return "", fmt.Errorf("lrsnash: read game: missing %s", what)
		}
		return sc.Text(), nil
	}
	var dims [2]int
	for k, what := range []string{"row count", "column count"} {
		s, err := next(what)
		if err != nil {
			return nil, nil, err
		}
		if _, err := fmt.Sscanf(s, "%d", &dims[k]); err != nil || dims[k] < 1 || dims[k] > 1<<16 {
			return nil, nil, fmt.Errorf("lrsnash: read game: bad %s %q", what, s)
		}
	}
	m, n := dims[0], dims[1]
	if m*n > 1<<20 {
		return nil, nil, fmt.Errorf("lrsnash: read game: %d×%d is too large", m, n)
	}
	read := func(name string) ([][]*big.Rat, error) {
		M := make([][]*big.Rat, m)
		for i := range M {
			M[i] = make([]*big.Rat, n)
			for j := range M[i] {
				s, err := next(fmt.Sprintf("%s[%d][%d]", name, i, j))
				if err != nil {
					return nil, err
				}
				v, ok := new(big.Rat).SetString(s)
				if !ok {
					return nil, fmt.Errorf("lrsnash: read game: %s[%d][%d]: bad number %q", name, i, j, s)
				}
				M[i][j] = v
			}
		}
		return M, nil
	}
	if A, err = read("A"); err != nil {
		return nil, nil, err
	}
	if B, err = read("B"); err != nil {
		return nil, nil, err
	}
	if sc.Scan() {
		return nil, nil, fmt.Errorf("lrsnash: read game: trailing %q", sc.Text())
	}
	return A, B, sc.Err()
}

package game

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxExponent bounds the decimal exponent accepted by [ParseRat] (1e400 is fine, 1e999999999
// would allocate gigabytes); MaxDigits bounds the digits of an integer or of each side of a
// fraction, and MaxMantissa those of a decimal's mantissa, so that every value ParseRat accepts
// has a canonical form (big.Rat.RatString) it accepts too.
const (
	MaxExponent = 400
	MaxDigits   = 1000
	MaxMantissa = 500
)

// ErrSyntax reports a malformed number.
var ErrSyntax = errors.New("game: invalid number")

// ParseRat parses an exact rational: an integer ("-3"), a decimal with an optional exponent
// ("2.5", ".5", "1e-3", "1.25E2") or a fraction of two integers ("1/3", "-7/2"). Unlike
// big.Rat.SetString it accepts no base prefixes, no spaces and bounded sizes only.
func ParseRat(s string) (*big.Rat, error) {
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err := parseInt(num, true)
		if err != nil {
			return nil, fmt.Errorf("%w %q", ErrSyntax, s)
		}
		d, err := parseInt(den, false)
		if err != nil || d.Sign() == 0 {
			return nil, fmt.Errorf("%w %q (denominator)", ErrSyntax, s)
		}
		return new(big.Rat).SetFrac(n, d), nil
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
		if exp == "" {
			return nil, fmt.Errorf("%w %q", ErrSyntax, s)
		}
	}
	neg := false
	if mant != "" && (mant[0] == '+' || mant[0] == '-') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	ip, fp, hasDot := strings.Cut(mant, ".")
	if (ip == "" && fp == "") || !digits(ip) || !digits(fp) || (hasDot && strings.ContainsAny(fp, "+-")) {
		return nil, fmt.Errorf("%w %q", ErrSyntax, s)
	}
	if len(ip)+len(fp) > MaxMantissa {
		return nil, fmt.Errorf("%w %q (more than %d digits)", ErrSyntax, s, MaxMantissa)
	}
	e := 0
	if exp != "" {
		v, err := strconv.Atoi(exp)
		if err != nil || exp[0] == ' ' || v > MaxExponent || v < -MaxExponent {
			return nil, fmt.Errorf("%w %q (exponent)", ErrSyntax, s)
		}
		e = v
	}
	n, ok := new(big.Int).SetString("0"+ip+fp, 10)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrSyntax, s)
	}
	if neg {
		n.Neg(n)
	}
	e -= len(fp)
	r := new(big.Rat).SetInt(n)
	if e != 0 {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil)
		if e > 0 {
			r.Mul(r, new(big.Rat).SetInt(p))
		} else {
			r.Quo(r, new(big.Rat).SetInt(p))
		}
	}
	return r, nil
}

func parseInt(s string, signed bool) (*big.Int, error) {
	t := s
	if signed && t != "" && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	if t == "" || !digits(t) || len(t) > MaxDigits {
		return nil, ErrSyntax
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, ErrSyntax
	}
	return n, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// FormatRat writes r as "p/q", or "p" when r is an integer (the form nash solve --json uses).
func FormatRat(r *big.Rat) string { return r.RatString() }

// RatFromFloat converts a float64 to the rational with the same shortest decimal
// representation ("0.1" rather than the binary fraction 3602879701896397/36028797018963968).
// Decoders of formats that only offer float64 (TOML floats) use it.
func RatFromFloat(f float64) (*big.Rat, error) {
	return ParseRat(strconv.FormatFloat(f, 'g', -1, 64))
}

// MustRat is ParseRat for constants in code and tests; it panics on a malformed literal.
func MustRat(s string) *big.Rat {
	r, err := ParseRat(s)
	if err != nil {
		panic(err)
	}
	return r
}

// Rats converts literals with [MustRat].
func Rats(ss ...string) []*big.Rat {
	out := make([]*big.Rat, len(ss))
	for i, s := range ss {
		out[i] = MustRat(s)
	}
	return out
}

// IntRats converts integers to rationals.
func IntRats(xs ...int64) []*big.Rat {
	out := make([]*big.Rat, len(xs))
	for i, x := range xs {
		out[i] = new(big.Rat).SetInt64(x)
	}
	return out
}

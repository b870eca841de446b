// Package decimal owns stella's exact decimal numbers.
//
// A D is a fixed-point number with six fractional digits held in an int64
// (micro-units), so scores, deltas and EPSS probabilities add and compare
// exactly and print the same on every machine. Parsing rounds half away from
// zero beyond six places; Round3 gives the three-place values that appear in
// findings.
package decimal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// D is a decimal number scaled by 1e6.
type D int64

// Scale is the number of micro-units in one.
const Scale = 1_000_000

// Common values.
const (
	Zero D = 0
	One  D = Scale
	Ten  D = 10 * Scale
)

var errSyntax = errors.New("invalid decimal")

// Int returns n as a decimal.
func Int(n int64) D { return D(n * Scale) }

// Parse reads a decimal such as "42", "-1.5", "+0.50" or "9.3e-05".
func Parse(s string) (D, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", errSyntax)
	}
	orig := s
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 30 || e < -30 {
			return 0, fmt.Errorf("%w: %q", errSyntax, orig)
		}
		exp, s = e, s[:i]
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%w: %q", errSyntax, orig)
	}
	digits := intPart + frac
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q", errSyntax, orig)
		}
	}
	// The value is digits × 10^(exp - len(frac)); we want it × 10^6.
	shift := exp - len(frac) + 6
	digits = strings.TrimLeft(digits, "0")
	var v int64
	roundUp := false
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			digits = ""
		} else {
			roundUp = cut < len(digits) && digits[cut] >= '5'
			digits = digits[:cut]
		}
		shift = 0
	}
	if len(digits)+shift > 18 {
		return 0, fmt.Errorf("decimal out of range: %q", orig)
	}
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	for range shift {
		v *= 10
	}
	if roundUp {
		v++
	}
	if neg {
		v = -v
	}
	return D(v), nil
}

// MustParse is Parse for constants; it panics on a bad literal.
func MustParse(s string) D {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// FromFloat converts f, rounding to six places. It is for values that arrive
// as floats from other libraries (CVSS calculators), never for arithmetic.
func FromFloat(f float64) D {
	d, err := Parse(strconv.FormatFloat(f, 'f', -1, 64))
	if err != nil {
		return 0
	}
	return d
}

// String prints the shortest exact form: "0", "-1.5", "0.00043".
func (d D) String() string {
	neg := d < 0
	u := uint64(d)
	if neg {
		u = uint64(-d)
	}
	ip, fp := u/Scale, u%Scale
	s := strconv.FormatUint(ip, 10)
	if fp != 0 {
		f := strings.TrimRight(fmt.Sprintf("%06d", fp), "0")
		s += "." + f
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Fixed prints d with exactly n (0–6) fractional digits, rounding half away
// from zero.
func (d D) Fixed(n int) string {
	r := d.Round(n)
	s := r.String()
	ip, fp, _ := strings.Cut(s, ".")
	if n == 0 {
		return ip
	}
	return ip + "." + fp + strings.Repeat("0", n-len(fp))
}

// Round rounds to n fractional digits (0–6), half away from zero.
func (d D) Round(n int) D {
	if n >= 6 {
		return d
	}
	unit := D(1)
	for range 6 - n {
		unit *= 10
	}
	half := unit / 2
	if d < 0 {
		return -((-d + half) / unit * unit)
	}
	return (d + half) / unit * unit
}

// Round3 rounds to three places, the precision of scores in findings.
func (d D) Round3() D { return d.Round(3) }

// Add returns d + e.
func (d D) Add(e D) D { return d + e }

// Sub returns d - e.
func (d D) Sub(e D) D { return d - e }

// Mul returns d × e rounded to six places.
func (d D) Mul(e D) D {
	return D(mulDiv(int64(d), int64(e), Scale))
}

// Div returns d ÷ e rounded to six places; division by zero gives zero and false.
func (d D) Div(e D) (D, bool) {
	if e == 0 {
		return 0, false
	}
	return D(mulDiv(int64(d), Scale, int64(e))), true
}

// mulDiv computes a*b/c rounded half away from zero without overflow for the
// magnitudes stella uses (scores, percentages, probabilities).
func mulDiv(a, b, c int64) int64 {
	neg := (a < 0) != (b < 0) != (c < 0)
	ua, ub, uc := abs(a), abs(b), abs(c)
	hi, lo := mul64(ua, ub)
	q, r := div128(hi, lo, uc)
	if r*2 >= uc {
		q++
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

func abs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

// Clamp limits d to [lo, hi].
func (d D) Clamp(lo, hi D) D { return max(lo, min(hi, d)) }

// Cmp compares d and e: -1, 0 or +1.
func (d D) Cmp(e D) int {
	switch {
	case d < e:
		return -1
	case d > e:
		return 1
	}
	return 0
}

// Float returns d as a float64 for display and for JSON numbers.
func (d D) Float() float64 { return float64(d) / Scale }

// MarshalJSON writes d as a JSON number in its shortest exact form.
func (d D) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// AppendCanonical appends d's canonical JSON (its MarshalJSON bytes, which
// are canonical) for canon.Append.
func (d D) AppendCanonical(b []byte) ([]byte, error) { return append(b, d.String()...), nil }

// UnmarshalJSON reads a JSON number or a numeric string.
func (d *D) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

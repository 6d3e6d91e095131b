// Package fixed holds the overflow-safe integer arithmetic the modules
// share: products and quotients through 128 bits, saturating sums.
package fixed

import "math/bits"

// MulDiv returns a × b / c rounded down, and false if c is 0 or the
// result does not fit in 64 bits.
func MulDiv(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if c == 0 || hi >= c {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, c)
	return q, true
}

// MulDivCeil is MulDiv rounded up.
func MulDivCeil(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if c == 0 || hi >= c {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, c)
	if r != 0 {
		if q == ^uint64(0) {
			return 0, false
		}
		q++
	}
	return q, true
}

// Frac returns a × b / c rounded down for b ≤ c (a fraction of a, which
// always fits).
func Frac(a, b, c uint64) uint64 {
	q, _ := MulDiv(a, b, c)
	return q
}

// SatAdd returns a + b, or the largest uint64 if that overflows.
func SatAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}

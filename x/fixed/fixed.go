// Package fixed holds the integer arithmetic the modules share, so that
// none writes its own: the units of fractions (BPS, PPM), checked and
// saturating sums and products, products and quotients through 128 bits
// (MulDiv), and 128- and 192-bit numbers (U128, U192). No floats, no
// math/big on a state path: every validator computes the same bits.
package fixed

import "math/bits"

// The units of the fractions stored in params and records: a field named
// …_bps is in basis points of BPS, a field named …_ppm in parts of PPM.
const (
	BPS = 10_000    // one, in basis points
	PPM = 1_000_000 // one, in parts per million
)

// Add returns a + b and whether it fits in 64 bits (if not, the sum
// wrapped).
func Add(a, b uint64) (uint64, bool) {
	s, carry := bits.Add64(a, b, 0)
	return s, carry == 0
}

// Mul returns a × b and whether it fits in 64 bits (if not, the low 64
// bits of the product).
func Mul(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0
}

// SatAdd returns a + b, or the largest uint64 if that overflows.
func SatAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}

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
// always fits): Frac(stake, slashBps, BPS).
func Frac(a, b, c uint64) uint64 {
	q, _ := MulDiv(a, b, c)
	return q
}

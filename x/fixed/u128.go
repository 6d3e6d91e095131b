package fixed

import (
	"cmp"
	"encoding/binary"
	"math/big"
	"math/bits"
)

// U128 is an unsigned 128-bit integer: reward weights (productivity ×
// quality × geography × boost), the share books' reward-per-share
// accumulator (a 64.64 fixed-point number), exact comparisons of 64-bit
// products.
type U128 struct{ Hi, Lo uint64 }

// Mul64 returns a × b, which always fits.
func Mul64(a, b uint64) U128 {
	hi, lo := bits.Mul64(a, b)
	return U128{hi, lo}
}

// U128FromBytes decodes the 16-byte big-endian form (Bytes); any other
// length is 0.
func U128FromBytes(b []byte) U128 {
	if len(b) != 16 {
		return U128{}
	}
	return U128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// Bytes is the 16-byte big-endian form.
func (u U128) Bytes() []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), u.Hi), u.Lo)
}

// Add returns u + v and whether it fits (if not, the sum wrapped).
func (u U128) Add(v U128) (U128, bool) {
	lo, c := bits.Add64(u.Lo, v.Lo, 0)
	hi, c := bits.Add64(u.Hi, v.Hi, c)
	return U128{hi, lo}, c == 0
}

// Sub returns u − v and whether v ≤ u (if not, the difference wrapped).
func (u U128) Sub(v U128) (U128, bool) {
	lo, b := bits.Sub64(u.Lo, v.Lo, 0)
	hi, b := bits.Sub64(u.Hi, v.Hi, b)
	return U128{hi, lo}, b == 0
}

// Mul64 returns u × b and whether it fits in 128 bits.
func (u U128) Mul64(b uint64) (U128, bool) {
	h1, l1 := bits.Mul64(u.Lo, b)
	h2, l2 := bits.Mul64(u.Hi, b)
	hi, c := bits.Add64(l2, h1, 0)
	return U128{hi, l1}, h2 == 0 && c == 0
}

// MulShr64 returns u × b / 2^64 rounded down (b times u read as a 64.64
// fixed-point number), which always fits.
func (u U128) MulShr64(b uint64) U128 {
	h1, _ := bits.Mul64(u.Lo, b)
	h2, l2 := bits.Mul64(u.Hi, b)
	lo, c := bits.Add64(l2, h1, 0)
	return U128{h2 + c, lo}
}

// Div64 returns u / d rounded down and the remainder. d must not be 0.
func (u U128) Div64(d uint64) (q U128, r uint64) {
	q.Hi, r = bits.Div64(0, u.Hi, d)
	q.Lo, r = bits.Div64(r, u.Lo, d)
	return q, r
}

// Rsh returns u >> n.
func (u U128) Rsh(n uint) U128 {
	switch {
	case n == 0:
		return u
	case n < 64:
		return U128{u.Hi >> n, u.Lo>>n | u.Hi<<(64-n)}
	case n < 128:
		return U128{0, u.Hi >> (n - 64)}
	}
	return U128{}
}

// Cmp returns -1, 0 or +1 as u is less than, equal to or greater than v.
func (u U128) Cmp(v U128) int {
	if u.Hi != v.Hi {
		return cmp.Compare(u.Hi, v.Hi)
	}
	return cmp.Compare(u.Lo, v.Lo)
}

// String is the decimal form (math/big here only formats, never decides).
func (u U128) String() string {
	b := new(big.Int).SetUint64(u.Hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(u.Lo)).String()
}

// U192 is an unsigned 192-bit integer: a sum of U128s that cannot
// overflow (fewer than 2^64 of them).
type U192 struct{ W2, Hi, Lo uint64 }

// Add128 adds u (wrapping at 2^192, which a sum of fewer than 2^64
// U128s never reaches).
func (s *U192) Add128(u U128) {
	var c uint64
	s.Lo, c = bits.Add64(s.Lo, u.Lo, 0)
	s.Hi, c = bits.Add64(s.Hi, u.Hi, c)
	s.W2 += c
}

// BitLen is the number of bits s needs (0 for 0).
func (s U192) BitLen() int {
	switch {
	case s.W2 != 0:
		return 128 + bits.Len64(s.W2)
	case s.Hi != 0:
		return 64 + bits.Len64(s.Hi)
	}
	return bits.Len64(s.Lo)
}

// String is the decimal form.
func (s U192) String() string {
	b := new(big.Int).SetUint64(s.W2)
	b.Lsh(b, 64)
	b.Or(b, new(big.Int).SetUint64(s.Hi))
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(s.Lo)).String()
}

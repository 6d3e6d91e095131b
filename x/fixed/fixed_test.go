package fixed

import (
	"bytes"
	"math/big"
	"testing"
)

func TestFixed(t *testing.T) {
	const max = ^uint64(0)
	for _, tc := range []struct {
		a, b, c, floor, ceil uint64
		ok                   bool
	}{
		{7, 3, 2, 10, 11, true},
		{max, max, max, max, max, true},
		{max, 2, 1, 0, 0, false},
		{1, 1, 0, 0, 0, false},
		{10, 0, 3, 0, 0, true},
	} {
		f, ok1 := MulDiv(tc.a, tc.b, tc.c)
		c, ok2 := MulDivCeil(tc.a, tc.b, tc.c)
		if ok1 != tc.ok || ok2 != tc.ok || (tc.ok && (f != tc.floor || c != tc.ceil)) {
			t.Errorf("%d×%d/%d: floor %d %v, ceil %d %v", tc.a, tc.b, tc.c, f, ok1, c, ok2)
		}
	}
	if Frac(max, 3, 4) != max/4*3+2 || SatAdd(max, 1) != max || SatAdd(2, 3) != 5 {
		t.Error("Frac/SatAdd")
	}
}

// The fuzz tests hold every function of the package to math/big.

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

func bigOf(v uint64) *big.Int { return new(big.Int).SetUint64(v) }

// big128 is u as a big.Int.
func big128(u U128) *big.Int {
	b := new(big.Int).Lsh(bigOf(u.Hi), 64)
	return b.Or(b, bigOf(u.Lo))
}

// fits reports whether 0 ≤ b < 2^bits.
func fits(b *big.Int, bits uint) bool { return b.Sign() >= 0 && b.BitLen() <= int(bits) }

// mod128 is b mod 2^128 as a U128 (b ≥ 0 or not).
func mod128(b *big.Int) U128 {
	m := new(big.Int).Mod(b, new(big.Int).Lsh(big.NewInt(1), 128))
	lo := new(big.Int).Mod(m, two64)
	return U128{new(big.Int).Rsh(m, 64).Uint64(), lo.Uint64()}
}

func FuzzMulDiv(f *testing.F) {
	const max = ^uint64(0)
	for _, s := range [][3]uint64{{7, 3, 2}, {max, max, max}, {max, 2, 1}, {1, 1, 0}, {10, 0, 3}, {max, max - 1, max}, {1 << 63, 4, 3}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c uint64) {
		prod := new(big.Int).Mul(bigOf(a), bigOf(b))
		var floor, ceil *big.Int
		if c != 0 {
			var r big.Int
			floor, _ = new(big.Int).QuoRem(prod, bigOf(c), &r)
			ceil = new(big.Int).Set(floor)
			if r.Sign() != 0 {
				ceil.Add(ceil, big.NewInt(1))
			}
		}
		q, ok := MulDiv(a, b, c)
		if want := c != 0 && fits(floor, 64); ok != want || (ok && q != floor.Uint64()) {
			t.Errorf("MulDiv(%d, %d, %d) = %d, %v; want %v, %v", a, b, c, q, ok, floor, want)
		}
		q, ok = MulDivCeil(a, b, c)
		if want := c != 0 && fits(ceil, 64); ok != want || (ok && q != ceil.Uint64()) {
			t.Errorf("MulDivCeil(%d, %d, %d) = %d, %v; want %v, %v", a, b, c, q, ok, ceil, want)
		}
		if b <= c && c != 0 {
			if q := Frac(a, b, c); q != floor.Uint64() {
				t.Errorf("Frac(%d, %d, %d) = %d, want %v", a, b, c, q, floor)
			}
		}
	})
}

func FuzzAddMul(f *testing.F) {
	const max = ^uint64(0)
	for _, s := range [][2]uint64{{0, 0}, {max, 1}, {max, 0}, {1 << 32, 1 << 32}, {1 << 32, 1<<32 - 1}, {max, max}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		sum := new(big.Int).Add(bigOf(a), bigOf(b))
		s, ok := Add(a, b)
		if want := fits(sum, 64); ok != want || s != new(big.Int).Mod(sum, two64).Uint64() {
			t.Errorf("Add(%d, %d) = %d, %v; want %v", a, b, s, ok, sum)
		}
		want := sum
		if !fits(sum, 64) {
			want = bigOf(max)
		}
		if s := SatAdd(a, b); s != want.Uint64() {
			t.Errorf("SatAdd(%d, %d) = %d, want %v", a, b, s, want)
		}
		prod := new(big.Int).Mul(bigOf(a), bigOf(b))
		p, ok := Mul(a, b)
		if want := fits(prod, 64); ok != want || p != new(big.Int).Mod(prod, two64).Uint64() {
			t.Errorf("Mul(%d, %d) = %d, %v; want %v", a, b, p, ok, prod)
		}
		if u := Mul64(a, b); big128(u).Cmp(prod) != 0 {
			t.Errorf("Mul64(%d, %d) = %v, want %v", a, b, u, prod)
		}
	})
}

func FuzzU128(f *testing.F) {
	const max = ^uint64(0)
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0), uint64(1), uint8(0))
	f.Add(max, max, max, max, max, uint8(127))
	f.Add(uint64(1), uint64(0), uint64(0), uint64(1), uint64(3), uint8(64))
	f.Add(uint64(0), max, uint64(0), uint64(1), uint64(2), uint8(63))
	f.Add(uint64(5), uint64(7), uint64(5), uint64(8), uint64(1<<63), uint8(200))
	f.Fuzz(func(t *testing.T, ahi, alo, bhi, blo, x uint64, n uint8) {
		u, v := U128{ahi, alo}, U128{bhi, blo}
		bu, bv, bx := big128(u), big128(v), bigOf(x)

		sum := new(big.Int).Add(bu, bv)
		if s, ok := u.Add(v); ok != fits(sum, 128) || s != mod128(sum) {
			t.Errorf("%v.Add(%v) = %v, %v; want %v", u, v, s, ok, sum)
		}
		diff := new(big.Int).Sub(bu, bv)
		if d, ok := u.Sub(v); ok != (diff.Sign() >= 0) || d != mod128(diff) {
			t.Errorf("%v.Sub(%v) = %v, %v; want %v", u, v, d, ok, diff)
		}
		prod := new(big.Int).Mul(bu, bx)
		if p, ok := u.Mul64(x); ok != fits(prod, 128) || (ok && p != mod128(prod)) {
			t.Errorf("%v.Mul64(%d) = %v, %v; want %v", u, x, p, ok, prod)
		}
		if p, want := u.MulShr64(x), new(big.Int).Rsh(prod, 64); big128(p).Cmp(want) != 0 {
			t.Errorf("%v.MulShr64(%d) = %v, want %v", u, x, p, want)
		}
		if x != 0 {
			var r big.Int
			q, _ := new(big.Int).QuoRem(bu, bx, &r)
			if gq, gr := u.Div64(x); big128(gq).Cmp(q) != 0 || gr != r.Uint64() {
				t.Errorf("%v.Div64(%d) = %v, %d; want %v, %v", u, x, gq, gr, q, &r)
			}
		}
		if s, want := u.Rsh(uint(n)), new(big.Int).Rsh(bu, uint(n)); big128(s).Cmp(want) != 0 {
			t.Errorf("%v.Rsh(%d) = %v, want %v", u, n, s, want)
		}
		if c := u.Cmp(v); c != bu.Cmp(bv) {
			t.Errorf("%v.Cmp(%v) = %d", u, v, c)
		}
		if got := U128FromBytes(u.Bytes()); got != u || !bytes.Equal(u.Bytes(), bu.FillBytes(make([]byte, 16))) {
			t.Errorf("%v: Bytes %x, back %v", u, u.Bytes(), got)
		}
		if u.String() != bu.String() {
			t.Errorf("%v.String() = %s, want %s", u, u.String(), bu)
		}

		var s U192
		s.Add128(u)
		s.Add128(v)
		s.Add128(U128{Lo: x})
		want := new(big.Int).Add(sum, bx)
		if s.String() != want.String() || s.BitLen() != want.BitLen() {
			t.Errorf("U192 %v + %v + %d = %s (%d bits), want %s (%d bits)", u, v, x, s, s.BitLen(), want, want.BitLen())
		}
	})
}

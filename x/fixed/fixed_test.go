package fixed

import "testing"

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

package h3

import (
	"math/rand/v2"
	"testing"

	uh3 "github.com/uber/h3-go/v4"
)

// TestAgainstUber checks validity, resolution and parents against the
// reference implementation on cells around the world at every resolution.
func TestAgainstUber(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for i := 0; i < 2000; i++ {
		ll := uh3.NewLatLng(rng.Float64()*180-90, rng.Float64()*360-180)
		res := rng.IntN(16)
		cell := uh3.LatLngToCell(ll, res)
		c := uint64(cell)
		if err := Validate(c); err != nil {
			t.Fatalf("valid cell %s rejected: %v", cell, err)
		}
		if Resolution(c) != res {
			t.Fatalf("resolution of %s: %d, want %d", cell, Resolution(c), res)
		}
		for r := 0; r <= res; r++ {
			p, err := Parent(c, r)
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(cell.Parent(r)); p != want {
				t.Fatalf("parent %d of %s: %x, want %x", r, cell, p, want)
			}
			lo, hi := DescendantRange(p)
			if k := SortKey(c); k < lo || k > hi {
				t.Fatalf("%s not in the descendant range of its parent %x", cell, p)
			}
		}
		// A neighbour's key is outside the cell's range unless it is a
		// descendant.
		for _, n := range cell.GridDisk(1) {
			if n == cell {
				continue
			}
			lo, hi := DescendantRange(c)
			if k := SortKey(uint64(n)); k >= lo && k <= hi {
				t.Fatalf("neighbour %s inside %s's range", n, cell)
			}
		}
	}
	// Pentagons and their children are valid.
	for _, p := range uh3.Pentagons(5) {
		if err := Validate(uint64(p)); err != nil {
			t.Fatalf("pentagon %s: %v", p, err)
		}
	}
}

func TestRejectsInvalid(t *testing.T) {
	good := uint64(uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 9))
	cases := map[string]uint64{
		"zero":             0,
		"high bit":         good | 1<<63,
		"edge mode":        (good &^ modeMask) | 2<<modeOffset,
		"reserved bits":    good | 1<<reservedOff,
		"base cell 122":    (good &^ baseMask) | 122<<baseOffset,
		"digit beyond res": good &^ (digitMask << digitOffset(12)),
		"unused digit":     good | digitMask<<digitOffset(3),
	}
	// Deleted pentagon subsequence: base cell 4, first digit 1.
	pent := uint64(cellMode)<<modeOffset | 1<<resOffset | 4<<baseOffset
	for d := 2; d <= maxRes; d++ {
		pent |= digitMask << digitOffset(d)
	}
	cases["deleted pentagon"] = pent | 1<<digitOffset(1)
	for name, c := range cases {
		if err := Validate(c); err == nil {
			t.Errorf("%s (%x) accepted", name, c)
		}
		if uh3.Cell(c).IsValid() {
			t.Errorf("%s (%x): uber says valid — the case is wrong", name, c)
		}
	}
	if err := Validate(pent); err != nil || !uh3.Cell(pent).IsValid() {
		t.Fatalf("pentagon child with digit 0: %v", err)
	}
}

func FuzzValidate(f *testing.F) {
	f.Add(uint64(uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 9)))
	f.Add(uint64(0))
	f.Fuzz(func(t *testing.T, c uint64) {
		if (Validate(c) == nil) != uh3.Cell(c).IsValid() {
			t.Fatalf("%x: ours %v, uber %v", c, Validate(c), uh3.Cell(c).IsValid())
		}
	})
}

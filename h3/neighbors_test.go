package h3

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/h3/internal/tablegen"
)

// uberDisk1 is the reference gridDisk(c, 1), ascending.
func uberDisk1(c uint64) []uint64 {
	var out []uint64
	for _, n := range uh3.GridDisk(uh3.Cell(c), 1) {
		out = append(out, uint64(n))
	}
	slices.Sort(out)
	return out
}

// uberNeighbor is the reference's neighbour of c in direction dir: the
// destination of the directed edge that encodes it.
func uberNeighbor(c, dir uint64) uint64 {
	e := c&^(modeMask|7<<reservedOff) | 2<<modeOffset | dir<<reservedOff
	return uint64(uh3.DirectedEdge(e).Destination())
}

// checkCell compares Disk1 and Neighbors of valid cell c with the
// reference; with directions, also every single step.
func checkCell(t *testing.T, c uint64, directions bool) {
	t.Helper()
	want := uberDisk1(c)
	got, err := Disk1(c)
	if err != nil {
		t.Fatalf("Disk1(%x): %v", c, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Disk1(%x) = %x, uber %x", c, got, want)
	}
	ns, err := Neighbors(c)
	if err != nil {
		t.Fatalf("Neighbors(%x): %v", c, err)
	}
	wantLen := 6
	if uh3.Cell(c).IsPentagon() {
		wantLen = 5
	}
	if len(ns) != wantLen || !slices.Equal(ns, slices.DeleteFunc(slices.Clone(want), func(n uint64) bool { return n == c })) {
		t.Fatalf("Neighbors(%x) = %x, uber disk %x", c, ns, want)
	}
	if !directions {
		return
	}
	for dir := uint64(1); dir < 7; dir++ {
		n, err := neighbor(c, dir)
		if err == errDeletedK {
			if !uh3.Cell(c).IsPentagon() || Resolution(c) == 0 || dir != kDigit {
				t.Fatalf("%x direction %d: %v", c, dir, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%x direction %d: %v", c, dir, err)
		}
		if want := uberNeighbor(c, dir); n != want {
			t.Fatalf("%x direction %d: %x, uber %x", c, dir, n, want)
		}
	}
}

// TestNeighborsAllCoarseCells checks every cell of resolutions 0 to 4,
// step by step as well as the disk.
func TestNeighborsAllCoarseCells(t *testing.T) {
	total := 0
	for _, base := range uh3.Res0Cells() {
		for res := 0; res <= 4; res++ {
			for _, c := range base.Children(res) {
				checkCell(t, uint64(c), true)
				total++
			}
		}
	}
	if want := uh3.NumCells(0) + uh3.NumCells(1) + uh3.NumCells(2) + uh3.NumCells(3) + uh3.NumCells(4); total != want {
		t.Fatalf("checked %d cells, want %d", total, want)
	}
	t.Logf("checked all %d cells of resolutions 0-4", total)
}

// TestNeighborsAroundPentagons checks the 12 pentagons at every
// resolution and every cell within two steps of them, where the deleted
// K subsequence distorts the grid.
func TestNeighborsAroundPentagons(t *testing.T) {
	total := 0
	for res := 0; res <= maxRes; res++ {
		for _, p := range uh3.Pentagons(res) {
			for _, c := range uh3.GridDisk(p, 2) {
				checkCell(t, uint64(c), true)
				total++
			}
		}
	}
	t.Logf("checked %d cells within 2 of a pentagon", total)
}

// TestNeighborsRandom checks random cells at every resolution: random
// digits under a random base cell, redrawn until valid, so every base
// cell and digit pattern is as likely as any other.
func TestNeighborsRandom(t *testing.T) {
	n := 500_000
	if testing.Short() {
		n = 20_000
	}
	rng := rand.New(rand.NewPCG(0x4e656967, 0x68626f72))
	for i := 0; i < n; i++ {
		c := randomCell(rng, rng.IntN(maxRes+1))
		checkCell(t, c, i%8 == 0)
	}
	t.Logf("checked %d random cells", n)
}

func randomCell(rng *rand.Rand, res int) uint64 {
	for {
		c := uint64(cellMode)<<modeOffset | uint64(res)<<resOffset | rng.Uint64N(numBase)<<baseOffset
		for r := 1; r <= maxRes; r++ {
			d := uint64(7)
			if r <= res {
				d = rng.Uint64N(7)
			}
			c |= d << digitOffset(r)
		}
		if Validate(c) == nil {
			return c
		}
	}
}

func TestNeighborsRejectsInvalid(t *testing.T) {
	good := uint64(uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 9))
	pent := uint64(uh3.Pentagons(3)[0])
	cases := map[string]uint64{
		"zero":             0,
		"all ones":         ^uint64(0),
		"edge mode":        (good &^ modeMask) | 2<<modeOffset,
		"base cell 127":    good | baseMask,
		"unused digit":     good | digitMask<<digitOffset(3),
		"deleted pentagon": withDigit(pent, 2, kDigit),
	}
	for name, c := range cases {
		if uh3.Cell(c).IsValid() {
			t.Fatalf("%s (%x): uber says valid — the case is wrong", name, c)
		}
		if ns, err := Neighbors(c); err == nil {
			t.Errorf("Neighbors(%s %x) = %x, want an error", name, c, ns)
		}
		if d, err := Disk1(c); err == nil {
			t.Errorf("Disk1(%s %x) = %x, want an error", name, c, d)
		}
	}
}

// TestTablesUpToDate keeps tables_gen.go what the generator writes today.
func TestTablesUpToDate(t *testing.T) {
	want, err := tablegen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("tables_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("tables_gen.go is stale: run go generate ./h3")
	}
}

func FuzzNeighbors(f *testing.F) {
	f.Add(uint64(uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 9)))
	f.Add(uint64(uh3.Pentagons(7)[11]))
	f.Add(uint64(uh3.Res0Cells()[117]))
	f.Add(uint64(uh3.LatLngToCell(uh3.NewLatLng(-33.86, 151.21), 15)))
	f.Add(uint64(uh3.Pentagons(4)[0].ImmediateChildren()[1]))
	f.Add(uint64(0))
	f.Fuzz(func(t *testing.T, c uint64) {
		ns, err := Neighbors(c)
		if Validate(c) != nil {
			if err == nil {
				t.Fatalf("Neighbors(%x) = %x for an invalid cell", c, ns)
			}
			return
		}
		checkCell(t, c, true)
	})
}

func BenchmarkNeighbors(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cells := make([]uint64, 1024)
	for i := range cells {
		cells[i] = randomCell(rng, rng.IntN(maxRes+1))
	}
	for i := 0; b.Loop(); i++ {
		if _, err := Neighbors(cells[i%len(cells)]); err != nil {
			b.Fatal(err)
		}
	}
}

// Package tablegen builds h3/tables_gen.go: the constant tables the
// neighbour walk of package h3 needs. The digit tables follow from IJK
// lattice arithmetic; the base-cell tables are read off the reference
// implementation (github.com/uber/h3-go) through its public API, so no
// table is typed by hand. It runs at generation time and in the test that
// keeps the checked-in file current, never in the state machine: it links
// cgo.
package tablegen

import (
	"bytes"
	"fmt"
	"go/format"

	uh3 "github.com/uber/h3-go/v4"
)

const (
	numBase = 122
	noBase  = 127 // baseNeighbor entry for a pentagon's deleted K direction
	kDigit  = 1   // the K axis, deleted around pentagons
	ikDigit = 5
)

// ijk is a vector of the hexagonal lattice in H3's three-axis
// coordinates; (1,1,1) is the zero vector, so normalize picks the
// representative with no negative and at least one zero component.
type ijk [3]int

// unit is the offset of digit d (0..6): bit 2 is the I axis, bit 1 J,
// bit 0 K (K=1, J=2, JK=3, I=4, IK=5, IJ=6).
func unit(d int) ijk { return ijk{d >> 2 & 1, d >> 1 & 1, d & 1} }

func (v ijk) normalize() ijk {
	m := min(v[0], v[1], v[2])
	return ijk{v[0] - m, v[1] - m, v[2] - m}
}

func (v ijk) add(w ijk) ijk { return ijk{v[0] + w[0], v[1] + w[1], v[2] + w[2]} }
func (v ijk) sub(w ijk) ijk { return ijk{v[0] - w[0], v[1] - w[1], v[2] - w[2]} }

// linear applies the map sending the unit I, J, K vectors to i, j, k.
func (v ijk) linear(i, j, k ijk) ijk {
	var out ijk
	for a := range out {
		out[a] = v[0]*i[a] + v[1]*j[a] + v[2]*k[a]
	}
	return out.normalize()
}

// digit is the digit whose unit offset v is, or -1.
func (v ijk) digit() int {
	v = v.normalize()
	for d := range 7 {
		if unit(d) == v {
			return d
		}
	}
	return -1
}

// The parent's unit vectors seen in its children's lattice. An aperture-7
// child lattice is the parent's scaled by √7 and turned by about 19°:
// counter-clockwise at Class III (odd) resolutions, clockwise at Class II
// (even) ones. A child's coordinates are down(parent) + unit(digit).
func downClassIII(v ijk) ijk { return v.linear(ijk{3, 0, 1}, ijk{1, 3, 0}, ijk{0, 1, 3}) }
func downClassII(v ijk) ijk  { return v.linear(ijk{3, 1, 0}, ijk{0, 3, 1}, ijk{1, 0, 3}) }

func rotate60ccw(v ijk) ijk { return v.linear(ijk{1, 1, 0}, ijk{0, 1, 1}, ijk{1, 0, 1}) }
func rotate60cw(v ijk) ijk  { return v.linear(ijk{1, 0, 1}, ijk{1, 1, 0}, ijk{0, 1, 1}) }

// Tables are the contents of tables_gen.go.
type Tables struct {
	// StepDigit[class][d][dir] and StepCarry[class][d][dir]: moving a
	// cell whose digit is d one step in direction dir gives the digit
	// StepDigit and moves its parent in direction StepCarry (0: the
	// parent stays). class is the resolution's parity, 1 for Class III.
	StepDigit, StepCarry [2][7][7]uint8
	// Rotate60ccw and Rotate60cw turn a digit by 60°.
	Rotate60ccw, Rotate60cw [7]uint8
	// Pentagon marks the 12 pentagonal base cells.
	Pentagon [numBase]bool
	// Neighbor[b][dir] is the base cell next to base cell b in direction
	// dir of b's IJK frame (noBase for a pentagon's deleted K direction),
	// and Rot[b][dir] the 60° counter-clockwise turns from b's frame to
	// that neighbour's.
	Neighbor, Rot [numBase][7]uint8
	// RotAmbiguous counts Rot entries that several turns satisfy (those
	// into pentagons, where 5 turns and none act alike); the smallest is
	// kept.
	RotAmbiguous int
}

// digitTables derives the digit tables: unit(d)+unit(dir) is written
// uniquely as down(unit(carry)) + unit(newDigit), because the seven digit
// offsets are a complete set of residues of the child lattice modulo the
// parent's.
func digitTables(t *Tables) error {
	for class, down := range []func(ijk) ijk{downClassII, downClassIII} {
		for d := range 7 {
			for dir := range 7 {
				v := unit(d).add(unit(dir))
				found := 0
				for carry := range 7 {
					if nd := v.sub(down(unit(carry))).digit(); nd >= 0 {
						t.StepDigit[class][d][dir], t.StepCarry[class][d][dir] = uint8(nd), uint8(carry)
						found++
					}
				}
				if found != 1 {
					return fmt.Errorf("class %d digit %d direction %d: %d decompositions", class, d, dir, found)
				}
			}
		}
	}
	for d := range 7 {
		t.Rotate60ccw[d] = uint8(rotate60ccw(unit(d)).digit())
		t.Rotate60cw[d] = uint8(rotate60cw(unit(d)).digit())
	}
	return nil
}

// Bits of an H3 index.
const (
	resOffset  = 52
	baseOffset = 45
	edgeMode   = 2
)

func resolution(c uint64) int { return int(c >> resOffset & 0xf) }
func baseCell(c uint64) int   { return int(c >> baseOffset & 0x7f) }
func digitAt(c uint64, r int) int {
	return int(c >> (3 * (15 - r)) & 7)
}
func withDigit(c uint64, r, d int) uint64 {
	off := uint(3 * (15 - r))
	return c&^(7<<off) | uint64(d)<<off
}
func withBase(c uint64, b int) uint64 {
	return c&^(0x7f<<baseOffset) | uint64(b)<<baseOffset
}

// destination is the reference implementation's neighbour of c in
// direction dir: the destination of the directed edge that encodes it.
func destination(c uint64, dir int) uint64 {
	e := c&^(0xf<<59|7<<56) | edgeMode<<59 | uint64(dir)<<56
	return uint64(uh3.DirectedEdge(e).Destination())
}

// baseTables reads Pentagon and Neighbor off the resolution-0 cells and
// their directed edges.
func baseTables(t *Tables) error {
	cells := uh3.Res0Cells()
	if len(cells) != numBase {
		return fmt.Errorf("%d resolution-0 cells, want %d", len(cells), numBase)
	}
	for _, c := range cells {
		b := c.BaseCellNumber()
		t.Pentagon[b] = c.IsPentagon()
		for dir := 1; dir < 7; dir++ {
			if t.Pentagon[b] && dir == kDigit {
				t.Neighbor[b][dir] = noBase
				continue
			}
			n := uh3.Cell(destination(uint64(c), dir))
			if !n.IsValid() || n.Resolution() != 0 || n == c {
				return fmt.Errorf("base cell %d direction %d: neighbour %s", b, dir, n)
			}
			t.Neighbor[b][dir] = uint8(n.BaseCellNumber())
		}
		t.Neighbor[b][0] = uint8(b)
	}
	return nil
}

// rotTable finds each Rot entry by search: for every cell of resolutions
// 1 and 2 and every direction whose step carries out of its base cell,
// it keeps the turns under which the stepped digits, turned into the
// neighbouring base cell's frame, give the reference's neighbour.
func rotTable(t *Tables) error {
	var allowed [numBase][7]uint8 // bit r: r turns agree with every probe so far
	var probed [numBase][7]bool
	for b := range allowed {
		for dir := range allowed[b] {
			allowed[b][dir] = 1<<6 - 1
		}
	}
	for _, base := range uh3.Res0Cells() {
		b := base.BaseCellNumber()
		for res := 1; res <= 2; res++ {
			for _, x := range base.Children(res) {
				for dir := 1; dir < 7; dir++ {
					stepped, carry := step(t, uint64(x), dir)
					if carry == 0 || (t.Pentagon[b] && carry == kDigit) {
						continue // stays in b, or takes the deleted-K detour
					}
					want := destination(uint64(x), dir)
					n := int(t.Neighbor[b][carry])
					if baseCell(want) != n {
						return fmt.Errorf("%s direction %d: reference reaches base cell %d, table says %d", x, dir, baseCell(want), n)
					}
					probed[b][carry] = true
					for r := range 6 {
						if turn(t, withBase(stepped, n), r) != want {
							allowed[b][carry] &^= 1 << r
						}
					}
				}
			}
		}
	}
	for b := range numBase {
		for dir := 1; dir < 7; dir++ {
			if t.Neighbor[b][dir] == noBase {
				continue
			}
			if !probed[b][dir] || allowed[b][dir] == 0 {
				return fmt.Errorf("base cell %d direction %d: probed %v, no consistent rotation", b, dir, probed[b][dir])
			}
			r := 0
			for allowed[b][dir]&(1<<r) == 0 {
				r++
			}
			t.Rot[b][dir] = uint8(r)
			if allowed[b][dir] != 1<<r {
				t.RotAmbiguous++
			}
		}
	}
	return nil
}

// step moves c one step in direction dir, digit by digit from the finest,
// and returns the new digits and the direction carried out of the base
// cell (0 if none).
func step(t *Tables, c uint64, dir int) (uint64, int) {
	for r := resolution(c); r >= 1 && dir != 0; r-- {
		d := digitAt(c, r)
		c = withDigit(c, r, int(t.StepDigit[r&1][d][dir]))
		dir = int(t.StepCarry[r&1][d][dir])
	}
	return c, dir
}

// turn applies r 60° counter-clockwise turns to a cell that has just
// entered its base cell from another; into a pentagon, a leading K digit
// is first turned clockwise out of the deleted subsequence and each turn
// skips it.
func turn(t *Tables, c uint64, r int) uint64 {
	if !t.Pentagon[baseCell(c)] {
		for range r {
			c = rotateDigits(c, t.Rotate60ccw)
		}
		return c
	}
	if leading(c) == kDigit {
		c = rotateDigits(c, t.Rotate60cw)
	}
	for range r {
		c = rotateDigits(c, t.Rotate60ccw)
		if leading(c) == kDigit {
			c = rotateDigits(c, t.Rotate60ccw)
		}
	}
	return c
}

func rotateDigits(c uint64, by [7]uint8) uint64 {
	for r := 1; r <= resolution(c); r++ {
		c = withDigit(c, r, int(by[digitAt(c, r)]))
	}
	return c
}

func leading(c uint64) int {
	for r := 1; r <= resolution(c); r++ {
		if d := digitAt(c, r); d != 0 {
			return d
		}
	}
	return 0
}

// Build derives all tables.
func Build() (*Tables, error) {
	t := new(Tables)
	if err := digitTables(t); err != nil {
		return nil, err
	}
	if err := baseTables(t); err != nil {
		return nil, err
	}
	if err := rotTable(t); err != nil {
		return nil, err
	}
	return t, nil
}

// Generate returns the gofmt'ed source of tables_gen.go.
func Generate() ([]byte, error) {
	t, err := Build()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by go run ./internal/gen; DO NOT EDIT.\n\n")
	p("package h3\n\n")
	p("// Digit arithmetic of the aperture-7 grid, derived from IJK unit vectors\n")
	p("// (internal/tablegen). Index [class][digit][direction], class 1 for the\n")
	p("// Class III (odd) resolutions: stepping a cell with that digit in that\n")
	p("// direction leaves stepDigit in its place and moves the parent by\n")
	p("// stepCarry (0: the parent stays).\n")
	table3(p, "stepDigit", t.StepDigit)
	table3(p, "stepCarry", t.StepCarry)
	p("\n// Digits turned by 60°.\n")
	p("var rotate60ccw = [7]uint8%s\n", row(t.Rotate60ccw[:]))
	p("var rotate60cw = [7]uint8%s\n", row(t.Rotate60cw[:]))
	p("\n// basePentagon marks the base cells that are pentagons.\n")
	p("var basePentagon = [numBase]bool{")
	for i, pent := range t.Pentagon {
		if pent {
			p("%d: true, ", i)
		}
	}
	p("}\n")
	p("\n// baseNeighbor[b][dir] is the base cell next to base cell b in direction\n")
	p("// dir of b's IJK frame, noBase for a pentagon's deleted K direction.\n")
	p("// Read off uber/h3-go's directed edges of the resolution-0 cells.\n")
	table2(p, "baseNeighbor", &t.Neighbor)
	p("\n// baseNeighborRot[b][dir] is the number of 60° counter-clockwise turns\n")
	p("// from base cell b's frame to that of baseNeighbor[b][dir]: the turns\n")
	p("// under which the neighbour walk agrees with uber/h3-go on every\n")
	p("// resolution-1 and -2 cell of b, the fewest where several do (%d entries,\n", t.RotAmbiguous)
	p("// into pentagons).\n")
	table2(p, "baseNeighborRot", &t.Rot)
	return format.Source(b.Bytes())
}

func row(v []uint8) string {
	var b bytes.Buffer
	b.WriteString("{")
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, x)
	}
	b.WriteString("}")
	return b.String()
}

func table3(p func(string, ...any), name string, v [2][7][7]uint8) {
	p("var %s = [2][7][7]uint8{\n", name)
	for class := range v {
		p("{\n")
		for d := range v[class] {
			p("%s,\n", row(v[class][d][:]))
		}
		p("},\n")
	}
	p("}\n")
}

func table2(p func(string, ...any), name string, v *[numBase][7]uint8) {
	p("var %s = [numBase][7]uint8{\n", name)
	for b := range v {
		p("%s, // %d\n", row(v[b][:]), b)
	}
	p("}\n")
}

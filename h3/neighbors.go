package h3

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// The tables of the neighbour walk (tables_gen.go) are derived by
// internal/tablegen; go:generate runs it through a shell redirect because
// the generator, living under x/, may not import os.
//go:generate sh -c "go run ./internal/gen > tables_gen.go.tmp && mv tables_gen.go.tmp tables_gen.go"

// Digits that name IJK directions (H3's Direction).
const (
	centerDigit = 0
	kDigit      = 1 // deleted around pentagons
	jkDigit     = 3
	ikDigit     = 5
	noBase      = 127 // baseNeighbor of a pentagon's deleted K direction
)

// errDeletedK: no cell lies in the K direction of a pentagon's centre.
var errDeletedK = errors.New("h3: no neighbour in a pentagon's deleted K direction")

// Neighbors returns the cells adjacent to c at c's resolution (the
// k-ring of radius 1 without c itself), in a deterministic order
// (ascending uint64). 6 for a hexagon, 5 for a pentagon.
func Neighbors(c uint64) ([]uint64, error) {
	if err := Validate(c); err != nil {
		return nil, err
	}
	return appendNeighbors(make([]uint64, 0, 6), c)
}

// Disk1 returns c and its neighbours, ascending (gridDisk(c, 1)).
func Disk1(c uint64) ([]uint64, error) {
	if err := Validate(c); err != nil {
		return nil, err
	}
	return appendNeighbors(append(make([]uint64, 0, 7), c), c)
}

// appendNeighbors appends valid cell c's neighbours to out and sorts it.
// It steps in all six directions, as H3's gridDisk does around pentagons:
// from a resolution-0 pentagon the deleted K direction leads to its IK
// neighbour a second time, hence the Compact.
func appendNeighbors(out []uint64, c uint64) ([]uint64, error) {
	for dir := uint64(1); dir < 7; dir++ {
		n, err := neighbor(c, dir)
		if err == errDeletedK {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// neighbor returns the cell next to valid cell c in direction dir (1..6)
// of its base cell's IJK frame. It is H3's h3NeighborRotations (algos.c)
// less the bookkeeping of accumulated rotations, which only walks of
// more than one step need:
//
//   - Step the finest digit; the digit tables give its new value and the
//     direction its parent moves in, and so on up while a carry remains.
//   - A carry out of resolution 1 moves to the neighbouring base cell,
//     whose frame is turned by baseNeighborRot: turn the digits with it.
//   - Pentagons have no K subsequence: a pentagon's K side borders its IK
//     neighbour, and a walk that lands on a leading K digit in a pentagon
//     is turned out of it.
func neighbor(c, dir uint64) (uint64, error) {
	step := dir
	oldBase := BaseCell(c)
	oldLead := leadingDigit(c)
	n := c
	for r := Resolution(c); r >= 1 && dir != centerDigit; r-- {
		d := Digit(n, r)
		n = withDigit(n, r, uint64(stepDigit[r&1][d][dir]))
		dir = uint64(stepCarry[r&1][d][dir])
	}
	newBase, rot := oldBase, uint8(0)
	if dir != centerDigit {
		newBase, rot = uint64(baseNeighbor[oldBase][dir]), baseNeighborRot[oldBase][dir]
		if newBase == noBase {
			// Across the deleted K side lies the IK neighbour; one ccw
			// turn takes the K subsequence onto the IK one.
			newBase, rot = uint64(baseNeighbor[oldBase][ikDigit]), baseNeighborRot[oldBase][ikDigit]
			n = rotateDigits(n, &rotate60ccw)
		}
		n = n&^baseMask | newBase<<baseOffset
	}
	if !basePentagon[newBase] {
		for range rot {
			n = rotateDigits(n, &rotate60ccw)
		}
		return n, nil
	}
	if leadingDigit(n) == kDigit {
		switch {
		case newBase != oldBase:
			// Entering a pentagon into its deleted subsequence: H3 turns
			// clockwise or counter-clockwise by the face the walk comes
			// from, and asserts (algos.c) that it is always clockwise.
			n = rotateDigits(n, &rotate60cw)
		case oldLead == centerDigit:
			return 0, errDeletedK
		case oldLead == jkDigit:
			n = rotateDigits(n, &rotate60ccw)
		case oldLead == ikDigit:
			n = rotateDigits(n, &rotate60cw)
		default:
			return 0, fmt.Errorf("h3 %x: direction %d leads into the deleted K subsequence", c, step)
		}
	}
	for range rot {
		n = rotatePent60ccw(n)
	}
	return n, nil
}

func withDigit(c uint64, r int, d uint64) uint64 {
	off := digitOffset(r)
	return c&^(digitMask<<off) | d<<off
}

// leadingDigit is c's first non-zero digit, or centerDigit: the digit
// holding the highest set bit of the digits in use.
func leadingDigit(c uint64) uint64 {
	used := c & (1<<digitOffset(0) - 1) &^ (1<<digitOffset(Resolution(c)) - 1)
	if used == 0 {
		return centerDigit
	}
	off := (bits.Len64(used) - 1) / digitBits * digitBits
	return used >> off & digitMask
}

// rotateDigits maps every digit of c through turn.
func rotateDigits(c uint64, turn *[7]uint8) uint64 {
	for r := 1; r <= Resolution(c); r++ {
		c = withDigit(c, r, uint64(turn[Digit(c, r)]))
	}
	return c
}

// rotatePent60ccw turns a pentagon's descendant 60° ccw, once more if
// the first turn leads into the deleted K subsequence.
func rotatePent60ccw(c uint64) uint64 {
	c = rotateDigits(c, &rotate60ccw)
	if leadingDigit(c) == kDigit {
		c = rotateDigits(c, &rotate60ccw)
	}
	return c
}

// Package h3 implements the H3 cell operations the state machine needs with
// integer bit manipulation only: validity, resolution, parent, the index
// ranges that hold a cell's descendants, and neighbours. Converting
// latitude and longitude to cells needs floating point and happens off
// chain (github.com/uber/h3-go); tests check this package against it, and
// internal/tablegen reads the base-cell tables (tables_gen.go) off it.
// Nothing here may import it: it is cgo and floating point.
package h3

import "fmt"

// Bit layout of an H3 cell index (H3 v4).
const (
	modeOffset  = 59
	modeMask    = uint64(0xf) << modeOffset
	reservedOff = 56
	resOffset   = 52
	resMask     = uint64(0xf) << resOffset
	baseOffset  = 45
	baseMask    = uint64(0x7f) << baseOffset
	digitBits   = 3
	digitMask   = uint64(7)
	maxRes      = 15
	numBase     = 122
	cellMode    = 1
)

// Resolution of a cell index.
func Resolution(c uint64) int { return int((c & resMask) >> resOffset) }

// BaseCell of a cell index.
func BaseCell(c uint64) uint64 { return (c & baseMask) >> baseOffset }

func digitOffset(r int) uint { return uint((maxRes - r) * digitBits) }

// Digit r (1..15) of a cell index.
func Digit(c uint64, r int) uint64 { return (c >> digitOffset(r)) & digitMask }

// Validate reports why c is not a valid H3 cell, or nil.
func Validate(c uint64) error {
	if c>>63 != 0 {
		return fmt.Errorf("h3 %x: high bit set", c)
	}
	if (c&modeMask)>>modeOffset != cellMode {
		return fmt.Errorf("h3 %x: not a cell index (mode %d)", c, (c&modeMask)>>modeOffset)
	}
	if (c>>reservedOff)&7 != 0 {
		return fmt.Errorf("h3 %x: reserved bits set", c)
	}
	base := BaseCell(c)
	if base >= numBase {
		return fmt.Errorf("h3 %x: base cell %d out of range", c, base)
	}
	res := Resolution(c)
	firstNonZero := uint64(0)
	for r := 1; r <= maxRes; r++ {
		d := Digit(c, r)
		if r <= res {
			if d == 7 {
				return fmt.Errorf("h3 %x: digit %d unused below resolution %d", c, r, res)
			}
			if firstNonZero == 0 && d != 0 {
				firstNonZero = d
			}
		} else if d != 7 {
			return fmt.Errorf("h3 %x: digit %d set beyond resolution %d", c, r, res)
		}
	}
	// Pentagons have no cells in the deleted K axis (digit 1) subsequence.
	if basePentagon[base] && firstNonZero == 1 {
		return fmt.Errorf("h3 %x: deleted pentagon subsequence", c)
	}
	return nil
}

// Parent returns c's ancestor at resolution r (≤ c's resolution).
func Parent(c uint64, r int) (uint64, error) {
	res := Resolution(c)
	if r < 0 || r > res {
		return 0, fmt.Errorf("h3: parent resolution %d of a resolution-%d cell", r, res)
	}
	p := (c &^ resMask) | uint64(r)<<resOffset
	for d := r + 1; d <= res; d++ {
		p |= digitMask << digitOffset(d)
	}
	return p, nil
}

// DescendantRange returns the inclusive range [lo, hi] of SortKey values of
// c and every cell under it, at any finer resolution.
func DescendantRange(c uint64) (lo, hi uint64) {
	res := Resolution(c)
	k := SortKey(c)
	for d := res + 1; d <= maxRes; d++ {
		k &^= digitMask << digitOffset(d)
	}
	lo = k
	for d := res + 1; d <= maxRes; d++ {
		k |= digitMask << digitOffset(d)
	}
	return lo, k
}

// SortKey is c with its resolution bits cleared: under it, every cell's
// descendants form one contiguous range (DescendantRange), so an index
// keyed by SortKey answers "devices in this hex" at any resolution.
func SortKey(c uint64) uint64 { return c &^ resMask }

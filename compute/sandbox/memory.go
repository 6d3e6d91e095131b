package sandbox

import "github.com/tetratelabs/wazero/experimental"

// memoryBudget is a task's wazero memory allocator. It enforces
// Limits.MemoryBytes itself, rather than only through the runtime's page
// limit, because a grow refused by the page limit is invisible to the host:
// here the refusal is recorded, so a module that then fails is reported as
// OutOfMemory rather than as whatever its runtime does on a failed grow.
type memoryBudget struct {
	limit uint64
	// denied is the largest size a grow asked for and did not get, zero if
	// none was refused.
	denied uint64
}

var _ experimental.MemoryAllocator = (*memoryBudget)(nil)

func (b *memoryBudget) Allocate(_, _ uint64) experimental.LinearMemory {
	return &budgetedMemory{budget: b}
}

// budgetedMemory is one linear memory; wazero calls Reallocate for the
// initial size and then on every memory.grow.
type budgetedMemory struct {
	budget    *memoryBudget
	buf       []byte
	allocated bool // the initial size was given
}

// Reallocate returns the memory grown to size, or nil (the grow fails) past
// the budget. wazero cannot take nil for the initial size; Runner checks the
// declared minimum first, and an initial size past the budget that slips by
// (an unexported memory) is given but recorded, and the run is not started.
func (m *budgetedMemory) Reallocate(size uint64) []byte {
	if size > m.budget.limit {
		m.budget.denied = max(m.budget.denied, size)
		if m.allocated {
			return nil
		}
	}
	m.allocated = true
	if size <= uint64(cap(m.buf)) {
		// Memory only grows, so the bytes past len were never exposed
		// and are still zero.
		m.buf = m.buf[:size]
		return m.buf
	}
	// Double, within the budget, so that a module growing page by page
	// does not copy its memory every time.
	c := max(size, min(2*uint64(cap(m.buf)), m.budget.limit))
	buf := make([]byte, size, c)
	copy(buf, m.buf)
	m.buf = buf
	return buf
}

func (m *budgetedMemory) Free() { m.buf = nil }

package market

import (
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
)

// Errors.
var (
	ErrNoMarket     = errs.Register("market", 2, "network has no market")
	ErrInvalidOrder = errs.Register("market", 3, "invalid order")
	ErrClosed       = errs.Register("market", 4, "interval closed")
	ErrNotFound     = errs.Register("market", 5, "no such order")
	ErrNotOpen      = errs.Register("market", 6, "order is not open")
)

// State layout.
var (
	OrderPrefix  = []byte("market/o/") // + id(8) → Order
	BookPrefix   = []byte("market/b/") // + net 0x00 interval(8) id(8)
	ClearPrefix  = []byte("market/c/") // + net 0x00 interval(8) → Clearing
	UnsettledPfx = []byte("market/u/") // + net 0x00 due(8) interval(8): cleared, not settled, by settlement time
	MeterPrefix  = []byte("market/m/") // + device(20) interval(8) → Metered
	OwnerPrefix  = []byte("market/w/") // + owner(20) id(8)
)

// OrderKey is where an order lives.
func OrderKey(id uint64) []byte { return keys.New(OrderPrefix).U64(id) }

// BookPrefixOf lists an interval's orders.
func BookPrefixOf(net string, interval uint64) []byte {
	return keys.New(BookPrefix).Str(net).Sep().U64(interval)
}

// ClearingKey is where an interval's clearing lives.
func ClearingKey(net string, interval uint64) []byte {
	return keys.New(ClearPrefix).Str(net).Sep().U64(interval)
}

// ByOwnerPrefix lists a participant's orders.
func ByOwnerPrefix(a crypto.Address) []byte { return keys.New(OwnerPrefix).Bytes(a[:]) }

// MeterKey is where a device's metered amounts for an interval live.
func MeterKey(id crypto.DeviceID, interval uint64) []byte {
	return keys.New(MeterPrefix).Bytes(id[:]).U64(interval)
}

// BookKey is the book entry of order id in an interval.
func BookKey(net string, interval, id uint64) []byte {
	return keys.New(BookPrefix).Str(net).Sep().U64(interval).U64(id)
}

// OwnerIndexKey is the owner-index key of order id.
func OwnerIndexKey(a crypto.Address, id uint64) []byte {
	return keys.New(OwnerPrefix).Bytes(a[:]).U64(id)
}

// IDFromIndexKey is the order id at the end of a book or owner-index key.
func IDFromIndexKey(k []byte) (uint64, bool) { return keys.LastU64(k) }

// IntervalAt is the market interval containing unix time t.
func IntervalAt(m *marketv1.MarketParams, t int64) uint64 {
	if t < 0 {
		return 0
	}
	return uint64(t) / m.IntervalSeconds
}

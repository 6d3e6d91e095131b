package market

import (
	"bytes"
	"encoding/binary"

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

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func netKey(prefix []byte, net string) []byte {
	return append(append(bytes.Clone(prefix), net...), 0)
}

// OrderKey is where an order lives.
func OrderKey(id uint64) []byte { return append(bytes.Clone(OrderPrefix), u64(id)...) }

// BookPrefixOf lists an interval's orders.
func BookPrefixOf(net string, interval uint64) []byte {
	return append(netKey(BookPrefix, net), u64(interval)...)
}

// ClearingKey is where an interval's clearing lives.
func ClearingKey(net string, interval uint64) []byte {
	return append(netKey(ClearPrefix, net), u64(interval)...)
}

// ByOwnerPrefix lists a participant's orders.
func ByOwnerPrefix(a crypto.Address) []byte { return append(bytes.Clone(OwnerPrefix), a[:]...) }

// MeterKey is where a device's metered amounts for an interval live.
func MeterKey(id crypto.DeviceID, interval uint64) []byte {
	return append(append(bytes.Clone(MeterPrefix), id[:]...), u64(interval)...)
}

// BookKey is the book entry of order id in an interval.
func BookKey(net string, interval, id uint64) []byte {
	return append(BookPrefixOf(net, interval), u64(id)...)
}

// OwnerIndexKey is the owner-index key of order id.
func OwnerIndexKey(a crypto.Address, id uint64) []byte { return append(ByOwnerPrefix(a), u64(id)...) }

// IDFromIndexKey is the order id at the end of a book or owner-index key.
func IDFromIndexKey(k []byte) (uint64, bool) {
	if len(k) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(k)-8:]), true
}

// IntervalAt is the market interval containing unix time t.
func IntervalAt(m *marketv1.MarketParams, t int64) uint64 {
	if t < 0 {
		return 0
	}
	return uint64(t) / m.IntervalSeconds
}

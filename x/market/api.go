package market

import (
	api "github.com/depinhq/depin/api/market"
	"github.com/depinhq/depin/crypto"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/market, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	BookPrefix      = api.BookPrefix
	ClearPrefix     = api.ClearPrefix
	ErrClosed       = api.ErrClosed
	ErrInvalidOrder = api.ErrInvalidOrder
	ErrNoMarket     = api.ErrNoMarket
	ErrNotFound     = api.ErrNotFound
	ErrNotOpen      = api.ErrNotOpen
	MeterPrefix     = api.MeterPrefix
	OrderPrefix     = api.OrderPrefix
	OwnerPrefix     = api.OwnerPrefix
	UnsettledPfx    = api.UnsettledPfx
)

// BookKey: see api/market.BookKey.
func BookKey(net string, interval uint64, id uint64) []byte { return api.BookKey(net, interval, id) }

// BookPrefixOf: see api/market.BookPrefixOf.
func BookPrefixOf(net string, interval uint64) []byte { return api.BookPrefixOf(net, interval) }

// ByOwnerPrefix: see api/market.ByOwnerPrefix.
func ByOwnerPrefix(a crypto.Address) []byte { return api.ByOwnerPrefix(a) }

// ClearingKey: see api/market.ClearingKey.
func ClearingKey(net string, interval uint64) []byte { return api.ClearingKey(net, interval) }

// IDFromIndexKey: see api/market.IDFromIndexKey.
func IDFromIndexKey(k []byte) (uint64, bool) { return api.IDFromIndexKey(k) }

// IntervalAt: see api/market.IntervalAt.
func IntervalAt(m *marketv1.MarketParams, t int64) uint64 { return api.IntervalAt(m, t) }

// MeterKey: see api/market.MeterKey.
func MeterKey(id crypto.DeviceID, interval uint64) []byte { return api.MeterKey(id, interval) }

// OrderKey: see api/market.OrderKey.
func OrderKey(id uint64) []byte { return api.OrderKey(id) }

// OwnerIndexKey: see api/market.OwnerIndexKey.
func OwnerIndexKey(a crypto.Address, id uint64) []byte { return api.OwnerIndexKey(a, id) }

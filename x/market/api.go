package market

import api "github.com/depinhq/depin/api/market"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/market, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	BookKey         = api.BookKey
	BookPrefix      = api.BookPrefix
	BookPrefixOf    = api.BookPrefixOf
	ByOwnerPrefix   = api.ByOwnerPrefix
	ClearPrefix     = api.ClearPrefix
	ClearingKey     = api.ClearingKey
	ErrClosed       = api.ErrClosed
	ErrInvalidOrder = api.ErrInvalidOrder
	ErrNoMarket     = api.ErrNoMarket
	ErrNotFound     = api.ErrNotFound
	ErrNotOpen      = api.ErrNotOpen
	IDFromIndexKey  = api.IDFromIndexKey
	IntervalAt      = api.IntervalAt
	MeterKey        = api.MeterKey
	MeterPrefix     = api.MeterPrefix
	OrderKey        = api.OrderKey
	OrderPrefix     = api.OrderPrefix
	OwnerIndexKey   = api.OwnerIndexKey
	OwnerPrefix     = api.OwnerPrefix
	UnsettledPfx    = api.UnsettledPfx
)

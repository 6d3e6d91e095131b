package storage

import (
	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
)

// The module's public layout (keys, Merkle tree, prices, limits, error
// kinds) lives in the leaf package api/storage, which storage nodes and
// clients import instead of this one; these names keep the module's API
// whole with one definition.

var (
	ErrDealClosed      = api.ErrDealClosed
	ErrInvalidDeal     = api.ErrInvalidDeal
	ErrInvalidEndpoint = api.ErrInvalidEndpoint
	ErrInvalidProof    = api.ErrInvalidProof
	ErrNoStorage       = api.ErrNoStorage
	ErrNodeUnavailable = api.ErrNodeUnavailable
	ErrUnknownDeal     = api.ErrUnknownDeal
)

// DealKey: see api/storage.DealKey.
func DealKey(id uint64) []byte { return api.DealKey(id) }

// EndpointKey: see api/storage.EndpointKey.
func EndpointKey(id crypto.DeviceID) []byte { return api.EndpointKey(id) }

// StatsKey: see api/storage.StatsKey.
func StatsKey(id crypto.DeviceID) []byte { return api.StatsKey(id) }

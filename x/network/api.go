package network

import api "github.com/depinhq/depin/api/network"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/network, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	ErrFrozen         = api.ErrFrozen
	ErrInvalidNetwork = api.ErrInvalidNetwork
	ErrInvalidParams  = api.ErrInvalidParams
	ErrNetworkExists  = api.ErrNetworkExists
	ErrNotFrozen      = api.ErrNotFrozen
	ErrNotOwner       = api.ErrNotOwner
	ErrUnknownMaker   = api.ErrUnknownMaker
	ErrUnknownNetwork = api.ErrUnknownNetwork
	HistoryKey        = api.HistoryKey
	HistoryPrefix     = api.HistoryPrefix
	HistoryPrefixOf   = api.HistoryPrefixOf
	MakerKey          = api.MakerKey
	MakerPrefix       = api.MakerPrefix
	MakersPrefix      = api.MakersPrefix
	NetworkKey        = api.NetworkKey
	NetworkPrefix     = api.NetworkPrefix
)

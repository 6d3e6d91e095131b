package network

import (
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Error kinds (codespace "network").
var (
	ErrInvalidNetwork = errs.Register("network", 2, "invalid network")
	ErrNetworkExists  = errs.Register("network", 3, "network already exists")
	ErrUnknownNetwork = errs.Register("network", 4, "unknown network")
	ErrNotOwner       = errs.Register("network", 5, "not the network owner")
	ErrInvalidParams  = errs.Register("network", 6, "invalid network params")
	ErrUnknownMaker   = errs.Register("network", 7, "maker not approved")
	// ErrFrozen: a block step of the network failed and it is frozen until
	// its owner resumes it; only withdrawals (cancels, claims) go on.
	ErrFrozen    = errs.Register("network", 8, "network is frozen")
	ErrNotFrozen = errs.Register("network", 9, "network is not frozen")
)

// Keys.
var (
	NetworkPrefix = []byte("network/n/")
	MakerPrefix   = []byte("network/m/")
	HistoryPrefix = []byte("network/h/") // + id 0x00 from_time(8) → ParamsVersion
	// EpochPrefix + id → the epoch (uint64) of the network's last block
	// step: the one record of which of its epochs have ended.
	EpochPrefix = []byte("network/e/")
)

// EpochKey is where a network's last stepped epoch lives.
func EpochKey(id string) []byte { return keys.New(EpochPrefix).Str(id) }

// TreasuryAddress is the account holding a network's treasury: its
// treasury share of every epoch's rewards and the slashed stakes of its
// devices.
func TreasuryAddress(net string) crypto.Address { return crypto.ModuleAddress("treasury/" + net) }

// HistoryKey is where the params version in force from fromTime lives.
// Times are block times after the chain started, so never negative.
func HistoryKey(id string, fromTime int64) []byte {
	return keys.New(HistoryPrefix).Str(id).Sep().U64(uint64(fromTime))
}

// HistoryPrefixOf prefixes the params versions of a network.
func HistoryPrefixOf(id string) []byte { return keys.New(HistoryPrefix).Str(id).Sep() }

// NetworkKey is the key of a network.
func NetworkKey(id string) []byte { return keys.New(NetworkPrefix).Str(id) }

// MakersPrefix is the prefix of a network's makers.
func MakersPrefix(network string) []byte { return keys.New(MakerPrefix).Str(network).Sep() }

// MakerKey is the key of a maker of a network.
func MakerKey(network string, pub []byte) []byte {
	return keys.New(MakerPrefix).Str(network).Sep().Bytes(pub)
}

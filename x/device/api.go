package device

import (
	api "github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/device, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	MinCellResolution = api.MinCellResolution
)

var (
	DevicePrefix      = api.DevicePrefix
	ErrDeviceExists   = api.ErrDeviceExists
	ErrInvalidCell    = api.ErrInvalidCell
	ErrInvalidCert    = api.ErrInvalidCert
	ErrMoveTooSoon    = api.ErrMoveTooSoon
	ErrNoPossession   = api.ErrNoPossession
	ErrNotDeviceOwner = api.ErrNotDeviceOwner
	ErrSerialTaken    = api.ErrSerialTaken
	ErrStillBonded    = api.ErrStillBonded
	ErrUnknownDevice  = api.ErrUnknownDevice
	ErrWrongStatus    = api.ErrWrongStatus
	HexPrefix         = api.HexPrefix
	NetPrefix         = api.NetPrefix
	OwnerPrefix       = api.OwnerPrefix
	SerialPrefix      = api.SerialPrefix
)

// ByHexPrefix: see api/device.ByHexPrefix.
func ByHexPrefix(net string) []byte { return api.ByHexPrefix(net) }

// ByNetworkPrefix: see api/device.ByNetworkPrefix.
func ByNetworkPrefix(net string) []byte { return api.ByNetworkPrefix(net) }

// ByOwnerPrefix: see api/device.ByOwnerPrefix.
func ByOwnerPrefix(owner crypto.Address) []byte { return api.ByOwnerPrefix(owner) }

// HexKey: see api/device.HexKey.
func HexKey(net string, cell uint64, id crypto.DeviceID) []byte { return api.HexKey(net, cell, id) }

// HexRange: see api/device.HexRange.
func HexRange(net string, cell uint64) ([]byte, []byte) { return api.HexRange(net, cell) }

// IDFromIndexKey: see api/device.IDFromIndexKey.
func IDFromIndexKey(k []byte) (crypto.DeviceID, bool) { return api.IDFromIndexKey(k) }

// Key: see api/device.Key.
func Key(id crypto.DeviceID) []byte { return api.Key(id) }

// NetworkIndexKey: see api/device.NetworkIndexKey.
func NetworkIndexKey(net string, id crypto.DeviceID) []byte { return api.NetworkIndexKey(net, id) }

// OwnerIndexKey: see api/device.OwnerIndexKey.
func OwnerIndexKey(owner crypto.Address, id crypto.DeviceID) []byte {
	return api.OwnerIndexKey(owner, id)
}

// SerialKey: see api/device.SerialKey.
func SerialKey(net string, maker []byte, serial string) []byte {
	return api.SerialKey(net, maker, serial)
}

// SignCert: see api/device.SignCert.
func SignCert(makerPriv []byte, chainID string, c *devicev1.DeviceCert) (*devicev1.SignedDeviceCert, error) {
	return api.SignCert(makerPriv, chainID, c)
}

// ValidateCell: see api/device.ValidateCell.
func ValidateCell(cell uint64) error { return api.ValidateCell(cell) }

// VerifyCert: see api/device.VerifyCert.
func VerifyCert(chainID string, sc *devicev1.SignedDeviceCert) (*devicev1.DeviceCert, error) {
	return api.VerifyCert(chainID, sc)
}

package device

import api "github.com/depinhq/depin/api/device"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/device, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	MinCellResolution = api.MinCellResolution
)

var (
	ByHexPrefix       = api.ByHexPrefix
	ByNetworkPrefix   = api.ByNetworkPrefix
	ByOwnerPrefix     = api.ByOwnerPrefix
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
	HexKey            = api.HexKey
	HexPrefix         = api.HexPrefix
	HexRange          = api.HexRange
	IDFromIndexKey    = api.IDFromIndexKey
	Key               = api.Key
	NetPrefix         = api.NetPrefix
	NetworkIndexKey   = api.NetworkIndexKey
	OwnerIndexKey     = api.OwnerIndexKey
	OwnerPrefix       = api.OwnerPrefix
	SerialKey         = api.SerialKey
	SerialPrefix      = api.SerialPrefix
	SignCert          = api.SignCert
	ValidateCell      = api.ValidateCell
	VerifyCert        = api.VerifyCert
)

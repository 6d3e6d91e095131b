package agreement

import (
	api "github.com/depinhq/depin/api/agreement"
	"github.com/depinhq/depin/crypto"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/agreement, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	AgreementPrefix = api.AgreementPrefix
	ConsumerPrefix  = api.ConsumerPrefix
	DevicePrefix    = api.DevicePrefix
	ErrClosed       = api.ErrClosed
	ErrInvalid      = api.ErrInvalid
	ErrNotFound     = api.ErrNotFound
	OpenPrefix      = api.OpenPrefix
)

// ByConsumerPrefix: see api/agreement.ByConsumerPrefix.
func ByConsumerPrefix(a crypto.Address) []byte { return api.ByConsumerPrefix(a) }

// ByDevicePrefix: see api/agreement.ByDevicePrefix.
func ByDevicePrefix(id crypto.DeviceID) []byte { return api.ByDevicePrefix(id) }

// ConsumerIndexKey: see api/agreement.ConsumerIndexKey.
func ConsumerIndexKey(a crypto.Address, id uint64) []byte { return api.ConsumerIndexKey(a, id) }

// DeviceIndexKey: see api/agreement.DeviceIndexKey.
func DeviceIndexKey(dev crypto.DeviceID, id uint64) []byte { return api.DeviceIndexKey(dev, id) }

// IDFromIndexKey: see api/agreement.IDFromIndexKey.
func IDFromIndexKey(k []byte) (uint64, bool) { return api.IDFromIndexKey(k) }

// Key: see api/agreement.Key.
func Key(id uint64) []byte { return api.Key(id) }

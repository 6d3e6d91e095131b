package agreement

import api "github.com/depinhq/depin/api/agreement"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/agreement, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	AgreementPrefix  = api.AgreementPrefix
	ByConsumerPrefix = api.ByConsumerPrefix
	ByDevicePrefix   = api.ByDevicePrefix
	ConsumerIndexKey = api.ConsumerIndexKey
	ConsumerPrefix   = api.ConsumerPrefix
	DeviceIndexKey   = api.DeviceIndexKey
	DevicePrefix     = api.DevicePrefix
	ErrClosed        = api.ErrClosed
	ErrInvalid       = api.ErrInvalid
	ErrNotFound      = api.ErrNotFound
	IDFromIndexKey   = api.IDFromIndexKey
	Key              = api.Key
	OpenPrefix       = api.OpenPrefix
)

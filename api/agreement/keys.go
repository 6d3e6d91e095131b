package agreement

import (
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Errors.
var (
	ErrInvalid  = errs.Register("agreement", 2, "invalid agreement")
	ErrNotFound = errs.Register("agreement", 3, "no such agreement")
	ErrClosed   = errs.Register("agreement", 4, "agreement is closed")
)

// State layout.
var (
	AgreementPrefix = []byte("agreement/a/") // + id(8) → Agreement
	OpenPrefix      = []byte("agreement/o/") // + network 0x00 id(8): open agreements by provider network
	ConsumerPrefix  = []byte("agreement/c/") // + consumer(20) id(8)
	DevicePrefix    = []byte("agreement/d/") // + device(20) id(8)
)

// Key is where an agreement lives.
func Key(id uint64) []byte { return keys.New(AgreementPrefix).U64(id) }

// ByConsumerPrefix lists a consumer's agreements.
func ByConsumerPrefix(a crypto.Address) []byte { return keys.New(ConsumerPrefix).Bytes(a[:]) }

// ByDevicePrefix lists a device's agreements.
func ByDevicePrefix(id crypto.DeviceID) []byte { return keys.New(DevicePrefix).Bytes(id[:]) }

// ConsumerIndexKey is the consumer-index key of agreement id.
func ConsumerIndexKey(a crypto.Address, id uint64) []byte {
	return keys.New(ConsumerPrefix).Bytes(a[:]).U64(id)
}

// DeviceIndexKey is the device-index key of agreement id.
func DeviceIndexKey(dev crypto.DeviceID, id uint64) []byte {
	return keys.New(DevicePrefix).Bytes(dev[:]).U64(id)
}

// IDFromIndexKey is the agreement id at the end of a consumer-, device- or
// open-index key.
func IDFromIndexKey(k []byte) (uint64, bool) { return keys.LastU64(k) }

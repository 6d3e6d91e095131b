package device

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	"github.com/depinhq/depin/h3"
)

// Error kinds (codespace "device").
var (
	ErrInvalidCert    = errs.Register("device", 2, "invalid device certificate")
	ErrDeviceExists   = errs.Register("device", 3, "device already registered")
	ErrUnknownDevice  = errs.Register("device", 4, "unknown device")
	ErrNotDeviceOwner = errs.Register("device", 5, "not the device owner")
	ErrInvalidCell    = errs.Register("device", 6, "invalid H3 cell")
	ErrMoveTooSoon    = errs.Register("device", 7, "device moved too recently")
	ErrWrongStatus    = errs.Register("device", 8, "device status does not allow this")
	ErrStillBonded    = errs.Register("device", 9, "stake still unbonding")
	ErrSerialTaken    = errs.Register("device", 10, "serial already registered by this maker")
	// ErrNoPossession: the registration lacks the device key's signature
	// over the owner's address, or it does not verify.
	ErrNoPossession = errs.Register("device", 11, "no proof of possession of the device key")
)

// MinCellResolution is the coarsest location a device may register with.
const MinCellResolution = 5

// Keys.
var (
	DevicePrefix  = []byte("device/d/")
	OwnerPrefix   = []byte("device/o/")
	NetPrefix     = []byte("device/n/")
	HexPrefix     = []byte("device/h/")
	SerialPrefix  = []byte("device/s/")
	maxModelBytes = 64
)

// Key is the key of a device record.
func Key(id crypto.DeviceID) []byte { return keys.New(DevicePrefix).Bytes(id[:]) }

// ByOwnerPrefix is the index prefix of an owner's devices.
func ByOwnerPrefix(owner crypto.Address) []byte { return keys.New(OwnerPrefix).Bytes(owner[:]) }

// ByNetworkPrefix is the index prefix of a network's devices.
func ByNetworkPrefix(net string) []byte { return keys.New(NetPrefix).Str(net).Sep() }

// ByHexPrefix is the index prefix of a network's devices by location.
func ByHexPrefix(net string) []byte { return keys.New(HexPrefix).Str(net).Sep() }

// HexKey is the hex-index key of a device at cell.
func HexKey(net string, cell uint64, id crypto.DeviceID) []byte {
	return keys.New(HexPrefix).Str(net).Sep().U64(h3.SortKey(cell)).Bytes(id[:])
}

// HexRange is the [start, end) key range of a network's devices inside
// cell (at any resolution).
func HexRange(net string, cell uint64) (start, end []byte) {
	lo, hi := h3.DescendantRange(cell)
	return keys.New(HexPrefix).Str(net).Sep().U64(lo), keys.New(HexPrefix).Str(net).Sep().U64(hi + 1)
}

// SerialKey is where a maker's serial number in a network is recorded.
func SerialKey(net string, maker []byte, serial string) []byte {
	return keys.New(SerialPrefix).Str(net).Sep().Bytes(maker).Str(serial)
}

// OwnerIndexKey is the owner-index key of a device.
func OwnerIndexKey(owner crypto.Address, id crypto.DeviceID) []byte {
	return keys.New(OwnerPrefix).Bytes(owner[:]).Bytes(id[:])
}

// NetworkIndexKey is the network-index key of a device.
func NetworkIndexKey(net string, id crypto.DeviceID) []byte {
	return keys.New(NetPrefix).Str(net).Sep().Bytes(id[:])
}

// IDFromIndexKey extracts the device id at the end of an index key.
func IDFromIndexKey(k []byte) (crypto.DeviceID, bool) {
	if len(k) < crypto.AddressLen {
		return crypto.DeviceID{}, false
	}
	id, err := crypto.AddressFromBytes(k[len(k)-crypto.AddressLen:])
	return id, err == nil
}

// VerifyCert checks a maker certificate's signature and decodes it.
func VerifyCert(chainID string, sc *devicev1.SignedDeviceCert) (*devicev1.DeviceCert, error) {
	if sc == nil {
		return nil, fmt.Errorf("%w: missing", ErrInvalidCert)
	}
	var c devicev1.DeviceCert
	if err := proto.Unmarshal(sc.CertBytes, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCert, err)
	}
	maker, err := crypto.CheckPubKey(c.MakerPublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: maker key: %v", ErrInvalidCert, err)
	}
	if _, err := crypto.CheckPubKey(c.DevicePublicKey); err != nil {
		return nil, fmt.Errorf("%w: device key: %v", ErrInvalidCert, err)
	}
	if err := crypto.Verify(maker, crypto.DomainDevCert, chainID, sc.CertBytes, sc.Signature); err != nil {
		return nil, fmt.Errorf("%w: maker signature does not verify (forged, tampered or for another chain)", ErrInvalidCert)
	}
	switch {
	case c.Capacity == 0:
		return nil, fmt.Errorf("%w: capacity must be positive", ErrInvalidCert)
	case c.Serial == "" || len(c.Serial) > maxModelBytes || len(c.Model) > maxModelBytes:
		return nil, fmt.Errorf("%w: serial must be 1..%d bytes, model ≤ %d", ErrInvalidCert, maxModelBytes, maxModelBytes)
	}
	return &c, nil
}

// SignCert encodes and signs a device certificate with a maker key.
func SignCert(makerPriv []byte, chainID string, c *devicev1.DeviceCert) (*devicev1.SignedDeviceCert, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &devicev1.SignedDeviceCert{CertBytes: b, Signature: crypto.Sign(makerPriv, crypto.DomainDevCert, chainID, b)}, nil
}

// ValidateCell checks a registration cell.
func ValidateCell(cell uint64) error {
	if err := h3.Validate(cell); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidCell, err)
	}
	if r := h3.Resolution(cell); r < MinCellResolution {
		return fmt.Errorf("%w: resolution %d is too coarse (≥ %d)", ErrInvalidCell, r, MinCellResolution)
	}
	return nil
}

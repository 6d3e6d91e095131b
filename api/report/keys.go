package report

import (
	"bytes"
	"encoding/binary"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// MaxBatchReports bounds one MsgReportBatch.
const MaxBatchReports = 10_000

// Error kinds (codespace "report").
var (
	ErrBatchTooLarge   = errs.Register("report", 2, "report batch too large")
	ErrEmptyBatch      = errs.Register("report", 3, "empty report batch")
	ErrInvalidEvidence = errs.Register("report", 4, "invalid evidence")
	ErrEvidenceExists  = errs.Register("report", 5, "evidence already recorded")
)

// Keys.
var (
	WorkPrefix           = []byte("report/w/")
	EvidencePrefix       = []byte("report/e/")
	EvidenceDevicePrefix = []byte("report/ed/")
)

// WorkKey is the key of a device's work record in an epoch.
func WorkKey(net string, epoch uint64, id crypto.DeviceID) []byte {
	k := make([]byte, 0, len(WorkPrefix)+len(net)+1+8+crypto.AddressLen)
	k = append(k, WorkPrefix...)
	k = append(k, net...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, epoch)
	return append(k, id[:]...)
}

// EpochWorkPrefix is the prefix of every work record of a network's epoch.
func EpochWorkPrefix(net string, epoch uint64) []byte {
	k := append(append(append([]byte{}, WorkPrefix...), net...), 0)
	return binary.BigEndian.AppendUint64(k, epoch)
}

// EvidenceKey is the key of an evidence record.
func EvidenceKey(id []byte) []byte { return append(append([]byte{}, EvidencePrefix...), id...) }

// DeviceEvidencePrefix prefixes the evidence index of a device (id: its
// 20 bytes).
func DeviceEvidencePrefix(dev []byte) []byte {
	return append(append([]byte{}, EvidenceDevicePrefix...), dev...)
}

// DeviceEvidenceKey is the evidence-index key of evidence id against dev.
func DeviceEvidenceKey(dev, id []byte) []byte { return append(DeviceEvidencePrefix(dev), id...) }

// EvidenceIDFromDeviceKey is the evidence id at the end of a key under
// DeviceEvidencePrefix(dev).
func EvidenceIDFromDeviceKey(dev, k []byte) ([]byte, bool) {
	p := DeviceEvidencePrefix(dev)
	if len(k) <= len(p) || !bytes.HasPrefix(k, p) {
		return nil, false
	}
	return k[len(p):], true
}

package report

import (
	"bytes"

	"github.com/depinhq/depin/api/keys"
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
	return keys.New(WorkPrefix).Str(net).Sep().U64(epoch).Bytes(id[:])
}

// EpochWorkPrefix is the prefix of every work record of a network's epoch.
func EpochWorkPrefix(net string, epoch uint64) []byte {
	return keys.New(WorkPrefix).Str(net).Sep().U64(epoch)
}

// EvidenceKey is the key of an evidence record.
func EvidenceKey(id []byte) []byte { return keys.New(EvidencePrefix).Bytes(id) }

// DeviceEvidencePrefix prefixes the evidence index of a device (id: its
// 20 bytes).
func DeviceEvidencePrefix(dev []byte) []byte { return keys.New(EvidenceDevicePrefix).Bytes(dev) }

// DeviceEvidenceKey is the evidence-index key of evidence id against dev.
func DeviceEvidenceKey(dev, id []byte) []byte {
	return keys.New(EvidenceDevicePrefix).Bytes(dev).Bytes(id)
}

// EvidenceIDFromDeviceKey is the evidence id at the end of a key under
// DeviceEvidencePrefix(dev).
func EvidenceIDFromDeviceKey(dev, k []byte) ([]byte, bool) {
	p := DeviceEvidencePrefix(dev)
	if len(k) <= len(p) || !bytes.HasPrefix(k, p) {
		return nil, false
	}
	return k[len(p):], true
}

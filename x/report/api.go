package report

import (
	api "github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/crypto"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/report, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	MaxBatchReports = api.MaxBatchReports
)

var (
	ErrBatchTooLarge     = api.ErrBatchTooLarge
	ErrEmptyBatch        = api.ErrEmptyBatch
	ErrEvidenceExists    = api.ErrEvidenceExists
	ErrInvalidEvidence   = api.ErrInvalidEvidence
	EvidenceDevicePrefix = api.EvidenceDevicePrefix
	EvidencePrefix       = api.EvidencePrefix
	WorkPrefix           = api.WorkPrefix
)

// DeviceEvidenceKey: see api/report.DeviceEvidenceKey.
func DeviceEvidenceKey(dev []byte, id []byte) []byte { return api.DeviceEvidenceKey(dev, id) }

// DeviceEvidencePrefix: see api/report.DeviceEvidencePrefix.
func DeviceEvidencePrefix(dev []byte) []byte { return api.DeviceEvidencePrefix(dev) }

// EpochWorkPrefix: see api/report.EpochWorkPrefix.
func EpochWorkPrefix(net string, epoch uint64) []byte { return api.EpochWorkPrefix(net, epoch) }

// EvidenceIDFromDeviceKey: see api/report.EvidenceIDFromDeviceKey.
func EvidenceIDFromDeviceKey(dev []byte, k []byte) ([]byte, bool) {
	return api.EvidenceIDFromDeviceKey(dev, k)
}

// EvidenceKey: see api/report.EvidenceKey.
func EvidenceKey(id []byte) []byte { return api.EvidenceKey(id) }

// WorkKey: see api/report.WorkKey.
func WorkKey(net string, epoch uint64, id crypto.DeviceID) []byte { return api.WorkKey(net, epoch, id) }

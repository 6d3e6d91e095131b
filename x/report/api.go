package report

import api "github.com/depinhq/depin/api/report"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/report, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	MaxBatchReports = api.MaxBatchReports
)

var (
	DeviceEvidenceKey       = api.DeviceEvidenceKey
	DeviceEvidencePrefix    = api.DeviceEvidencePrefix
	EpochWorkPrefix         = api.EpochWorkPrefix
	ErrBatchTooLarge        = api.ErrBatchTooLarge
	ErrEmptyBatch           = api.ErrEmptyBatch
	ErrEvidenceExists       = api.ErrEvidenceExists
	ErrInvalidEvidence      = api.ErrInvalidEvidence
	EvidenceDevicePrefix    = api.EvidenceDevicePrefix
	EvidenceIDFromDeviceKey = api.EvidenceIDFromDeviceKey
	EvidenceKey             = api.EvidenceKey
	EvidencePrefix          = api.EvidencePrefix
	WorkKey                 = api.WorkKey
	WorkPrefix              = api.WorkPrefix
)

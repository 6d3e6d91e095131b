package report

import "github.com/depinhq/depin/wire"

// The report wire format lives in package wire (so device software does
// not pull in the state machine); these names keep the module's API whole.
type Decoded = wire.Decoded

// Wire-format limits and errors.
const (
	MaxSignedReportBytes = wire.MaxSignedReportBytes
	MaxMetrics           = wire.MaxMetrics
)

// ErrMalformed wraps every decoding failure.
var ErrMalformed = wire.ErrMalformed

// Decode, DecodeSigned and Sign: see package wire.
var (
	Decode       = wire.Decode
	DecodeSigned = wire.DecodeSigned
	Sign         = wire.Sign
)

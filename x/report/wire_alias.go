package report

import (
	"crypto/ed25519"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

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

// Decode: see wire.Decode.
func Decode(raw []byte) (*Decoded, error) { return wire.Decode(raw) }

// DecodeSigned: see wire.DecodeSigned.
func DecodeSigned(s *reportv1.SignedReport, raw []byte) (*Decoded, error) {
	return wire.DecodeSigned(s, raw)
}

// Sign: see wire.Sign.
func Sign(priv ed25519.PrivateKey, chainID string, r *reportv1.Report) ([]byte, error) {
	return wire.Sign(priv, chainID, r)
}

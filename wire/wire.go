// Package wire is the wire format of device reports: decoding and checking
// a SignedReport, and signing one with a device key. It is all a device or
// a gateway needs, so it depends on nothing but crypto and the generated
// protobuf types (no chain state, no storage).
package wire

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// Size limits of one signed report.
const (
	MaxSignedReportBytes = 1024
	MaxMetrics           = 16
)

// Decoded is a signed report whose encoding has been checked (not its
// signature, nor any state rule).
type Decoded struct {
	Raw       []byte // the SignedReport bytes
	Signed    *reportv1.SignedReport
	Report    *reportv1.Report
	PubKey    ed25519.PublicKey
	Device    crypto.DeviceID
	SignBytes func(chainID string) []byte
}

// ErrMalformed wraps every decoding failure.
var ErrMalformed = fmt.Errorf("malformed report")

// Decode checks and decodes a SignedReport given as raw bytes (the MQTT
// payload, or an element of a batch re-encoded).
func Decode(raw []byte) (*Decoded, error) {
	if len(raw) > MaxSignedReportBytes {
		return nil, fmt.Errorf("%w: %d bytes, max %d", ErrMalformed, len(raw), MaxSignedReportBytes)
	}
	var s reportv1.SignedReport
	if err := proto.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return DecodeSigned(&s, raw)
}

// DecodeSigned checks an already-unmarshalled SignedReport. raw may be nil.
func DecodeSigned(s *reportv1.SignedReport, raw []byte) (*Decoded, error) {
	if len(s.ProtoReflect().GetUnknown()) > 0 {
		return nil, fmt.Errorf("%w: unknown fields", ErrMalformed)
	}
	if len(s.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes", ErrMalformed, len(s.Signature))
	}
	if len(s.ReportBytes) > MaxSignedReportBytes {
		return nil, fmt.Errorf("%w: report too large", ErrMalformed)
	}
	var r reportv1.Report
	if err := proto.Unmarshal(s.ReportBytes, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(r.ProtoReflect().GetUnknown()) > 0 {
		return nil, fmt.Errorf("%w: unknown fields in report", ErrMalformed)
	}
	pub, err := crypto.CheckPubKey(r.DevicePublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Network == "" || len(r.Network) > 64 {
		return nil, fmt.Errorf("%w: network id", ErrMalformed)
	}
	if len(r.Metrics) == 0 || len(r.Metrics) > MaxMetrics {
		return nil, fmt.Errorf("%w: %d metrics (1..%d)", ErrMalformed, len(r.Metrics), MaxMetrics)
	}
	for _, m := range r.Metrics {
		if len(m.ProtoReflect().GetUnknown()) > 0 {
			return nil, fmt.Errorf("%w: unknown fields in metric", ErrMalformed)
		}
	}
	if raw == nil {
		raw, _ = proto.MarshalOptions{Deterministic: true}.Marshal(s)
	}
	d := &Decoded{Raw: raw, Signed: s, Report: &r, PubKey: pub, Device: crypto.AddressFromPubKey(pub)}
	body := s.ReportBytes
	d.SignBytes = func(chainID string) []byte { return crypto.SignBytes(crypto.DomainReport, chainID, body) }
	return d, nil
}

// Verify checks the device's signature.
func (d *Decoded) Verify(chainID string) bool {
	return crypto.Verify(d.PubKey, crypto.DomainReport, chainID, d.Signed.ReportBytes, d.Signed.Signature) == nil
}

// Sign encodes and signs a report with the device key, returning the
// SignedReport bytes (what devices publish).
func Sign(priv ed25519.PrivateKey, chainID string, r *reportv1.Report) ([]byte, error) {
	if r.DevicePublicKey == nil {
		r.DevicePublicKey = priv.Public().(ed25519.PublicKey)
	} else if !bytes.Equal(r.DevicePublicKey, priv.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("report names another device's key")
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
	if err != nil {
		return nil, err
	}
	sig := crypto.Sign(priv, crypto.DomainReport, chainID, body)
	return proto.MarshalOptions{Deterministic: true}.Marshal(&reportv1.SignedReport{ReportBytes: body, Signature: sig})
}

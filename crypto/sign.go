package crypto

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
)

// Domain prefixes of sign bytes. Every kind of signed message has its own,
// so a signature made for one kind can never be replayed as another.
const (
	DomainTx      = "depin/tx/v1"
	DomainReport  = "depin/report/v1"
	DomainDevCert = "depin/devcert/v1"
	// DomainRegister: a device key's proof of possession, signing the
	// address of the account that registers it.
	DomainRegister = "depin/register/v1"
)

// SignPossession is a device key's proof of possession for registering
// the device to owner on chainID: its signature over the owner's address.
func SignPossession(devicePriv ed25519.PrivateKey, chainID string, owner Address) []byte {
	return Sign(devicePriv, DomainRegister, chainID, owner[:])
}

// VerifyPossession checks a proof of possession made by SignPossession.
func VerifyPossession(devicePub ed25519.PublicKey, chainID string, owner Address, sig []byte) error {
	return Verify(devicePub, DomainRegister, chainID, owner[:], sig)
}

// ErrInvalidSignature is returned when a signature does not verify.
var ErrInvalidSignature = errors.New("invalid signature")

// ErrInvalidPubKey is returned for public keys of the wrong size.
var ErrInvalidPubKey = errors.New("invalid public key")

// SignBytes builds the bytes a signature covers:
//
//	domain || 0x00 || uvarint(len(chainID)) || chainID || payload
//
// The payload travels with the signature, so nothing is re-encoded.
func SignBytes(domain, chainID string, payload []byte) []byte {
	out := make([]byte, 0, len(domain)+1+binary.MaxVarintLen64+len(chainID)+len(payload))
	out = append(out, domain...)
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(len(chainID)))
	out = append(out, chainID...)
	out = append(out, payload...)
	return out
}

// CheckPubKey checks that b is an ed25519 public key by size.
func CheckPubKey(b []byte) (ed25519.PublicKey, error) {
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidPubKey, len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Verify checks sig over SignBytes(domain, chainID, payload).
func Verify(pub ed25519.PublicKey, domain, chainID string, payload, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return ErrInvalidPubKey
	}
	if len(sig) != ed25519.SignatureSize || !verifyEd25519(pub, SignBytes(domain, chainID, payload), sig) {
		return ErrInvalidSignature
	}
	return nil
}

// Sign signs SignBytes(domain, chainID, payload).
func Sign(priv ed25519.PrivateKey, domain, chainID string, payload []byte) []byte {
	return ed25519.Sign(priv, SignBytes(domain, chainID, payload))
}

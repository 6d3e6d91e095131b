package auth

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// MaxTxBytes bounds any transaction; CometBFT's block limit is larger.
const MaxTxBytes = 4 << 20

// Tx is a decoded transaction whose encoding has been checked (but not
// its signature or any state rule).
type Tx struct {
	Raw       []byte // the bytes as they came in a block or to the mempool
	BodyBytes []byte
	Signature []byte
	Body      *txv1.TxBody
	PubKey    ed25519.PublicKey
	Signer    crypto.Address
}

// DecodeTx decodes raw transaction bytes. It rejects, with ErrTxDecode or
// ErrTxTooLarge, anything that is not a canonically encoded Tx with a
// well-formed body: unknown fields, a missing signer, a bad key size, no
// messages, empty messages.
func DecodeTx(raw []byte) (*Tx, error) {
	if len(raw) > MaxTxBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", errs.ErrTxTooLarge, len(raw), MaxTxBytes)
	}
	var t txv1.Tx
	if err := proto.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%w: %v", errs.ErrTxDecode, err)
	}
	// Canonical encoding only: otherwise one signed tx could travel under
	// many hashes. Unknown fields survive re-encoding, so they are checked
	// separately: anyone could append one to a signed tx.
	canon, err := proto.MarshalOptions{Deterministic: true}.Marshal(&t)
	if err != nil || !bytes.Equal(canon, raw) || len(t.ProtoReflect().GetUnknown()) > 0 {
		return nil, fmt.Errorf("%w: not canonically encoded", errs.ErrTxDecode)
	}
	if len(t.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", errs.ErrTxDecode, len(t.Signature), ed25519.SignatureSize)
	}
	var body txv1.TxBody
	if err := proto.Unmarshal(t.BodyBytes, &body); err != nil {
		return nil, fmt.Errorf("%w: body: %v", errs.ErrTxDecode, err)
	}
	if hasUnknown(body.ProtoReflect()) {
		return nil, fmt.Errorf("%w: body has unknown fields (is the node older than the client?)", errs.ErrTxDecode)
	}
	if body.Signer == nil {
		return nil, fmt.Errorf("%w: no signer", errs.ErrTxDecode)
	}
	pub, err := crypto.CheckPubKey(body.Signer.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: signer: %v", errs.ErrTxDecode, err)
	}
	if len(body.Messages) == 0 {
		return nil, fmt.Errorf("%w: no messages", errs.ErrTxDecode)
	}
	for i, m := range body.Messages {
		if m.GetSum() == nil {
			return nil, fmt.Errorf("%w: message %d is empty or of an unknown type", errs.ErrTxDecode, i)
		}
	}
	if body.Fee == nil {
		return nil, fmt.Errorf("%w: no fee", errs.ErrTxDecode)
	}
	return &Tx{
		Raw: raw, BodyBytes: t.BodyBytes, Signature: t.Signature, Body: &body,
		PubKey: pub, Signer: crypto.AddressFromPubKey(pub),
	}, nil
}

// SignBytes are the bytes the signature must cover on chainID.
func (t *Tx) SignBytes(chainID string) []byte {
	return crypto.SignBytes(crypto.DomainTx, chainID, t.BodyBytes)
}

// VerifySignature checks the signature over the chain's sign bytes.
func (t *Tx) VerifySignature(chainID string) error {
	if err := crypto.Verify(t.PubKey, crypto.DomainTx, chainID, t.BodyBytes, t.Signature); err != nil {
		return t.SignatureError(chainID)
	}
	return nil
}

// SignatureError is the error for a signature that did not verify (by
// VerifySignature or in a batch).
func (t *Tx) SignatureError(chainID string) error {
	return fmt.Errorf("%w: signer %s on chain %q (wrong key, tampered body or wrong chain id)", errs.ErrInvalidSignature, t.Signer, chainID)
}

func hasUnknown(m protoreflect.Message) bool {
	if len(m.GetUnknown()) > 0 {
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = hasUnknown(l.Get(i).Message())
			}
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			found = hasUnknown(v.Message())
		}
		return !found
	})
	return found
}

// SignTx builds and signs a transaction: it encodes body, signs the sign
// bytes for chainID and returns the encoded Tx.
func SignTx(priv ed25519.PrivateKey, chainID string, body *txv1.TxBody) ([]byte, error) {
	bodyBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(body)
	if err != nil {
		return nil, err
	}
	sig := crypto.Sign(priv, crypto.DomainTx, chainID, bodyBytes)
	return proto.MarshalOptions{Deterministic: true}.Marshal(&txv1.Tx{BodyBytes: bodyBytes, Signature: sig})
}

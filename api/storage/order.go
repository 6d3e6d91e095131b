package storage

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// Orders and receipts are what an uploader and a storage node exchange
// off chain. Every request to a node carries an order signed by the
// uploader's account key; a node answers a PUT with a receipt signed by
// its device key. Both are canonically encoded protobuf messages signed
// over domain-separated sign bytes (crypto.SignBytes), so a signature
// made for one kind of message, or one chain, is never valid for another.

// Sign-byte domains of orders and receipts.
const (
	DomainOrder   = "depin/storage/order/v1"
	DomainReceipt = "depin/storage/receipt/v1"
)

// Limits of orders and receipts.
const (
	PieceIDLen      = 32
	SerialLen       = 16
	MaxOrderBytes   = 512 // a SignedOrder
	MaxReceiptBytes = 512 // a SignedReceipt
)

// Errors of orders and receipts. A node answers each with its own
// status (storagenode); they say what is wrong with the request, never
// with the node.
var (
	ErrMalformedOrder   = errors.New("malformed storage order")
	ErrOrderSignature   = errors.New("the order's signature does not verify")
	ErrOrderExpired     = errors.New("the order has expired")
	ErrOrderTooLong     = errors.New("the order expires too far in the future")
	ErrOrderWrongNode   = errors.New("the order is for another storage node")
	ErrMalformedReceipt = errors.New("malformed storage receipt")
	ErrReceiptSignature = errors.New("the receipt's signature does not verify")
)

// PieceID names piece index of segment of an owner's file. It depends on
// nothing a deal assigns, so pieces are uploaded (under this id) before
// the deal that commits to them is opened, and a node finds the pieces a
// deal references from the deal alone (owner, file id, segment, index).
// The owner is part of it: nobody can take another account's piece ids.
func PieceID(owner crypto.Address, fileID []byte, segment, index uint32) []byte {
	h := sha256.New()
	h.Write([]byte("depin/storage/piece/v1\x00"))
	h.Write(owner[:])
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(fileID))))
	h.Write(fileID)
	h.Write(binary.BigEndian.AppendUint32(nil, segment))
	h.Write(binary.BigEndian.AppendUint32(nil, index))
	return h.Sum(nil)
}

// PieceIDOf is the id of a deal's piece (see PieceID).
func PieceIDOf(d *storagev1.Deal, p *storagev1.Piece) []byte {
	owner, _ := crypto.AddressFromBytes(d.Owner)
	return PieceID(owner, d.FileId, p.Segment, p.Index)
}

func marshal(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// canonical unmarshals raw into m and checks that it is m's one encoding
// with no unknown fields, so one signed message has one form.
func canonical(raw []byte, m proto.Message) error {
	if err := proto.Unmarshal(raw, m); err != nil {
		return err
	}
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return errors.New("unknown fields")
	}
	again, err := marshal(m)
	if err != nil || !bytes.Equal(again, raw) {
		return errors.New("not canonically encoded")
	}
	return nil
}

// SignOrder encodes o, with the signer's public key set, and signs it
// with the uploader's account key for chainID; it returns the
// SignedOrder bytes (what the Depin-Order header carries, base64url).
func SignOrder(priv ed25519.PrivateKey, chainID string, o *storagev1.Order) ([]byte, error) {
	o.OwnerPublicKey = priv.Public().(ed25519.PublicKey)
	body, err := marshal(o)
	if err != nil {
		return nil, err
	}
	if _, err := checkOrder(o); err != nil {
		return nil, err
	}
	return marshal(&storagev1.SignedOrder{OrderBytes: body, Signature: crypto.Sign(priv, DomainOrder, chainID, body)})
}

// Order is a decoded order whose encoding and fields have been checked,
// not yet its signature or expiry (Check does both).
type Order struct {
	*storagev1.Order
	Owner     crypto.Address // the piece's owner: the signer's address
	Node      crypto.DeviceID
	body, sig []byte
}

// DecodeOrder decodes SignedOrder bytes: canonical encodings, no unknown
// fields, a known action, a 32-byte piece id, a 16-byte serial, a 20-byte
// node id, a 32-byte public key and a 64-byte signature.
func DecodeOrder(raw []byte) (*Order, error) {
	if len(raw) > MaxOrderBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedOrder, len(raw), MaxOrderBytes)
	}
	var s storagev1.SignedOrder
	if err := canonical(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedOrder, err)
	}
	if len(s.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: a signature of %d bytes", ErrMalformedOrder, len(s.Signature))
	}
	var o storagev1.Order
	if err := canonical(s.OrderBytes, &o); err != nil {
		return nil, fmt.Errorf("%w: order: %v", ErrMalformedOrder, err)
	}
	node, err := checkOrder(&o)
	if err != nil {
		return nil, err
	}
	return &Order{Order: &o, Owner: crypto.AddressFromPubKey(o.OwnerPublicKey), Node: node, body: s.OrderBytes, sig: s.Signature}, nil
}

func checkOrder(o *storagev1.Order) (crypto.DeviceID, error) {
	var node crypto.DeviceID
	switch {
	case o.Action != storagev1.OrderAction_ORDER_ACTION_PUT && o.Action != storagev1.OrderAction_ORDER_ACTION_GET &&
		o.Action != storagev1.OrderAction_ORDER_ACTION_DELETE:
		return node, fmt.Errorf("%w: action %d", ErrMalformedOrder, o.Action)
	case len(o.PieceId) != PieceIDLen:
		return node, fmt.Errorf("%w: a piece id of %d bytes, want %d", ErrMalformedOrder, len(o.PieceId), PieceIDLen)
	case len(o.Serial) != SerialLen:
		return node, fmt.Errorf("%w: a serial of %d bytes, want %d", ErrMalformedOrder, len(o.Serial), SerialLen)
	case len(o.OwnerPublicKey) != ed25519.PublicKeySize:
		return node, fmt.Errorf("%w: an owner key of %d bytes", ErrMalformedOrder, len(o.OwnerPublicKey))
	case o.Action == storagev1.OrderAction_ORDER_ACTION_PUT && o.Size == 0:
		return node, fmt.Errorf("%w: a PUT of 0 bytes (a piece is never empty)", ErrMalformedOrder)
	case o.Expires <= 0:
		return node, fmt.Errorf("%w: no expiry", ErrMalformedOrder)
	}
	node, err := crypto.AddressFromBytes(o.Node)
	if err != nil {
		return node, fmt.Errorf("%w: node: %v", ErrMalformedOrder, err)
	}
	return node, nil
}

// Check is what a node asks of an order before it acts on it: signed by
// its owner's key for chainID, for this node, not expired at now (unix
// seconds) and expiring at most maxTTL seconds after now — a node
// remembers serials until their orders expire, so the bound is what its
// replay memory costs.
func (o *Order) Check(chainID string, node crypto.DeviceID, now, maxTTL int64) error {
	if err := crypto.Verify(o.OwnerPublicKey, DomainOrder, chainID, o.body, o.sig); err != nil {
		return fmt.Errorf("%w (signed by %s for chain %q?)", ErrOrderSignature, o.Owner, chainID)
	}
	if o.Node != node {
		return fmt.Errorf("%w: it names %s, this is %s", ErrOrderWrongNode, crypto.DeviceString(o.Node), crypto.DeviceString(node))
	}
	if o.Expires <= now {
		return fmt.Errorf("%w: at %d, %d s ago", ErrOrderExpired, o.Expires, now-o.Expires)
	}
	if o.Expires-now > maxTTL {
		return fmt.Errorf("%w: in %d s, at most %d s", ErrOrderTooLong, o.Expires-now, maxTTL)
	}
	return nil
}

// SignReceipt encodes r, with the device's public key set, and signs it
// with the node's device key for chainID; it returns the SignedReceipt
// bytes (the body of a node's answer to a PUT).
func SignReceipt(devicePriv ed25519.PrivateKey, chainID string, r *storagev1.Receipt) ([]byte, error) {
	r.NodePublicKey = devicePriv.Public().(ed25519.PublicKey)
	body, err := marshal(r)
	if err != nil {
		return nil, err
	}
	return marshal(&storagev1.SignedReceipt{ReceiptBytes: body, Signature: crypto.Sign(devicePriv, DomainReceipt, chainID, body)})
}

// Receipt is a decoded receipt whose encoding and fields have been
// checked, not yet its signature (Verify).
type Receipt struct {
	*storagev1.Receipt
	Node      crypto.DeviceID // the signing node
	body, sig []byte
}

// DecodeReceipt decodes SignedReceipt bytes: canonical encodings, no
// unknown fields, a 32-byte piece id and root, a 32-byte node key, a
// 20-byte owner, a 16-byte serial, a size and a 64-byte signature.
func DecodeReceipt(raw []byte) (*Receipt, error) {
	if len(raw) > MaxReceiptBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedReceipt, len(raw), MaxReceiptBytes)
	}
	var s storagev1.SignedReceipt
	if err := canonical(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedReceipt, err)
	}
	if len(s.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: a signature of %d bytes", ErrMalformedReceipt, len(s.Signature))
	}
	var r storagev1.Receipt
	if err := canonical(s.ReceiptBytes, &r); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrMalformedReceipt, err)
	}
	switch {
	case len(r.PieceId) != PieceIDLen || len(r.Root) != HashSize:
		return nil, fmt.Errorf("%w: piece id of %d and root of %d bytes", ErrMalformedReceipt, len(r.PieceId), len(r.Root))
	case len(r.NodePublicKey) != ed25519.PublicKeySize || len(r.Owner) != crypto.AddressLen || len(r.Serial) != SerialLen:
		return nil, fmt.Errorf("%w: node key, owner or serial of the wrong size", ErrMalformedReceipt)
	case r.Size == 0 || r.LeafSize == 0:
		return nil, fmt.Errorf("%w: size %d, leaf size %d", ErrMalformedReceipt, r.Size, r.LeafSize)
	}
	return &Receipt{Receipt: &r, Node: crypto.AddressFromPubKey(r.NodePublicKey), body: s.ReceiptBytes, sig: s.Signature}, nil
}

// Verify checks the node's signature for chainID.
func (r *Receipt) Verify(chainID string) error {
	if err := crypto.Verify(r.NodePublicKey, DomainReceipt, chainID, r.body, r.sig); err != nil {
		return fmt.Errorf("%w (node %s)", ErrReceiptSignature, crypto.DeviceString(r.Node))
	}
	return nil
}

// The storage node's HTTP API (storagenode serves it, clients call it):
// PUT, GET, HEAD and DELETE of PiecePath(id), each with a SignedOrder in
// the OrderHeader, base64url without padding. A PUT's body is the piece;
// the answer is a SignedReceipt. Errors are JSON {error, code}.
const (
	OrderHeader = "Depin-Order"
	// RootHeader carries the hex Merkle root a node recorded for the
	// piece it serves (GET, HEAD): a client checks the bytes against the
	// deal's root, never against this.
	RootHeader = "Depin-Piece-Root"
)

// PiecePath is the URL path of a piece on a node.
func PiecePath(id []byte) string { return "/v1/pieces/" + hex.EncodeToString(id) }

package storage

import (
	"bytes"
	"encoding/binary"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Error kinds (codespace "storage").
var (
	ErrInvalidDeal     = errs.Register("storage", 2, "invalid storage deal")
	ErrUnknownDeal     = errs.Register("storage", 3, "no such storage deal")
	ErrDealClosed      = errs.Register("storage", 4, "storage deal is closed")
	ErrInvalidEndpoint = errs.Register("storage", 5, "invalid storage endpoint")
	ErrInvalidProof    = errs.Register("storage", 6, "invalid audit proof")
	ErrNoStorage       = errs.Register("storage", 7, "network has no storage market")
	ErrNodeUnavailable = errs.Register("storage", 8, "storage node unavailable")
)

// State layout (see the package comment).
var (
	EndpointPrefix  = []byte("storage/e/")
	DealPrefix      = []byte("storage/d/")
	SeqKey          = []byte("storage/seq")
	OwnerPrefix     = []byte("storage/o/")
	ActivePrefix    = []byte("storage/a/")
	PiecePrefix     = []byte("storage/p/")
	ChallengePrefix = []byte("storage/c/")
	StatsPrefix     = []byte("storage/s/")
	PassPrefix      = []byte("storage/k/")
)

// EndpointKey is where a node's endpoint lives.
func EndpointKey(id crypto.DeviceID) []byte { return keys.New(EndpointPrefix).Bytes(id[:]) }

// DealKey is where a deal lives.
func DealKey(id uint64) []byte { return keys.New(DealPrefix).U64(id) }

// ByOwnerPrefix lists an owner's deals.
func ByOwnerPrefix(a crypto.Address) []byte { return keys.New(OwnerPrefix).Bytes(a[:]) }

// OwnerIndexKey is the owner-index key of a deal.
func OwnerIndexKey(a crypto.Address, id uint64) []byte {
	return keys.New(OwnerPrefix).Bytes(a[:]).U64(id)
}

// ActiveNetworkPrefix lists a network's active deals.
func ActiveNetworkPrefix(net string) []byte { return keys.New(ActivePrefix).Str(net).Sep() }

// ActiveKey is the active-index key of a deal.
func ActiveKey(net string, id uint64) []byte {
	return keys.New(ActivePrefix).Str(net).Sep().U64(id)
}

// NetworkPiecesPrefix lists a network's live pieces, grouped by node.
func NetworkPiecesPrefix(net string) []byte { return keys.New(PiecePrefix).Str(net).Sep() }

// NodePiecesPrefix lists one node's live pieces.
func NodePiecesPrefix(net string, node crypto.DeviceID) []byte {
	return keys.New(PiecePrefix).Str(net).Sep().Bytes(node[:])
}

// PieceKey is the node-index key of a deal's live piece. Its value is
// the piece's PieceEntry.
func PieceKey(net string, node crypto.DeviceID, deal uint64, piece uint32) []byte {
	return keys.New(PiecePrefix).Str(net).Sep().Bytes(node[:]).U64(deal).U32(piece)
}

// PieceEntry is what the piece index holds of a live piece: what drawing
// its challenges, checking their proofs and judging them needs, so that
// none of them reads the piece's deal.
type PieceEntry struct {
	Size      uint64 // bytes
	LeafSize  uint32 // the deal's
	Root      []byte // HashSize bytes
	RepairDue bool   // a repairer's fee waits for the piece's first passed audit
}

// pieceEntryLen: size (8 bytes), leaf size (4), root (32), flags (1).
const pieceEntryLen = 8 + 4 + HashSize + 1

// Bytes encodes the entry: size, leaf size (big-endian), root, and a
// flags byte (bit 0: repair due).
func (e PieceEntry) Bytes() []byte {
	b := make([]byte, 0, pieceEntryLen)
	b = binary.BigEndian.AppendUint64(b, e.Size)
	b = binary.BigEndian.AppendUint32(b, e.LeafSize)
	b = append(b, e.Root...)
	flags := byte(0)
	if e.RepairDue {
		flags |= 1
	}
	return append(b, flags)
}

// PieceEntryFromBytes decodes an entry; false unless v is one (a root
// of HashSize bytes).
func PieceEntryFromBytes(v []byte) (PieceEntry, bool) {
	if len(v) != pieceEntryLen || v[pieceEntryLen-1]&^1 != 0 {
		return PieceEntry{}, false
	}
	return PieceEntry{Size: binary.BigEndian.Uint64(v), LeafSize: binary.BigEndian.Uint32(v[8:]), Root: bytes.Clone(v[12 : 12+HashSize]),
		RepairDue: v[pieceEntryLen-1]&1 != 0}, true
}

// PieceFromKey decodes the node, deal and piece of a key under
// NetworkPiecesPrefix(net).
func PieceFromKey(net string, k []byte) (node crypto.DeviceID, deal uint64, piece uint32, ok bool) {
	p := NetworkPiecesPrefix(net)
	if len(k) != len(p)+crypto.AddressLen+12 {
		return node, 0, 0, false
	}
	rest := k[len(p):]
	copy(node[:], rest[:crypto.AddressLen])
	rest = rest[crypto.AddressLen:]
	deal, _ = keys.LastU64(rest[:8])
	piece = uint32(rest[8])<<24 | uint32(rest[9])<<16 | uint32(rest[10])<<8 | uint32(rest[11])
	return node, deal, piece, true
}

// NetworkChallengesPrefix lists a network's current challenges, one
// NodeChallenges record per node, in node order.
func NetworkChallengesPrefix(net string) []byte { return keys.New(ChallengePrefix).Str(net).Sep() }

// ChallengesKey is where a node's challenges of its network's current
// epoch live (a NodeChallenges record).
func ChallengesKey(net string, node crypto.DeviceID) []byte {
	return keys.New(ChallengePrefix).Str(net).Sep().Bytes(node[:])
}

// PassKey is where a network's running epoch pass (an EpochPass) lives:
// absent when none runs.
func PassKey(net string) []byte { return keys.New(PassPrefix).Str(net) }

// StatsKey is where a node's storage record lives.
func StatsKey(id crypto.DeviceID) []byte { return keys.New(StatsPrefix).Bytes(id[:]) }

// DealIDFromIndexKey is the deal id at the end of an owner- or
// active-index key.
func DealIDFromIndexKey(k []byte) (uint64, bool) { return keys.LastU64(k) }

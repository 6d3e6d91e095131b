package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/merkle"
	gogotypes "github.com/cosmos/gogoproto/types"

	"github.com/depinhq/depin/crypto"
)

// What a client needs to check that a header was signed by more than 2/3
// of a validator set: the header hash, the validator set hash and the
// signature check of a commit, computed as CometBFT's types package does
// (Header.Hash, ValidatorSet.Hash, VerifyCommitLight) from the same
// protobuf encodings. CometBFT's types package itself would link much of
// CometBFT; commit_test.go holds these to it (the same hashes, and the
// same verdicts as VerifyCommitLight, also under FuzzVerifyCommitLight).

// Hash is the block hash a block ID names: the Merkle root of the header's
// fields, each in its protobuf encoding. Nil for a header without a
// validators hash, as in CometBFT.
func (h *Header) Hash() HexBytes {
	if h == nil || len(h.ValidatorsHash) == 0 {
		return nil
	}
	version, err := (&cmtversion.Consensus{Block: h.Version.Block, App: h.Version.App}).Marshal()
	if err != nil {
		return nil
	}
	t, err := gogotypes.StdTimeMarshal(h.Time)
	if err != nil {
		return nil // a time outside years 1–9999
	}
	last := h.LastBlockID.proto()
	lastID, err := last.Marshal()
	if err != nil {
		return nil
	}
	return merkle.HashFromByteSlices([][]byte{
		version,
		mustMarshal(&gogotypes.StringValue{Value: h.ChainID}),
		mustMarshal(&gogotypes.Int64Value{Value: h.Height}),
		t,
		lastID,
		wrapBytes(h.LastCommitHash),
		wrapBytes(h.DataHash),
		wrapBytes(h.ValidatorsHash),
		wrapBytes(h.NextValidatorsHash),
		wrapBytes(h.ConsensusHash),
		wrapBytes(h.AppHash),
		wrapBytes(h.LastResultsHash),
		wrapBytes(h.EvidenceHash),
		wrapBytes(h.ProposerAddress),
	})
}

func wrapBytes(b []byte) []byte { return mustMarshal(&gogotypes.BytesValue{Value: b}) }

// mustMarshal encodes a wrapper message, which cannot fail.
func mustMarshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func (id BlockID) proto() cmtproto.BlockID {
	return cmtproto.BlockID{Hash: id.Hash, PartSetHeader: cmtproto.PartSetHeader{Total: id.PartSetHeader.Total, Hash: id.PartSetHeader.Hash}}
}

// isNil: the zero block ID, which votes for no block carry.
func (id BlockID) isNil() bool {
	return len(id.Hash) == 0 && id.PartSetHeader.Total == 0 && len(id.PartSetHeader.Hash) == 0
}

func (id BlockID) equal(o BlockID) bool {
	return bytes.Equal(id.Hash, o.Hash) && id.PartSetHeader.Total == o.PartSetHeader.Total &&
		bytes.Equal(id.PartSetHeader.Hash, o.PartSetHeader.Hash)
}

// Limits CometBFT holds validator sets and commit signatures to.
const (
	maxTotalVotingPower = int64(math.MaxInt64) / 8
	validatorAddressLen = 20
	maxSignatureLen     = 64
	blockIDFlagCommit   = 2 // the signature is a precommit for the commit's block
)

// validatorSet is a CometBFT validator set in its canonical order: voting
// power descending, then address ascending.
type validatorSet struct {
	vals  []*validator
	total int64
}

// newValidatorSet checks and orders vals as CometBFT's NewValidatorSet
// does. Only ed25519 keys are accepted (the only kind depin validators
// have); each address must be its key's.
func newValidatorSet(vals []*validator) (*validatorSet, error) {
	if len(vals) == 0 {
		return nil, errors.New("empty validator set")
	}
	s := &validatorSet{vals: slices.Clone(vals)}
	seen := map[string]bool{}
	for _, v := range s.vals {
		if v == nil {
			return nil, errors.New("nil validator")
		}
		if v.PubKey.Type != ed25519KeyType || len(v.PubKey.Value) != crypto.PubKeySize {
			return nil, fmt.Errorf("validator %s: key of type %q and %d bytes: this client checks ed25519 keys only", v.Address, v.PubKey.Type, len(v.PubKey.Value))
		}
		if sum := sha256.Sum256(v.PubKey.Value); !bytes.Equal(v.Address, sum[:validatorAddressLen]) {
			return nil, fmt.Errorf("validator %s: address is not its key's", v.Address)
		}
		if seen[string(v.Address)] {
			return nil, fmt.Errorf("validator %s listed twice", v.Address)
		}
		seen[string(v.Address)] = true
		if v.VotingPower <= 0 || v.VotingPower > maxTotalVotingPower-s.total {
			return nil, fmt.Errorf("validator %s: voting power %d out of range", v.Address, v.VotingPower)
		}
		s.total += v.VotingPower
	}
	slices.SortFunc(s.vals, func(a, b *validator) int {
		if a.VotingPower != b.VotingPower {
			if a.VotingPower > b.VotingPower {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Address, b.Address)
	})
	return s, nil
}

// hash is the Merkle root of the validators (key and power each), what a
// header's ValidatorsHash names.
func (s *validatorSet) hash() []byte {
	leaves := make([][]byte, len(s.vals))
	for i, v := range s.vals {
		leaves[i] = mustMarshal(&cmtproto.SimpleValidator{
			PubKey:      &cmtcrypto.PublicKey{Sum: &cmtcrypto.PublicKey_Ed25519{Ed25519: v.PubKey.Value}},
			VotingPower: v.VotingPower,
		})
	}
	return merkle.HashFromByteSlices(leaves)
}

// verifyCommitLight checks that validators of s with more than 2/3 of its
// voting power signed c, a commit of height for blockID on chainID
// (CometBFT's VerifyCommitLight: signatures are checked until the power
// is reached; the i-th signature is the i-th validator's).
func (s *validatorSet) verifyCommitLight(chainID string, blockID BlockID, height int64, c *blockCommit) error {
	if c == nil {
		return errors.New("no commit")
	}
	if len(c.Signatures) != len(s.vals) {
		return fmt.Errorf("commit has %d signatures for %d validators", len(c.Signatures), len(s.vals))
	}
	if c.Height != height {
		return fmt.Errorf("commit is for height %d, not %d", c.Height, height)
	}
	if !c.BlockID.equal(blockID) {
		return fmt.Errorf("commit is for block %s, not %s", c.BlockID.Hash, blockID.Hash)
	}
	needed := s.total * 2 / 3
	var tallied int64
	for i, sig := range c.Signatures {
		if sig.BlockIDFlag != blockIDFlagCommit {
			continue // absent, or a vote for no block
		}
		if len(sig.ValidatorAddress) != validatorAddressLen || len(sig.Signature) == 0 || len(sig.Signature) > maxSignatureLen {
			return fmt.Errorf("malformed signature #%d", i)
		}
		v := s.vals[i]
		msg, err := c.voteSignBytes(chainID, i)
		if err != nil {
			return err
		}
		if !crypto.VerifyRaw(v.PubKey.Value, msg, sig.Signature) {
			return fmt.Errorf("wrong signature #%d (validator %s)", i, v.Address)
		}
		tallied += v.VotingPower
		if tallied > needed {
			return nil
		}
	}
	return fmt.Errorf("signatures of %d of %d voting power, more than %d needed", tallied, s.total, needed)
}

// voteSignBytes are the bytes validator i signed: its precommit in
// canonical form, length-prefixed (CometBFT's Commit.VoteSignBytes).
func (c *blockCommit) voteSignBytes(chainID string, i int) ([]byte, error) {
	sig := c.Signatures[i]
	var id *cmtproto.CanonicalBlockID
	if sig.BlockIDFlag == blockIDFlagCommit && !c.BlockID.isNil() {
		id = &cmtproto.CanonicalBlockID{Hash: c.BlockID.Hash, PartSetHeader: cmtproto.CanonicalPartSetHeader{
			Total: c.BlockID.PartSetHeader.Total, Hash: c.BlockID.PartSetHeader.Hash}}
	}
	vote := cmtproto.CanonicalVote{
		Type:      cmtproto.PrecommitType,
		Height:    c.Height,
		Round:     int64(c.Round),
		BlockID:   id,
		Timestamp: sig.Timestamp,
		ChainID:   chainID,
	}
	bz, err := vote.Marshal()
	if err != nil {
		return nil, fmt.Errorf("signature #%d: %w", i, err)
	}
	return append(binary.AppendUvarint(nil, uint64(len(bz))), bz...), nil
}

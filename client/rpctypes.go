package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/depinhq/depin/api/event"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
)

// The results of the CometBFT RPC calls the client makes, with only the
// fields it (or its callers) use. Field names and shapes follow CometBFT's
// rpc/core/types, so code written against those reads the same; the JSON
// is CometBFT's wire format (libs/json): 64-bit integers are decimal
// strings (the ",string" options), []byte is base64, HexBytes is hex.
// Events are api/event.Event: abci.Event's shape and JSON without its
// package, which links gRPC (about 85 packages no client needs).
// TestRPCAgainstNode decodes a live
// node's answers with both these types and CometBFT's and compares every
// field.

// HexBytes is bytes that CometBFT's JSON writes as upper-case hex (hashes,
// addresses).
type HexBytes []byte

// String is upper-case hex, as CometBFT shows hashes.
func (b HexBytes) String() string { return strings.ToUpper(hex.EncodeToString(b)) }

// MarshalJSON writes upper-case hex.
func (b HexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// UnmarshalJSON reads hex of either case; null leaves b empty.
func (b *HexBytes) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("hex bytes: %w", err)
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("hex bytes: %w", err)
	}
	*b = v
	return nil
}

// Tx is a transaction's bytes as a block carries them.
type Tx []byte

// Hash is the hash CometBFT indexes the tx under (SHA-256).
func (tx Tx) Hash() []byte { s := sha256.Sum256(tx); return s[:] }

// PubKey is a key as CometBFT's JSON writes it: a type name
// ("tendermint/PubKeyEd25519") and the key bytes.
type PubKey struct {
	Type  string `json:"type"`
	Value []byte `json:"value"`
}

// ed25519KeyType is the JSON type name of an ed25519 public key.
const ed25519KeyType = "tendermint/PubKeyEd25519"

// Status is the answer to /status.
type Status struct {
	NodeInfo      NodeInfo      `json:"node_info"`
	SyncInfo      SyncInfo      `json:"sync_info"`
	ValidatorInfo ValidatorInfo `json:"validator_info"`
}

// NodeInfo describes the node (CometBFT's p2p.DefaultNodeInfo).
type NodeInfo struct {
	DefaultNodeID string `json:"id"`
	Network       string `json:"network"` // the chain id
	Version       string `json:"version"` // CometBFT's
	Moniker       string `json:"moniker"`
}

// ID is the node's p2p id.
func (n NodeInfo) ID() string { return n.DefaultNodeID }

// SyncInfo is where the node's chain is.
type SyncInfo struct {
	LatestBlockHash   HexBytes  `json:"latest_block_hash"`
	LatestAppHash     HexBytes  `json:"latest_app_hash"`
	LatestBlockHeight int64     `json:"latest_block_height,string"`
	LatestBlockTime   time.Time `json:"latest_block_time"`
	CatchingUp        bool      `json:"catching_up"`
}

// ValidatorInfo is the node's own validator key and power (0 if it is
// not a validator).
type ValidatorInfo struct {
	Address     HexBytes `json:"address"`
	PubKey      PubKey   `json:"pub_key"`
	VotingPower int64    `json:"voting_power,string"`
}

// BlockWithID is the answer to /block: a block and its ID (the hash its
// commit signs).
type BlockWithID struct {
	BlockID BlockID `json:"block_id"`
	Block   *Block  `json:"block"`
}

// Block is a block's header and txs (its evidence and last commit are
// not decoded).
type Block struct {
	Header `json:"header"`
	Data   `json:"data"`
}

// Data is a block's txs.
type Data struct {
	Txs []Tx `json:"txs"`
}

// Header is a block header; Hash computes what its block ID names.
type Header struct {
	Version            Version   `json:"version"`
	ChainID            string    `json:"chain_id"`
	Height             int64     `json:"height,string"`
	Time               time.Time `json:"time"`
	LastBlockID        BlockID   `json:"last_block_id"`
	LastCommitHash     HexBytes  `json:"last_commit_hash"`
	DataHash           HexBytes  `json:"data_hash"`
	ValidatorsHash     HexBytes  `json:"validators_hash"`
	NextValidatorsHash HexBytes  `json:"next_validators_hash"`
	ConsensusHash      HexBytes  `json:"consensus_hash"`
	AppHash            HexBytes  `json:"app_hash"`
	LastResultsHash    HexBytes  `json:"last_results_hash"`
	EvidenceHash       HexBytes  `json:"evidence_hash"`
	ProposerAddress    HexBytes  `json:"proposer_address"`
}

// Version is the block and app protocol versions a header names.
type Version struct {
	Block uint64 `json:"block,string,omitempty"`
	App   uint64 `json:"app,string,omitempty"`
}

// BlockID identifies a block: its header hash and its parts.
type BlockID struct {
	Hash          HexBytes      `json:"hash"`
	PartSetHeader PartSetHeader `json:"parts"`
}

// PartSetHeader is the count and Merkle root of a block's parts.
type PartSetHeader struct {
	Total uint32   `json:"total"`
	Hash  HexBytes `json:"hash"`
}

// BlockResults is the answer to /block_results.
type BlockResults struct {
	Height              int64           `json:"height,string"`
	TxResults           []*ExecTxResult `json:"txs_results"`
	FinalizeBlockEvents []event.Event   `json:"finalize_block_events"`
	AppHash             []byte          `json:"app_hash"`
}

// ExecTxResult is a committed tx's outcome.
type ExecTxResult struct {
	Code      uint32        `json:"code,omitempty"`
	Log       string        `json:"log,omitempty"`
	Events    []event.Event `json:"events,omitempty"`
	Codespace string        `json:"codespace,omitempty"`
}

// Genesis is the part of the answer to /genesis the client reads.
type Genesis struct {
	GenesisTime   time.Time       `json:"genesis_time"`
	ChainID       string          `json:"chain_id"`
	InitialHeight int64           `json:"initial_height,string"`
	AppState      json.RawMessage `json:"app_state"`
}

// abciQueryResult is the answer to /abci_query.
type abciQueryResult struct {
	Response abciResponse `json:"response"`
}

// abciResponse is the app's answer to a query. CometBFT writes it with
// protobuf's JSON mapping (abci.QueryResponse.MarshalJSON), hence
// "proofOps".
type abciResponse struct {
	Code      uint32              `json:"code"`
	Log       string              `json:"log"`
	Value     []byte              `json:"value"`
	ProofOps  *cmtcrypto.ProofOps `json:"proofOps"`
	Height    int64               `json:"height,string"`
	Codespace string              `json:"codespace"`
}

// broadcastResult is the answer to /broadcast_tx_sync and _async.
type broadcastResult struct {
	Code      uint32   `json:"code"`
	Log       string   `json:"log"`
	Codespace string   `json:"codespace"`
	Hash      HexBytes `json:"hash"`
}

// txResult is the answer to /tx.
type txResult struct {
	Hash     HexBytes     `json:"hash"`
	Height   int64        `json:"height,string"`
	TxResult ExecTxResult `json:"tx_result"`
}

// commitResult is the answer to /commit: a header and the commit that
// signs it.
type commitResult struct {
	SignedHeader struct {
		Header *Header      `json:"header"`
		Commit *blockCommit `json:"commit"`
	} `json:"signed_header"`
	Canonical bool `json:"canonical"`
}

// blockCommit is the validators' precommit signatures of one block.
type blockCommit struct {
	Height     int64       `json:"height,string"`
	Round      int32       `json:"round"`
	BlockID    BlockID     `json:"block_id"`
	Signatures []commitSig `json:"signatures"`
}

// commitSig is one validator's part of a commit, in validator set order.
type commitSig struct {
	BlockIDFlag      byte      `json:"block_id_flag"`
	ValidatorAddress HexBytes  `json:"validator_address"`
	Timestamp        time.Time `json:"timestamp"`
	Signature        []byte    `json:"signature"`
}

// validatorsResult is one page of the answer to /validators.
type validatorsResult struct {
	BlockHeight int64        `json:"block_height,string"`
	Validators  []*validator `json:"validators"`
	Count       int          `json:"count,string"`
	Total       int          `json:"total,string"`
}

// validator is a member of a CometBFT validator set.
type validator struct {
	Address     HexBytes `json:"address"`
	PubKey      PubKey   `json:"pub_key"`
	VotingPower int64    `json:"voting_power,string"`
}

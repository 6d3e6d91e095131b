package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
)

// Views of accounts, balances, blocks, the node, transactions and keys
// (the output model: render.go).

type coinView struct {
	Denom  string `json:"denom"`
	Amount uint64 `json:"amount,string"`
}

func newCoinViews(coins []*bankv1.Coin) []coinView {
	out := make([]coinView, 0, len(coins))
	for _, c := range coins {
		out = append(out, coinView{c.Denom, c.Amount})
	}
	return out
}

// balanceView is one denom's balance, proven or not ('query bank balance
// ADDRESS DENOM', '--prove').
type balanceView struct {
	Address string `json:"address"`
	Denom   string `json:"denom"`
	Amount  uint64 `json:"amount,string"`
	Height  int64  `json:"height,string"`
	Proven  bool   `json:"proven"`
	AppHash string `json:"app_hash,omitempty"` // the proof's root (upper-case hex), if proven
}

func newBalanceView(addr, denom string, amount uint64, r *client.KeyResult) balanceView {
	v := balanceView{Address: addr, Denom: denom, Amount: amount, Height: r.Height, Proven: r.Proven}
	if r.Proven {
		v.AppHash = fmt.Sprintf("%X", r.AppHash)
	}
	return v
}

func (v balanceView) writeText(w io.Writer) {
	fmt.Fprintf(w, "%s has %s at height %d\n", v.Address, client.FormatAmount(bank.Coin(v.Denom, v.Amount)), v.Height)
	if v.Proven {
		fmt.Fprintf(w, "proof verified against app hash %s (block %d, signed by >2/3 of validators)\n", v.AppHash, v.Height+1)
	}
}

// balancesView is every balance of an account, by denom.
type balancesView struct {
	Address  string     `json:"address"`
	Balances []coinView `json:"balances"`
	Height   int64      `json:"height,string"`
}

func (v balancesView) writeText(w io.Writer) {
	fmt.Fprintf(w, "%s at height %d:\n", v.Address, v.Height)
	if len(v.Balances) == 0 {
		fmt.Fprintln(w, "  (no balance)")
	}
	for _, c := range v.Balances {
		fmt.Fprintf(w, "  %s\n", client.FormatAmount(bank.Coin(c.Denom, c.Amount)))
	}
}

type supplyView struct {
	Denom  string `json:"denom"`
	Amount uint64 `json:"amount,string"`
	Height int64  `json:"height,string"`
	Proven bool   `json:"proven"`
}

func (v supplyView) writeText(w io.Writer) {
	fmt.Fprintf(w, "supply of %s: %s at height %d\n", v.Denom, client.FormatAmount(bank.Coin(v.Denom, v.Amount)), v.Height)
}

// accountView is an account's signing state; an account that never sent a
// tx has sequence 0 and no public key yet.
type accountView struct {
	Address   string `json:"address"`
	Sequence  uint64 `json:"sequence,string"`
	PublicKey string `json:"public_key"` // hex
	Height    int64  `json:"height,string"`
}

func newAccountView(addr string, acc *authv1.Account, height int64) accountView {
	return accountView{Address: addr, Sequence: acc.GetSequence(), PublicKey: hex.EncodeToString(acc.GetPublicKey()), Height: height}
}

func (v accountView) writeText(w io.Writer) {
	fmt.Fprintf(w, "address:    %s\nsequence:   %d\npublic key: %s\n", v.Address, v.Sequence, v.PublicKey)
}

// blockView is a block with its transactions' results.
type blockView struct {
	Height   int64         `json:"height,string"`
	Hash     string        `json:"hash"`
	Time     time.Time     `json:"time"`
	ChainID  string        `json:"chain_id"`
	Proposer string        `json:"proposer"`
	AppHash  string        `json:"app_hash"` // the state after the previous block
	Txs      []blockTxView `json:"txs"`
}

type blockTxView struct {
	Hash string `json:"hash"`
	Code uint32 `json:"code"`
	Log  string `json:"log,omitempty"`
}

func newBlockView(b *client.BlockWithID, br *client.BlockResults) blockView {
	v := blockView{
		Height: b.Block.Height, Hash: b.BlockID.Hash.String(), Time: b.Block.Time, ChainID: b.Block.ChainID,
		Proposer: b.Block.ProposerAddress.String(), AppHash: b.Block.AppHash.String(), Txs: make([]blockTxView, 0, len(b.Block.Txs)),
	}
	for i, tx := range b.Block.Txs {
		t := blockTxView{Hash: fmt.Sprintf("%X", tx.Hash())}
		if i < len(br.TxResults) {
			t.Code, t.Log = br.TxResults[i].Code, br.TxResults[i].Log
		}
		v.Txs = append(v.Txs, t)
	}
	return v
}

func (v blockView) writeText(w io.Writer) {
	fmt.Fprintf(w, "block %d  %s\n  time:     %s\n  proposer: %s\n  app hash: %s (state after block %d)\n  txs:      %d\n",
		v.Height, v.Hash, v.Time.UTC().Format("2006-01-02 15:04:05.000"), v.Proposer, v.AppHash, v.Height-1, len(v.Txs))
	for _, t := range v.Txs {
		status := "ok"
		if t.Code != 0 {
			status = "failed: " + t.Log
		}
		fmt.Fprintf(w, "    %s %s\n", t.Hash, status)
	}
}

// statusView is what the node says of itself.
type statusView struct {
	ChainID          string    `json:"chain_id"`
	NodeID           string    `json:"node_id"`
	Moniker          string    `json:"moniker"`
	LatestHeight     int64     `json:"latest_height,string"`
	LatestBlockTime  time.Time `json:"latest_block_time"`
	LatestAppHash    string    `json:"latest_app_hash"`
	CatchingUp       bool      `json:"catching_up"`
	ValidatorAddress string    `json:"validator_address"`
	VotingPower      int64     `json:"voting_power,string"`
}

func newStatusView(st *client.Status) statusView {
	si := st.SyncInfo
	return statusView{
		ChainID: st.NodeInfo.Network, NodeID: string(st.NodeInfo.ID()), Moniker: st.NodeInfo.Moniker,
		LatestHeight: si.LatestBlockHeight, LatestBlockTime: si.LatestBlockTime, LatestAppHash: si.LatestAppHash.String(),
		CatchingUp: si.CatchingUp, ValidatorAddress: st.ValidatorInfo.Address.String(), VotingPower: st.ValidatorInfo.VotingPower,
	}
}

func (v statusView) writeText(w io.Writer) {
	fmt.Fprintf(w, "chain:       %s\nnode:        %s (%s)\nheight:      %d at %s\napp hash:    %s\ncatching up: %v\n",
		v.ChainID, v.NodeID, v.Moniker, v.LatestHeight, v.LatestBlockTime.UTC().Format(time.RFC3339), v.LatestAppHash, v.CatchingUp)
}

// Tx statuses.
const (
	txInMempool = "in_mempool" // --no-wait: accepted into the node's mempool
	txCommitted = "committed"
	txFailed    = "failed" // in a block, but a message failed: only the fee was taken
)

// txView is a submitted transaction's outcome.
type txView struct {
	Hash   string `json:"hash"` // upper-case hex, as CometBFT shows it
	Status string `json:"status"`
	Height int64  `json:"height,string,omitempty"` // the block it is in (not with --no-wait)
	Code   uint32 `json:"code"`
	Log    string `json:"log"`
}

func newTxView(res *client.TxResult) txView {
	v := txView{Hash: res.Hash, Status: txCommitted, Height: res.Height, Code: res.Code, Log: res.Log}
	if res.Code != 0 {
		v.Status = txFailed
	}
	return v
}

func (v txView) writeText(w io.Writer) {
	switch v.Status {
	case txInMempool:
		fmt.Fprintf(w, "Submitted tx %s (not waiting for a block)\n", v.Hash)
	case txCommitted:
		fmt.Fprintf(w, "Committed tx %s in block %d\n", v.Hash, v.Height)
	default:
		fmt.Fprintf(w, "Tx %s in block %d FAILED (fee paid): %s\n", v.Hash, v.Height, v.Log)
	}
}

// keyView is a key in the local key store (never its secret).
type keyView struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	PublicKey string `json:"public_key"` // hex
	Encrypted bool   `json:"encrypted"`
}

func newKeyView(i keystore.Info) keyView {
	return keyView{Name: i.Name, Address: i.Address.String(), PublicKey: hex.EncodeToString(i.PublicKey), Encrypted: i.Encrypted}
}

func (v keyView) writeText(w io.Writer) {
	fmt.Fprintf(w, "name:       %s\naddress:    %s\npublic key: %s\nencrypted:  %v\n", v.Name, v.Address, v.PublicKey, v.Encrypted)
}

// keyAddedView is a key 'keys add' created in dir.
type keyAddedView struct {
	keyView
	dir string
}

func (v keyAddedView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Created key %q\n  address: %s\n  stored:  %s/%s.json", v.Name, v.Address, v.dir, v.Name)
	if !v.Encrypted {
		fmt.Fprintf(w, " (UNENCRYPTED: devnet use only)")
	}
	fmt.Fprintln(w)
}

// keyImportedView is a key 'keys import' stored.
type keyImportedView struct{ keyView }

func (v keyImportedView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Imported %q: %s\n", v.Name, v.Address)
}

// keyListView is the key store's keys by name; JSON: the list alone.
type keyListView struct {
	keys []keyView
	dir  string
}

func newKeyListView(infos []keystore.Info, dir string) keyListView {
	v := keyListView{keys: make([]keyView, 0, len(infos)), dir: dir}
	for _, i := range infos {
		v.keys = append(v.keys, newKeyView(i))
	}
	return v
}

func (v keyListView) MarshalJSON() ([]byte, error) { return marshalList(v.keys) }

func (v keyListView) writeText(w io.Writer) {
	if len(v.keys) == 0 {
		fmt.Fprintf(w, "No keys in %s. Create one with 'depin keys add NAME'.\n", v.dir)
	}
	for _, k := range v.keys {
		note := ""
		if !k.Encrypted {
			note = "  (unencrypted)"
		}
		fmt.Fprintf(w, "%-12s %s%s\n", k.Name, k.Address, note)
	}
}

// initView is a node home 'depin init' wrote.
type initView struct {
	Home    string `json:"home"`
	ChainID string `json:"chain_id"`
	NodeID  string `json:"node_id"`
}

func (v initView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Initialized node %s for chain %s in %s\nStart it with: depin start --home %s\n", v.NodeID, v.ChainID, v.Home, v.Home)
}

// testnetView is the homes 'depin testnet' wrote (text only: its --output
// is the directory).
type testnetView struct {
	ChainID string            `json:"chain_id"`
	Nodes   []testnetNodeView `json:"nodes"`
}

type testnetNodeView struct {
	Home   string `json:"home"`
	NodeID string `json:"node_id"`
	P2P    string `json:"p2p"`
	RPC    string `json:"rpc"`
	API    string `json:"api"`
}

func newTestnetView(chainID string, nodes []node.TestnetNode) testnetView {
	v := testnetView{ChainID: chainID, Nodes: make([]testnetNodeView, 0, len(nodes))}
	for _, n := range nodes {
		v.Nodes = append(v.Nodes, testnetNodeView{Home: n.Home, NodeID: n.NodeID, P2P: n.Ports.P2P, RPC: n.Ports.RPC, API: n.Ports.API})
	}
	return v
}

func (v testnetView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Wrote %d validator homes for chain %s:\n", len(v.Nodes), v.ChainID)
	for _, n := range v.Nodes {
		fmt.Fprintf(w, "  depin start --home %s    # RPC %s, P2P %s, API %s\n", n.Home, n.RPC, n.P2P, n.API)
	}
	fmt.Fprintf(w, "Dev accounts (%v) are funded; their keys are in each home's keys/ directory.\n", node.DevAccounts)
}

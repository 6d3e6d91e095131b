package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
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

	shown string // the amount in the unit the user asked in ("": the default)
}

// text is the amount as people read it: in the unit the user asked in,
// else dpin in DPIN and other tokens in base units.
func (c coinView) text() string {
	if c.shown != "" {
		return c.shown
	}
	return client.FormatAmount(bank.Coin(c.Denom, c.Amount))
}

func newCoinViews(coins []*bankv1.Coin) []coinView {
	out := make([]coinView, 0, len(coins))
	for _, c := range coins {
		out = append(out, coinView{Denom: c.Denom, Amount: c.Amount})
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

	shown string // the amount in the unit the user asked in ("": the default)
}

func newBalanceView(addr, denom string, amount uint64, r *client.KeyResult) balanceView {
	v := balanceView{Address: addr, Denom: denom, Amount: amount, Height: r.Height, Proven: r.Proven}
	if r.Proven {
		v.AppHash = fmt.Sprintf("%X", r.AppHash)
	}
	return v
}

// balanceView's text has the layout of balancesView's.
func (v balanceView) writeText(w io.Writer) {
	balancesView{Address: v.Address, Balances: []coinView{{Denom: v.Denom, Amount: v.Amount, shown: v.shown}}, Height: v.Height,
		Proven: v.Proven, AppHash: v.AppHash}.writeText(w)
}

// balancesView is every balance of an account, by denom (each proven,
// with --prove).
type balancesView struct {
	Address  string     `json:"address"`
	Balances []coinView `json:"balances"`
	Height   int64      `json:"height,string"`
	Proven   bool       `json:"proven"`
	AppHash  string     `json:"app_hash,omitempty"` // the proofs' root (upper-case hex), if proven
}

func (v balancesView) writeText(w io.Writer) {
	fmt.Fprintf(w, "%s at height %d:\n", v.Address, v.Height)
	if len(v.Balances) == 0 {
		fmt.Fprintln(w, "  (no balance)")
	}
	for _, c := range v.Balances {
		fmt.Fprintf(w, "  %s\n", c.text())
	}
	writeProof(w, v.Proven, v.AppHash, v.Height)
}

// writeProof says that what was shown at height was proven.
func writeProof(w io.Writer, proven bool, appHash string, height int64) {
	if proven {
		fmt.Fprintf(w, "proof verified against app hash %s (block %d, signed by >2/3 of validators)\n", appHash, height+1)
	}
}

type supplyView struct {
	Denom   string `json:"denom"`
	Amount  uint64 `json:"amount,string"`
	Height  int64  `json:"height,string"`
	Proven  bool   `json:"proven"`
	AppHash string `json:"app_hash,omitempty"` // the proof's root (upper-case hex), if proven

	shown string // the amount in the unit the user asked in ("" : the default)
}

func (v supplyView) writeText(w io.Writer) {
	fmt.Fprintf(w, "supply of %s: %s at height %d\n", v.Denom, coinView{Denom: v.Denom, Amount: v.Amount, shown: v.shown}.text(), v.Height)
	writeProof(w, v.Proven, v.AppHash, v.Height)
}

// accountView is an account's signing state; an account that never sent a
// tx has sequence 0 and no public key yet.
type accountView struct {
	Address   string `json:"address"`
	Sequence  uint64 `json:"sequence,string"`
	PublicKey string `json:"public_key"` // hex
	Height    int64  `json:"height,string"`
	Proven    bool   `json:"proven"`
	AppHash   string `json:"app_hash,omitempty"` // the proof's root (upper-case hex), if proven
}

func newAccountView(addr string, acc *authv1.Account, r *client.KeyResult) accountView {
	v := accountView{Address: addr, Sequence: acc.GetSequence(), PublicKey: hex.EncodeToString(acc.GetPublicKey()), Height: r.Height, Proven: r.Proven}
	if r.Proven {
		v.AppHash = fmt.Sprintf("%X", r.AppHash)
	}
	return v
}

func (v accountView) writeText(w io.Writer) {
	key := v.PublicKey
	if key == "" {
		key = "(none yet: the account has not signed a tx)"
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "address:\t%s\n", v.Address)
	fmt.Fprintf(tw, "sequence:\t%d\n", v.Sequence)
	fmt.Fprintf(tw, "public key:\t%s\n", key)
	fmt.Fprintf(tw, "height:\t%d\n", v.Height)
	tw.Flush()
	writeProof(w, v.Proven, v.AppHash, v.Height)
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
	tw := newTable(w)
	fmt.Fprintf(tw, "block\t%d\n", v.Height)
	fmt.Fprintf(tw, "hash\t%s\n", v.Hash)
	fmt.Fprintf(tw, "time\t%s\n", v.Time.UTC().Format("2006-01-02 15:04:05.000 UTC"))
	fmt.Fprintf(tw, "proposer\t%s\n", v.Proposer)
	fmt.Fprintf(tw, "app hash\t%s (the state after block %d)\n", v.AppHash, v.Height-1)
	fmt.Fprintf(tw, "txs\t%d\n", len(v.Txs))
	for _, t := range v.Txs {
		status := "ok"
		if t.Code != 0 {
			status = "failed: " + t.Log
		}
		fmt.Fprintf(tw, "\t%s %s\n", t.Hash, status)
	}
	tw.Flush()
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
	sync := "no: in step with the network"
	if v.CatchingUp {
		sync = "yes: still syncing blocks"
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "chain\t%s\n", v.ChainID)
	fmt.Fprintf(tw, "node\t%s (%s)\n", v.NodeID, v.Moniker)
	fmt.Fprintf(tw, "height\t%d at %s\n", v.LatestHeight, v.LatestBlockTime.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(tw, "app hash\t%s\n", v.LatestAppHash)
	fmt.Fprintf(tw, "catching up\t%s\n", sync)
	tw.Flush()
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
	// Claimed is what the tx paid out as claimed rewards (from its
	// EventRewardsClaimed and EventShareRewardsClaimed events).
	Claimed []claimView `json:"claimed,omitempty"`
}

// claimView is rewards a claim paid: an owner's for devices, or a share
// holder's for one device.
type claimView struct {
	To      string `json:"to"`
	Device  string `json:"device,omitempty"` // a share claim's device
	Denom   string `json:"denom"`
	Amount  uint64 `json:"amount,string"` // base units
	Devices uint32 `json:"devices"`       // devices an owner's claim paid for (0: a share claim)
	Display string `json:"display"`       // the amount in the token's display unit ("0.75 SOLAR")
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
	for _, c := range v.Claimed {
		amount := c.Display
		if amount != fmt.Sprintf("%d%s", c.Amount, c.Denom) {
			amount += fmt.Sprintf(" (%d%s)", c.Amount, c.Denom)
		}
		switch {
		case c.Device != "":
			fmt.Fprintf(w, "Claimed %s for %s's shares of %s\n", amount, c.To, c.Device)
		default:
			fmt.Fprintf(w, "Claimed %s for %s from %d device(s)\n", amount, c.To, c.Devices)
		}
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
	enc := "yes"
	if !v.Encrypted {
		enc = "no (devnet use only)"
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "name\t%s\n", v.Name)
	fmt.Fprintf(tw, "address\t%s\n", v.Address)
	fmt.Fprintf(tw, "public key\t%s\n", v.PublicKey)
	fmt.Fprintf(tw, "encrypted\t%s\n", enc)
	tw.Flush()
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
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tADDRESS\tENCRYPTED")
	for _, k := range v.keys {
		enc := "yes"
		if !k.Encrypted {
			enc = "no"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.Address, enc)
	}
	tw.Flush()
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
	fmt.Fprintf(w, "Wrote %d validator homes for chain %s; start each in its own terminal:\n", len(v.Nodes), v.ChainID)
	tw := newTable(w)
	for _, n := range v.Nodes {
		fmt.Fprintf(tw, "  depin start --home %s\t# RPC %s, P2P %s, API %s\n", n.Home, n.RPC, n.P2P, n.API)
	}
	tw.Flush()
	fmt.Fprintf(w, "Dev accounts (%s) are funded; their keys are in each home's keys/ directory.\n", strings.Join(node.DevAccounts, ", "))
}

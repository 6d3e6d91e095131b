package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
)

// --generate-only: every tx command can print its tx instead of
// broadcasting it, for another tool to broadcast through CometBFT's RPC
// (GET /broadcast_tx_sync?tx=0x…, or JSON-RPC with the base64 form) or
// to sign elsewhere. The node is still asked for the chain id, the
// signer's sequence and the fee schedule.

// generatedTxView is a tx printed by --generate-only.
type generatedTxView struct {
	Tx       string `json:"tx"` // the tx's bytes: 0x-prefixed hex, or base64 (--encoding)
	Encoding string `json:"encoding"`
	Signed   bool   `json:"signed"`
	Hash     string `json:"hash,omitempty"` // signed: the hash CometBFT will index it under
	ChainID  string `json:"chain_id"`
	Signer   string `json:"signer"`
	Sequence uint64 `json:"sequence,string"`
	FeeUdpin uint64 `json:"fee_udpin,string"`
	// SignBytes (unsigned only, hex) are what the signer's ed25519 key
	// must sign: "depin/tx/v1" 0x00 uvarint(len(chain_id)) chain_id
	// body_bytes. The signature goes in the Tx's field 2.
	SignBytes string `json:"sign_bytes,omitempty"`
}

// writeText prints the tx alone, so that $(depin tx … --generate-only)
// is the tx.
func (v generatedTxView) writeText(w io.Writer) { fmt.Fprintln(w, v.Tx) }

// encodeTx writes tx bytes in the --encoding.
func encodeTx(b []byte, encoding string) string {
	if encoding == "base64" {
		return base64.StdEncoding.EncodeToString(b)
	}
	return "0x" + hex.EncodeToString(b)
}

// generateTx prints msgs as a tx signed by from's local key or, if there
// is no local key for from (an address), unsigned.
func (g *globals) generateTx(cmd *cobra.Command, from string, f *txFlags, opts client.TxOptions, msgs []*txv1.Msg) error {
	if f.encoding != "hex" && f.encoding != "base64" {
		return usageError{fmt.Errorf("--encoding %q: want hex or base64", f.encoding)}
	}
	if f.async {
		return usageError{errors.New("--no-wait and --generate-only do not go together: a generated tx is not sent")}
	}
	ctx := cmd.Context()
	c, err := g.client()
	if err != nil {
		return err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return err
	}
	if _, err := g.keystore().Resolve(from); err == nil {
		key, err := g.loadKey(from, f.passFile)
		if err != nil {
			return err
		}
		raw, err := c.BuildTx(ctx, key.Private, msgs, opts)
		if err != nil {
			return err
		}
		var t txv1.Tx
		var body txv1.TxBody
		if err := proto.Unmarshal(raw, &t); err != nil {
			return err
		}
		if err := proto.Unmarshal(t.BodyBytes, &body); err != nil {
			return err
		}
		return g.render(cmd.OutOrStdout(), generatedTxView{Tx: encodeTx(raw, f.encoding), Encoding: f.encoding, Signed: true,
			Hash: fmt.Sprintf("%X", client.TxHash(raw)), ChainID: chainID, Signer: key.Address.String(),
			Sequence: body.GetSigner().GetSequence(), FeeUdpin: body.GetFee().GetAmount()})
	} else if !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	// No local key: an unsigned tx for the signer to sign elsewhere. The
	// body names the signer's public key, which the chain knows once the
	// account has signed a tx.
	addr, err := g.resolveAddress(from)
	if err != nil {
		return err
	}
	acc, _, err := c.Account(ctx, addr, client.QueryOptions{})
	if err != nil {
		return err
	}
	if len(acc.GetPublicKey()) != ed25519.PublicKeySize {
		return fmt.Errorf("no local key for %s, and the chain does not know its public key yet (it has never signed a tx): run this where its key is", addr)
	}
	body := &txv1.TxBody{Messages: msgs, Signer: &txv1.SignerInfo{PublicKey: acc.GetPublicKey(), Sequence: acc.GetSequence()},
		Fee: bank.Coin(bank.NativeDenom, opts.Fee), Memo: opts.Memo}
	if opts.Fee == 0 {
		params, err := c.AuthParams(ctx)
		if err != nil {
			return err
		}
		// The minimum fee depends on the signed size; a signature is 64
		// bytes whoever makes it, so a throwaway key measures it.
		_, throwaway, _ := ed25519.GenerateKey(nil)
		if _, err := client.SignWithMinFee(throwaway, chainID, body, params.FeeBase, params.FeePerByte); err != nil {
			return err
		}
	}
	bodyBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(body)
	if err != nil {
		return err
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(&txv1.Tx{BodyBytes: bodyBytes})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "unsigned: there is no local key for %s; sign the sign_bytes that -o json shows with its key and put the signature in the tx's field 2\n", addr)
	return g.render(cmd.OutOrStdout(), generatedTxView{Tx: encodeTx(raw, f.encoding), Encoding: f.encoding, ChainID: chainID,
		Signer: addr.String(), Sequence: acc.GetSequence(), FeeUdpin: body.Fee.GetAmount(),
		SignBytes: hex.EncodeToString(crypto.SignBytes(crypto.DomainTx, chainID, bodyBytes))})
}

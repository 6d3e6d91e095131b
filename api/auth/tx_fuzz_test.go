package auth_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

const fuzzChainID = "depin-fuzz"

func marshalCanonical(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signBodyBytes signs raw body bytes as they are, so that tests can sign
// bodies SignTx would never produce.
func signBodyBytes(t testing.TB, priv ed25519.PrivateKey, bodyBytes []byte) []byte {
	t.Helper()
	sig := crypto.Sign(priv, crypto.DomainTx, fuzzChainID, bodyBytes)
	return marshalCanonical(t, &txv1.Tx{BodyBytes: bodyBytes, Signature: sig})
}

func signBody(t testing.TB, priv ed25519.PrivateKey, body *txv1.TxBody) []byte {
	t.Helper()
	return signBodyBytes(t, priv, marshalCanonical(t, body))
}

// unknownField is field 99 as a varint: no message of ours has it.
func unknownField() []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1)
}

// nonMinimalVarint encodes v with one redundant continuation byte; decoders
// accept it, so only the canonical-encoding check can reject it.
func nonMinimalVarint(b []byte, v uint64) []byte {
	b = protowire.AppendVarint(b, v)
	b[len(b)-1] |= 0x80
	return append(b, 0)
}

func TestDecodeTxRejects(t *testing.T) {
	priv := seededKey("depin/auth/test/alice")
	to := addressOf(seededKey("depin/auth/test/bob"))
	body := func() *txv1.TxBody {
		return sendBody(priv, to, 0, 10_000, bank.Coin(bank.NativeDenom, 5))
	}
	valid := signBody(t, priv, body())
	var outer txv1.Tx
	if err := proto.Unmarshal(valid, &outer); err != nil {
		t.Fatal(err)
	}
	bb, sig := outer.BodyBytes, outer.Signature
	field := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
	}
	withBody := func(edit func(*txv1.TxBody)) []byte {
		b := body()
		edit(b)
		return signBody(t, priv, b)
	}

	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"empty", nil, errs.ErrTxDecode},
		{"not protobuf", []byte{0xff, 0x01, 0x02}, errs.ErrTxDecode},
		{"truncated", valid[:len(valid)-1], errs.ErrTxDecode},
		{"oversize", make([]byte, auth.MaxTxBytes+1), errs.ErrTxTooLarge},
		{"body field twice", field(field(field(nil, 1, bb), 1, bb), 2, sig), errs.ErrTxDecode},
		{"signature field twice", field(field(field(nil, 1, bb), 2, sig), 2, sig), errs.ErrTxDecode},
		{"fields out of order", field(field(nil, 2, sig), 1, bb), errs.ErrTxDecode},
		{"non-minimal length varint", field(append(nonMinimalVarint(protowire.AppendTag(nil, 1, protowire.BytesType), uint64(len(bb))), bb...), 2, sig), errs.ErrTxDecode},
		{"explicit empty field", append(field(nil, 1, nil), valid...), errs.ErrTxDecode},
		{"unknown field in tx", append(bytes.Clone(valid), unknownField()...), errs.ErrTxDecode},
		{"no signature", field(nil, 1, bb), errs.ErrTxDecode},
		{"signature 63 bytes", field(field(nil, 1, bb), 2, sig[:63]), errs.ErrTxDecode},
		{"signature 65 bytes", field(field(nil, 1, bb), 2, append(bytes.Clone(sig), 0)), errs.ErrTxDecode},
		{"no body", field(nil, 2, sig), errs.ErrTxDecode},
		{"body not protobuf", signBodyBytes(t, priv, []byte{0xff}), errs.ErrTxDecode},
		{"unknown field in body", signBodyBytes(t, priv, append(bytes.Clone(bb), unknownField()...)), errs.ErrTxDecode},
		{"unknown field in signer", withBody(func(b *txv1.TxBody) { b.Signer.ProtoReflect().SetUnknown(unknownField()) }), errs.ErrTxDecode},
		{"unknown field in coin", withBody(func(b *txv1.TxBody) { b.Messages[0].GetSend().Amount[0].ProtoReflect().SetUnknown(unknownField()) }), errs.ErrTxDecode},
		{"unknown field in fee", withBody(func(b *txv1.TxBody) { b.Fee.ProtoReflect().SetUnknown(unknownField()) }), errs.ErrTxDecode},
		{"missing signer", withBody(func(b *txv1.TxBody) { b.Signer = nil }), errs.ErrTxDecode},
		{"empty signer", withBody(func(b *txv1.TxBody) { b.Signer = &txv1.SignerInfo{} }), errs.ErrTxDecode},
		{"public key 31 bytes", withBody(func(b *txv1.TxBody) { b.Signer.PublicKey = b.Signer.PublicKey[:31] }), errs.ErrTxDecode},
		{"no messages", withBody(func(b *txv1.TxBody) { b.Messages = nil }), errs.ErrTxDecode},
		{"empty Msg", withBody(func(b *txv1.TxBody) { b.Messages = append(b.Messages, &txv1.Msg{}) }), errs.ErrTxDecode},
		{"Msg of unknown type", withBody(func(b *txv1.TxBody) {
			m := &txv1.Msg{}
			m.ProtoReflect().SetUnknown(field(nil, 999, []byte{0x0a, 0x00}))
			b.Messages = []*txv1.Msg{m}
		}), errs.ErrTxDecode},
		{"missing fee", withBody(func(b *txv1.TxBody) { b.Fee = nil }), errs.ErrTxDecode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := auth.DecodeTx(tc.raw)
			if !errors.Is(err, tc.want) {
				t.Fatalf("DecodeTx = %v, %v; want %v", tx, err, tc.want)
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		tx, err := auth.DecodeTx(valid)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Signer != addressOf(priv) || !bytes.Equal(tx.Raw, valid) || !bytes.Equal(tx.BodyBytes, bb) || !bytes.Equal(tx.Signature, sig) {
			t.Fatalf("decoded %+v", tx)
		}
		if err := tx.VerifySignature(fuzzChainID); err != nil {
			t.Fatal(err)
		}
		if err := tx.VerifySignature("depin-other"); !errors.Is(err, errs.ErrInvalidSignature) {
			t.Fatalf("other chain: %v, want ErrInvalidSignature", err)
		}
	})
}

func FuzzDecodeTx(f *testing.F) {
	alice := seededKey("depin/auth/fuzz/alice")
	bob := addressOf(seededKey("depin/auth/fuzz/bob"))
	simple, err := auth.SignTx(alice, fuzzChainID, sendBody(alice, bob, 0, 10_000, bank.Coin(bank.NativeDenom, 1)))
	if err != nil {
		f.Fatal(err)
	}
	rich := sendBody(alice, bob, 42, 1<<40, bank.Coin("share/abc", 3), bank.Coin(bank.NativeDenom, 1<<63))
	rich.Memo = "memo ✓"
	rich.TimeoutHeight = 99
	rich.Messages = append(rich.Messages, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: bob.Bytes(), To: addressOf(alice).Bytes()}}})
	richRaw, err := auth.SignTx(alice, fuzzChainID, rich)
	if err != nil {
		f.Fatal(err)
	}
	for _, raw := range [][]byte{simple, richRaw} {
		f.Add(raw)
		f.Add(raw[:len(raw)-1])
		f.Add(raw[:len(raw)/2])
		f.Add(raw[:10])
		f.Add(append(bytes.Clone(raw), unknownField()...))
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00, 0x12, 0x00})

	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := auth.DecodeTx(raw)
		if err != nil {
			if !errors.Is(err, errs.ErrTxDecode) && !errors.Is(err, errs.ErrTxTooLarge) {
				t.Fatalf("error %v is neither ErrTxDecode nor ErrTxTooLarge", err)
			}
			return
		}
		// One transaction, one encoding: re-encoding what was decoded
		// gives the input back, so a tx's hash cannot be changed without
		// its signer.
		canon := marshalCanonical(t, &txv1.Tx{BodyBytes: tx.BodyBytes, Signature: tx.Signature})
		if !bytes.Equal(canon, raw) {
			t.Fatalf("accepted a non-canonical encoding:\n in    %x\n canon %x", raw, canon)
		}
		if !bytes.Equal(tx.Raw, raw) {
			t.Fatal("Raw is not the input")
		}
		if tx.Signer != crypto.AddressFromPubKey(tx.PubKey) {
			t.Fatalf("signer %s is not the address of public key %x", tx.Signer, tx.PubKey)
		}
		if !bytes.Equal(tx.PubKey, tx.Body.Signer.PublicKey) {
			t.Fatal("PubKey is not the body's signer key")
		}
		if len(tx.Body.Messages) == 0 || tx.Body.Fee == nil {
			t.Fatalf("accepted an incomplete body: %v", tx.Body)
		}
		for _, chainID := range []string{fuzzChainID, ""} {
			if err := tx.VerifySignature(chainID); err != nil && !errors.Is(err, errs.ErrInvalidSignature) {
				t.Fatalf("VerifySignature(%q): %v is not ErrInvalidSignature", chainID, err)
			}
		}
	})
}

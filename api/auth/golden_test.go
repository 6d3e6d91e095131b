package auth_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/internal/golden"
)

// seededKey derives a fixed key: its seed is SHA-256(name).
func seededKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func addressOf(priv ed25519.PrivateKey) crypto.Address {
	return crypto.AddressFromPubKey(priv.Public().(ed25519.PublicKey))
}

// sendBody is a well-formed body with one MsgSend from priv's account.
func sendBody(priv ed25519.PrivateKey, to crypto.Address, seq, fee uint64, coins ...*bankv1.Coin) *txv1.TxBody {
	return &txv1.TxBody{
		Messages: []*txv1.Msg{{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: addressOf(priv).Bytes(), To: to.Bytes(), Amount: coins}}}},
		Signer:   &txv1.SignerInfo{PublicKey: priv.Public().(ed25519.PublicKey), Sequence: seq},
		Fee:      bank.Coin(bank.NativeDenom, fee),
	}
}

const (
	goldenChainID = "depin-golden"
	txSendGolden  = "testdata/tx_send.golden"
)

// goldenSendTx is the transaction pinned by tx_send.golden: every field of
// the body is set so that the golden file covers the whole wire format.
func goldenSendTx(t *testing.T) []byte {
	t.Helper()
	from := seededKey("depin/auth/golden/sender")
	to := addressOf(seededKey("depin/auth/golden/recipient"))
	body := sendBody(from, to, 7, 12_345,
		bank.Coin("share/abc", 3),
		bank.Coin(bank.NativeDenom, 1_500_000))
	body.Memo = "golden"
	body.TimeoutHeight = 1_000
	raw, err := auth.SignTx(from, goldenChainID, body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestSignedSendGolden pins the encoding of a signed MsgSend. If it fails,
// clients built against the old encoding produce transactions this node
// reads differently (or not at all): change the wire format only on
// purpose, then run go test ./api/auth -run Golden -update.
func TestSignedSendGolden(t *testing.T) {
	raw := goldenSendTx(t)
	got := hex.EncodeToString(raw) + "\n"
	golden.Check(t, txSendGolden, "the signed MsgSend encoding", got)
	want := got

	// The pinned bytes are a valid transaction, not just stable ones.
	pinned, err := hex.DecodeString(strings.TrimSpace(want))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := auth.DecodeTx(pinned)
	if err != nil {
		t.Fatalf("golden tx does not decode: %v", err)
	}
	if err := tx.VerifySignature(goldenChainID); err != nil {
		t.Fatalf("golden tx signature: %v", err)
	}
	if want := addressOf(seededKey("depin/auth/golden/sender")); tx.Signer != want {
		t.Fatalf("signer %s, want %s", tx.Signer, want)
	}
	if !bytes.Equal(tx.Raw, pinned) {
		t.Fatal("Raw is not the input")
	}
	send := tx.Body.Messages[0].GetSend()
	if len(send.Amount) != 2 || send.Amount[1].Amount != 1_500_000 || tx.Body.Signer.Sequence != 7 || tx.Body.Fee.Amount != 12_345 || tx.Body.Memo != "golden" || tx.Body.TimeoutHeight != 1_000 {
		t.Fatalf("golden tx decodes to an unexpected body: %v", tx.Body)
	}
}

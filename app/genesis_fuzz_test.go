package app

import (
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

// FuzzParseGenesis checks that ParseGenesis never panics and that it is the
// whole of genesis validation: whatever it accepts, InitChain loads.
// Operators run ParseGenesis (through depin init and friends) to check a
// genesis file before a network starts; a file that passes and then fails
// in InitChain stops every validator at once.
func FuzzParseGenesis(f *testing.F) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	for _, g := range [][]*bankv1.Balance{
		nil,
		{bal(alice, bank.Coin("udpin", 1_000_000))},
		{bal(alice, bank.Coin("udpin", 5)), bal(bob, bank.Coin("udpin", 1<<63))},
	} {
		js, err := MarshalGenesis(DefaultGenesis(g...))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"auth":{},"bank":{"params":{}}}`))
	f.Add([]byte(`{"auth":{"params":{"max_msgs":1}},"bank":{"params":{"denoms":[{"base":"udpin"}]},"balances":[{"address":"` + crypto.ModuleAddress("x").String() + `","coins":[{"denom":"udpin","amount":"18446744073709551615"}]}]}}`))

	f.Fuzz(func(t *testing.T, js []byte) {
		g, err := ParseGenesis(js)
		if err != nil {
			return
		}
		// The canonical JSON of what was accepted is accepted again, as
		// the same state.
		again, err := MarshalGenesis(g)
		if err != nil {
			t.Fatalf("marshal accepted genesis: %v", err)
		}
		g2, err := ParseGenesis(again)
		if err != nil || !proto.Equal(g, g2) {
			t.Fatalf("accepted genesis does not survive a round trip: %v\n%s", err, again)
		}

		a, err := New(Config{ChainID: testChain}, store.NewMemTree())
		if err != nil {
			t.Fatal(err)
		}
		req := &abci.InitChainRequest{ChainId: testChain, AppStateBytes: js, InitialHeight: 1, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		if _, err := a.InitChain(context.Background(), req); err != nil {
			t.Fatalf("ParseGenesis accepted a genesis InitChain rejects: %v\n%s", err, js)
		}
	})
}

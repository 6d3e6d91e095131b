package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
)

// fakeChain is an in-memory UnclaimedReader that counts its reads.
type fakeChain struct {
	mu      sync.Mutex
	amounts map[crypto.DeviceID]uint64
	reads   int
	err     error
}

func (f *fakeChain) Unclaimed(_ context.Context, id crypto.DeviceID, _ client.QueryOptions) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.amounts[id], f.err
}

func (f *fakeChain) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func parseDev(t *testing.T, s string) crypto.DeviceID {
	t.Helper()
	id, err := crypto.ParseDeviceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAccountUnclaimed: an account's unclaimed rewards per device come
// from the chain in its network's reward token, tokenized devices are
// marked, answers are kept for the TTL (a manual clock), at most
// MaxUnclaimedDevices devices are read, and a chain that cannot be read
// makes the field null with an error while the rest of the account is
// answered.
func TestAccountUnclaimed(t *testing.T) {
	_, db := newServerDB(t)
	ctx := context.Background()
	chain := &fakeChain{amounts: map[crypto.DeviceID]uint64{}}
	// addr(1) owns devices 1, 5, 9, … 29 (8 of them); device 5 is air's.
	chain.amounts[parseDev(t, devID(1))] = 1_500_000
	chain.amounts[parseDev(t, devID(9))] = 18446744073709551615
	for _, q := range []string{
		`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ('air', 'o', 'SENSING', 'uair', 1), ('solar', 'o', 'ENERGY', 'usolar', 1)`,
		fmt.Sprintf(`INSERT INTO shares (device, denom, shares, owner, active, height) VALUES ('%s', 'share/%s', '1000', '%s', TRUE, 2)`, devID(13), devID(13), addr(1)),
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	mux := http.NewServeMux()
	mux.Handle("/graphql", Handler(&Resolver{DB: db, Unclaimed: NewUnclaimed(chain, 5*time.Second, clock)}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	q := fmt.Sprintf(`{ account(address: %q) { deviceCount unclaimed { device network denom amount tokenized } } }`, addr(1))
	r := query(t, srv, q)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{
		`"deviceCount":8`,
		`{"device":"` + devID(1) + `","network":"solar","denom":"usolar","amount":"1500000","tokenized":false}`,
		`{"device":"` + devID(9) + `","network":"air","denom":"uair","amount":"18446744073709551615","tokenized":false}`,
		`{"device":"` + devID(13) + `","network":"solar","denom":"usolar","amount":"0","tokenized":true}`,
	} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("missing %s in %s", want, r.Data)
		}
	}
	if n := strings.Count(string(r.Data), `"device":`); n != 8 {
		t.Errorf("%d devices, want 8: %s", n, r.Data)
	}
	if n := chain.readCount(); n != 8 {
		t.Fatalf("%d chain reads, want 8", n)
	}
	// Within the TTL: from the cache, even though the chain changed.
	chain.amounts[parseDev(t, devID(1))] = 0
	now = now.Add(4 * time.Second)
	if r := query(t, srv, q); chain.readCount() != 8 || !strings.Contains(string(r.Data), `"amount":"1500000"`) {
		t.Fatalf("within the TTL: %d reads, %s", chain.readCount(), r.Data)
	}
	// After it: read again.
	now = now.Add(2 * time.Second)
	if r := query(t, srv, q); chain.readCount() != 16 || strings.Contains(string(r.Data), `"amount":"1500000"`) {
		t.Fatalf("after the TTL: %d reads, %s", chain.readCount(), r.Data)
	}

	// An account with more devices than are read: the first 100 by id.
	many, err := crypto.ParseAddress(addr(7))
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 100+MaxUnclaimedDevices+5; i++ {
		if _, err := db.ExecContext(ctx, `INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height)
VALUES ($1, 'solar', $2, 'm', 1, '0', '', '', '', '', '', 'ACTIVE', 1, 1)`, devID(i), many.String()); err != nil {
			t.Fatal(err)
		}
	}
	r = query(t, srv, fmt.Sprintf(`{ account(address: %q) { deviceCount unclaimed { device } } }`, addr(7)))
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), fmt.Sprintf(`"deviceCount":%d`, MaxUnclaimedDevices+5)) ||
		strings.Count(string(r.Data), `"device":`) != MaxUnclaimedDevices {
		t.Errorf("an account of %d devices: %s %v", MaxUnclaimedDevices+5, r.Data, r.Errors)
	}

	// The chain cannot be read: unclaimed is null with an error; the
	// account's other fields are answered.
	chain.err = errors.New("connection refused")
	now = now.Add(time.Minute)
	r = query(t, srv, fmt.Sprintf(`{ account(address: %q) { deviceCount unclaimed { amount } } }`, addr(1)))
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "connection refused") || string(r.Data) != `{"account":{"deviceCount":8,"unclaimed":null}}` {
		t.Errorf("chain down: %s %v", r.Data, r.Errors)
	}
	// An API without a chain says so.
	srv2 := newServer(t)
	r = query(t, srv2, fmt.Sprintf(`{ account(address: %q) { unclaimed { amount } } }`, addr(1)))
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "not connected to a chain") {
		t.Errorf("no chain: %s %v", r.Data, r.Errors)
	}
}

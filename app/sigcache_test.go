package app

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/x/auth"
)

// TestSigCacheKeepsRecentBatches: the cache keeps the decoded form of the
// last keepDecoded report-batch txs only, never of other txs, and still
// remembers every verified tx up to its size.
func TestSigCacheKeepsRecentBatches(t *testing.T) {
	batch := &auth.Tx{Body: &txv1.TxBody{Messages: []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{}}}}}}
	send := &auth.Tx{Body: &txv1.TxBody{Messages: []*txv1.Msg{{Sum: &txv1.Msg_Send{}}}}}
	hash := func(i int) [32]byte { return sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i))) }
	c := newSigCache(1000)
	c.add(hash(0), send)
	if tx, ok := c.get(hash(0)); !ok || tx != nil {
		t.Fatalf("a send: verified %v, kept %v (want verified, not kept)", ok, tx != nil)
	}
	const n = keepDecoded + 10
	for i := 1; i <= n; i++ {
		c.add(hash(i), batch)
	}
	kept := 0
	for i := 1; i <= n; i++ {
		tx, ok := c.get(hash(i))
		if !ok {
			t.Fatalf("batch %d forgotten", i)
		}
		if tx != nil {
			kept++
			if i <= n-keepDecoded {
				t.Fatalf("batch %d kept decoded, but it is older than the last %d", i, keepDecoded)
			}
		}
	}
	if kept != keepDecoded {
		t.Fatalf("%d batches kept decoded, want %d", kept, keepDecoded)
	}
	// The cache's size bounds what it remembers at all.
	small := newSigCache(2)
	for i := range 3 {
		small.add(hash(i), batch)
	}
	if _, ok := small.get(hash(0)); ok {
		t.Fatal("the oldest entry survived eviction")
	}
	if tx, ok := small.get(hash(2)); !ok || tx == nil {
		t.Fatal("the newest batch is not kept")
	}
}

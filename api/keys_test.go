package api_test

import (
	"bytes"
	"testing"

	"github.com/depinhq/depin/api/agreement"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/market"
	"github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/api/share"
	"github.com/depinhq/depin/crypto"
)

// TestDecodersInvertKeys: every id-from-key decoder a client uses reads
// back what the matching key builder (the one the keepers write with)
// put in.
func TestDecodersInvertKeys(t *testing.T) {
	var dev crypto.DeviceID
	var owner crypto.Address
	for i := range dev {
		dev[i], owner[i] = byte(i+1), byte(0xf0-i)
	}
	for _, k := range [][]byte{device.OwnerIndexKey(owner, dev), device.NetworkIndexKey("solar", dev), device.HexKey("solar", 0x85283473fffffff, dev)} {
		if got, ok := device.IDFromIndexKey(k); !ok || got != dev {
			t.Errorf("device.IDFromIndexKey(%x) = %x, %v", k, got, ok)
		}
	}
	for _, k := range [][]byte{agreement.ConsumerIndexKey(owner, 1<<40+7), agreement.DeviceIndexKey(dev, 1<<40+7)} {
		if got, ok := agreement.IDFromIndexKey(k); !ok || got != 1<<40+7 {
			t.Errorf("agreement.IDFromIndexKey(%x) = %d, %v", k, got, ok)
		}
	}
	for _, k := range [][]byte{market.BookKey("meter", 9, 42), market.OwnerIndexKey(owner, 42)} {
		if got, ok := market.IDFromIndexKey(k); !ok || got != 42 {
			t.Errorf("market.IDFromIndexKey(%x) = %d, %v", k, got, ok)
		}
	}
	if !bytes.HasPrefix(market.BookKey("meter", 9, 42), market.BookPrefixOf("meter", 9)) || !bytes.HasPrefix(market.OwnerIndexKey(owner, 42), market.ByOwnerPrefix(owner)) {
		t.Error("market index keys are not under their list prefixes")
	}
	if got, ok := share.HolderFromKey(share.HolderKey(dev, owner)); !ok || got != owner || !bytes.HasPrefix(share.HolderKey(dev, owner), share.HoldersPrefix(dev)) {
		t.Errorf("share.HolderFromKey = %x, %v", got, ok)
	}
	if _, ok := share.HolderFromKey(share.PoolKey(dev)); ok {
		t.Error("share.HolderFromKey accepts a pool key")
	}
	evID := bytes.Repeat([]byte{7}, 32)
	if got, ok := report.EvidenceIDFromDeviceKey(dev[:], report.DeviceEvidenceKey(dev[:], evID)); !ok || !bytes.Equal(got, evID) {
		t.Errorf("report.EvidenceIDFromDeviceKey = %x, %v", got, ok)
	}
	if _, ok := report.EvidenceIDFromDeviceKey(dev[:], report.DeviceEvidencePrefix(dev[:])); ok {
		t.Error("report.EvidenceIDFromDeviceKey accepts the bare prefix")
	}
}

package api_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/depinhq/depin/api/agreement"
	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/market"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/api/share"
	"github.com/depinhq/depin/api/staking"
	"github.com/depinhq/depin/crypto"
)

// TestKeyBytes pins the bytes of every key builder of the api packages for
// sample inputs: the keys are the chain's state layout (what the app hash
// covers and what clients query), so a rewrite of a builder must not move
// a byte. The want column was printed by the builders before they were
// rewritten with package keys.
func TestKeyBytes(t *testing.T) {
	var dev crypto.DeviceID
	var owner crypto.Address
	for i := range dev {
		dev[i], owner[i] = byte(i+1), byte(0xf0-i)
	}
	maker := bytes.Repeat([]byte{0xa5}, 32)
	cons := bytes.Repeat([]byte{0xc3}, 20)
	evID := bytes.Repeat([]byte{7}, 32)
	const (
		net   = "solar"
		epoch = 1<<40 + 0x0102
		id    = 0x2a
		cell  = 0x85283473fffffff
	)
	type namedKey struct {
		name string
		key  []byte
	}
	keys := func() []namedKey {
		hexLo, hexHi := device.HexRange(net, cell)
		return []namedKey{
			{"agreement.Key", agreement.Key(id)},
			{"agreement.ByConsumerPrefix", agreement.ByConsumerPrefix(owner)},
			{"agreement.ByDevicePrefix", agreement.ByDevicePrefix(dev)},
			{"agreement.ConsumerIndexKey", agreement.ConsumerIndexKey(owner, id)},
			{"agreement.DeviceIndexKey", agreement.DeviceIndexKey(dev, id)},
			{"auth.AccountKey", auth.AccountKey(owner)},
			{"bank.DenomKey", bank.DenomKey("usolar")},
			{"bank.BalanceKey", bank.BalanceKey(owner, "usolar")},
			{"bank.AccountBalancesPrefix", bank.AccountBalancesPrefix(owner)},
			{"bank.SupplyKey", bank.SupplyKey("usolar")},
			{"device.Key", device.Key(dev)},
			{"device.ByOwnerPrefix", device.ByOwnerPrefix(owner)},
			{"device.ByNetworkPrefix", device.ByNetworkPrefix(net)},
			{"device.ByHexPrefix", device.ByHexPrefix(net)},
			{"device.HexKey", device.HexKey(net, cell, dev)},
			{"device.HexRange start", hexLo},
			{"device.HexRange end", hexHi},
			{"device.SerialKey", device.SerialKey(net, maker, "SN-1")},
			{"device.OwnerIndexKey", device.OwnerIndexKey(owner, dev)},
			{"device.NetworkIndexKey", device.NetworkIndexKey(net, dev)},
			{"market.OrderKey", market.OrderKey(id)},
			{"market.BookPrefixOf", market.BookPrefixOf(net, epoch)},
			{"market.ClearingKey", market.ClearingKey(net, epoch)},
			{"market.ByOwnerPrefix", market.ByOwnerPrefix(owner)},
			{"market.MeterKey", market.MeterKey(dev, epoch)},
			{"market.BookKey", market.BookKey(net, epoch, id)},
			{"market.OwnerIndexKey", market.OwnerIndexKey(owner, id)},
			{"network.EpochKey", network.EpochKey(net)},
			{"network.HistoryKey", network.HistoryKey(net, 1_700_000_000)},
			{"network.HistoryPrefixOf", network.HistoryPrefixOf(net)},
			{"network.NetworkKey", network.NetworkKey(net)},
			{"network.MakersPrefix", network.MakersPrefix(net)},
			{"network.MakerKey", network.MakerKey(net, maker)},
			{"report.WorkKey", report.WorkKey(net, epoch, dev)},
			{"report.EpochWorkPrefix", report.EpochWorkPrefix(net, epoch)},
			{"report.EvidenceKey", report.EvidenceKey(evID)},
			{"report.DeviceEvidencePrefix", report.DeviceEvidencePrefix(dev[:])},
			{"report.DeviceEvidenceKey", report.DeviceEvidenceKey(dev[:], evID)},
			{"reward.StateKey", reward.StateKey(net)},
			{"reward.EpochBreakdownPrefix", reward.EpochBreakdownPrefix(net, epoch)},
			{"reward.BreakdownKey", reward.BreakdownKey(net, epoch, dev)},
			{"reward.UnclaimedKey", reward.UnclaimedKey(dev)},
			{"reward.NetworkBoostPrefix", reward.NetworkBoostPrefix(net)},
			{"reward.BoostKey", reward.BoostKey(net, cell)},
			{"reward.JobKey", reward.JobKey(net)},
			{"share.LeaseKey", share.LeaseKey(dev)},
			{"share.PoolKey", share.PoolKey(dev)},
			{"share.HolderKey", share.HolderKey(dev, owner)},
			{"share.HoldersPrefix", share.HoldersPrefix(dev)},
			{"staking.ValidatorKey", staking.ValidatorKey(cons)},
			{"staking.DelegationKey", staking.DelegationKey(owner, cons)},
		}
	}
	check := func(when string) []namedKey {
		got := keys()
		var b strings.Builder
		for _, g := range got {
			fmt.Fprintf(&b, "%s %s\n", g.name, strconv.Quote(string(g.key)))
		}
		if b.String() != wantKeyBytes {
			t.Errorf("key bytes moved (%s):\n%s", when, lineDiff(wantKeyBytes, b.String()))
		}
		return got
	}
	// A key is the caller's to keep and change: scribbling over every key
	// built, and appending to it, must not change the next ones (no
	// builder hands out, or writes into, a prefix variable).
	for _, g := range check("first") {
		for i := range g.key {
			g.key[i] = 0xff
		}
		_ = append(g.key, 0xee)
	}
	check("after scribbling over the first keys")
}

// lineDiff lists the lines of got that differ from want.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "- %s\n+ %s\n", wl, gl)
		}
	}
	return b.String()
}

const wantKeyBytes = `agreement.Key "agreement/a/\x00\x00\x00\x00\x00\x00\x00*"
agreement.ByConsumerPrefix "agreement/c/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd"
agreement.ByDevicePrefix "agreement/d/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
agreement.ConsumerIndexKey "agreement/c/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd\x00\x00\x00\x00\x00\x00\x00*"
agreement.DeviceIndexKey "agreement/d/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x00\x00\x00\x00\x00\x00\x00*"
auth.AccountKey "auth/a/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd"
bank.DenomKey "bank/d/usolar"
bank.BalanceKey "bank/b/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xddusolar"
bank.AccountBalancesPrefix "bank/b/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd"
bank.SupplyKey "bank/s/usolar"
device.Key "device/d/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
device.ByOwnerPrefix "device/o/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd"
device.ByNetworkPrefix "device/n/solar\x00"
device.ByHexPrefix "device/h/solar\x00"
device.HexKey "device/h/solar\x00\b\x02\x83G?\xff\xff\xff\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
device.HexRange start "device/h/solar\x00\b\x02\x83G\x00\x00\x00\x00"
device.HexRange end "device/h/solar\x00\b\x02\x83G@\x00\x00\x00"
device.SerialKey "device/s/solar\x00\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5SN-1"
device.OwnerIndexKey "device/o/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
device.NetworkIndexKey "device/n/solar\x00\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
market.OrderKey "market/o/\x00\x00\x00\x00\x00\x00\x00*"
market.BookPrefixOf "market/b/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02"
market.ClearingKey "market/c/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02"
market.ByOwnerPrefix "market/w/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd"
market.MeterKey "market/m/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x00\x00\x01\x00\x00\x00\x01\x02"
market.BookKey "market/b/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02\x00\x00\x00\x00\x00\x00\x00*"
market.OwnerIndexKey "market/w/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd\x00\x00\x00\x00\x00\x00\x00*"
network.EpochKey "network/e/solar"
network.HistoryKey "network/h/solar\x00\x00\x00\x00\x00eS\xf1\x00"
network.HistoryPrefixOf "network/h/solar\x00"
network.NetworkKey "network/n/solar"
network.MakersPrefix "network/m/solar\x00"
network.MakerKey "network/m/solar\x00\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5"
report.WorkKey "report/w/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
report.EpochWorkPrefix "report/w/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02"
report.EvidenceKey "report/e/\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a"
report.DeviceEvidencePrefix "report/ed/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
report.DeviceEvidenceKey "report/ed/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a\a"
reward.StateKey "reward/s/solar"
reward.EpochBreakdownPrefix "reward/b/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02"
reward.BreakdownKey "reward/b/solar\x00\x00\x00\x01\x00\x00\x00\x01\x02\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
reward.UnclaimedKey "reward/u/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
reward.NetworkBoostPrefix "reward/x/solar\x00"
reward.BoostKey "reward/x/solar\x00\bR\x83G?\xff\xff\xff"
reward.JobKey "reward/j/solar"
share.LeaseKey "share/l/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
share.PoolKey "share/p/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
share.HolderKey "share/h/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd"
share.HoldersPrefix "share/h/\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
staking.ValidatorKey "staking/v/\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3"
staking.DelegationKey "staking/d/\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3"
`

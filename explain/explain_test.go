package explain

import (
	"strings"
	"testing"

	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

func breakdown() *rewardv1.Breakdown {
	return &rewardv1.Breakdown{Network: "solar", Epoch: 7, Reward: 120, Denom: "usolar", Emission: 1000, Devices: 3,
		Productivity: 40, ReportsAccepted: 2, CoveredSeconds: 20, EpochSeconds: 30, UptimePpm: 666_666,
		ReputationPpm: 1_000_000, QualityPpm: 666_666, GeoPpm: 1_000_000, BoostBps: 10_000,
		Weight: "1", TotalWeight: "4", WorkReward: 100, AvailabilityReward: 20}
}

// TestUptimeNeverCoversMoreThanTheEpoch: reports longer than the epoch
// are said to cover more than it, with full uptime — never "covered 40 of
// the epoch's 30 seconds".
func TestUptimeNeverCoversMoreThanTheEpoch(t *testing.T) {
	b := breakdown()
	if got := String(b, "dev"); !strings.Contains(got, "covered 20 of the epoch's 30 seconds") {
		t.Fatalf("partial coverage:\n%s", got)
	}
	b.CoveredSeconds, b.UptimePpm = 40, 1_000_000
	got := String(b, "dev")
	if strings.Contains(got, "40 of the epoch") || !strings.Contains(got, "covered 40 seconds, more than the epoch's 30 seconds") || !strings.Contains(got, "full uptime") {
		t.Fatalf("over-coverage:\n%s", got)
	}
}

// TestNoProductionSaysWhy: a device with accepted reports but no weighted
// work is told why it earned nothing from either pool.
func TestNoProductionSaysWhy(t *testing.T) {
	b := breakdown()
	if got := String(b, "dev"); strings.Contains(got, "NO PRODUCTION") {
		t.Fatalf("productive device told it produced nothing:\n%s", got)
	}
	b.Productivity, b.Reward, b.WorkReward, b.AvailabilityReward = 0, 0, 0, 0
	if got := String(b, "dev"); !strings.Contains(got, "NO PRODUCTION") || !strings.Contains(got, "availability pools pay only devices with some verified work") {
		t.Fatalf("no production:\n%s", got)
	}
}

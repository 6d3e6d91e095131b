// Package explain says in words why a device earned what it did in an
// epoch ("why did I get this?"), for the CLI and the indexer's API.
package explain

import (
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

func ppm(v uint32) string { return strconv.FormatFloat(float64(v)/1e6, 'f', 4, 64) }

// Write says in words why a device earned what it did.
func Write(w io.Writer, b *rewardv1.Breakdown, id string) {
	fmt.Fprintf(w, "Device %s in network %s, epoch %d: earned %d %s.\n\n", id, b.Network, b.Epoch, b.Reward, b.Denom)
	fmt.Fprintf(w, "The epoch minted %d %s, shared among %d devices that did verified work, by weight =\nproductivity × quality × geography × boost.\n\n", b.Emission, b.Denom, b.Devices)
	fmt.Fprintf(w, "  productivity  %d work units from %d accepted reports (%d rejected)", b.Productivity, b.ReportsAccepted, b.ReportsRejected)
	if b.Productivity == 0 {
		fmt.Fprintf(w, " — NO PRODUCTION: nothing from the work pools, and the\n                availability pools pay only devices with some verified work\n")
	} else {
		fmt.Fprintf(w, "\n")
	}
	fmt.Fprintf(w, "  uptime        %s — %s\n", ppm(b.UptimePpm), coverage(b.CoveredSeconds, b.EpochSeconds))
	fmt.Fprintf(w, "  reputation    %s", ppm(b.ReputationPpm))
	if b.BelowThreshold {
		fmt.Fprintf(w, " — BELOW the network's threshold: the device earns nothing until it recovers\n")
	} else {
		fmt.Fprintf(w, " — share of its recent reports that were accepted (older ones count less)\n")
	}
	fmt.Fprintf(w, "  quality       %s = uptime × reputation\n", ppm(b.QualityPpm))
	fmt.Fprintf(w, "  geography     %s — HIP-17 density scaling of hex %x", ppm(b.GeoPpm), b.Cell)
	if b.GeoPpm < 1_000_000 {
		fmt.Fprintf(w, " (crowded: other devices nearby share its coverage)\n")
	} else {
		fmt.Fprintf(w, " (no crowding)\n")
	}
	fmt.Fprintf(w, "  boost         ×%s\n", strconv.FormatFloat(float64(b.BoostBps)/10_000, 'f', -1, 64))
	share := "0"
	if tw, ok := new(big.Int).SetString(b.TotalWeight, 10); ok && tw.Sign() > 0 {
		wt, _ := new(big.Int).SetString(b.Weight, 10)
		if wt != nil {
			r := new(big.Rat).SetFrac(new(big.Int).Mul(wt, big.NewInt(100)), tw)
			share = r.FloatString(4)
		}
	}
	fmt.Fprintf(w, "  weight        %s of the network's %s (%s%%)\n\n", b.Weight, b.TotalWeight, share)
	fmt.Fprintf(w, "Reward: %d from the work pools + %d from the availability pools = %d %s.\n", b.WorkReward, b.AvailabilityReward, b.Reward, b.Denom)
}

// coverage says how much of the epoch the accepted reports covered. A
// report counts, whole, in the epoch its block is in, so reports longer
// than an epoch (or ending just after it) can cover more seconds than the
// epoch has: uptime is then full, never more.
func coverage(covered, epoch uint64) string {
	if covered > epoch {
		return fmt.Sprintf("accepted reports covered %s, more than the epoch's %s (a report counts whole in the epoch it arrives in): full uptime",
			seconds(covered), seconds(epoch))
	}
	return fmt.Sprintf("accepted reports covered %d of the epoch's %s", covered, seconds(epoch))
}

// seconds says a number of seconds, with its unit.
func seconds(s uint64) string {
	if s == 1 {
		return "1 second"
	}
	return strconv.FormatUint(s, 10) + " seconds"
}

// String is Write into a string.
func String(b *rewardv1.Breakdown, id string) string {
	var sb strings.Builder
	Write(&sb, b, id)
	return sb.String()
}

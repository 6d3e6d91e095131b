package app

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/market"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/reward"
)

// TestAdversarialWorkload drives random txs with the worst values an
// account or a network owner can choose — 0, 1, 2^62, 2^64−1, other
// people's devices, orders and escrows, parameter changes (currency,
// interval, bounds, emission, slash, market removed) while funds are
// escrowed, replays, bad evidence, time jumps — through the state
// machine. After every block: every module's books balance
// (CheckInvariants), udpin's supply never moves, and no network is ever
// frozen: a freeze means one of our block steps failed on input an
// attacker chose, which this test must never see.
func TestAdversarialWorkload(t *testing.T) {
	// DEPIN_ADVERSARIAL_SEEDS=N runs N seeds (a longer hunt than the
	// tests' default 6).
	seeds := uint64(6)
	if v, err := strconv.ParseUint(os.Getenv("DEPIN_ADVERSARIAL_SEEDS"), 10, 32); err == nil && v > 0 {
		seeds = v
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { adversarialRun(t, seed, 300, nil) })
	}
}

func adversarialRun(t *testing.T, seed uint64, steps int, onBlock func(int64, []abci.Event, []*abci.ExecTxResult)) *testChainApp {
	params := gridParams()
	params.Rewards = network.DefaultRewards(1_000_000)
	w := newWorldWith(t, store.NewMemTree(), params)
	c := w.c
	c.onBlock = onBlock
	rng := rand.New(rand.NewPCG(seed, 7))
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 100_000_000_000)}}}}))
	names := []string{"p1", "p2", "p3", "p4"}
	var ids []crypto.DeviceID
	var owners []testKey
	for _, nm := range names {
		ids, owners = append(ids, w.register(nm, 5000)), append(owners, w.owner)
	}
	for _, nm := range []string{"q1", "q2", "q3"} {
		c.mustBlock(c.tx(bob, registerMsg(bob.addr, w.cert(nm, 5000), nm, w.cell)))
		names, ids, owners = append(names, nm), append(ids, deviceID(nm)), append(owners, bob)
	}
	seq := make([]uint64, len(names))
	lastEnd := make([]int64, len(names))
	var signed []*reportv1.SignedReport
	supply := bank.Keeper{}.Supply(c.snapshot(), "udpin")
	extremes := []uint64{0, 1, 2, 1 << 32, network.MaxRewardSupply, math.MaxUint64 / 2, math.MaxUint64 - 1, math.MaxUint64}
	val := func() uint64 {
		if rng.IntN(4) == 0 {
			return extremes[rng.IntN(len(extremes))]
		}
		return rng.Uint64N(1000)
	}
	ok, refused := map[string]int{}, map[string]int{}
	for step := 0; step < steps; step++ {
		i := rng.IntN(len(names))
		who := owners[i] // mostly the device's owner, sometimes a stranger
		if rng.IntN(4) == 0 {
			who = []testKey{w.owner, bob}[rng.IntN(2)]
		}
		n := network.Keeper{}.Network(c.snapshot(), "solar")
		e := network.EpochAt(n, c.time.Unix()+1)
		var m *txv1.Msg
		switch rng.IntN(14) {
		case 0, 1: // reports: fresh, replayed, or beyond the bound
			if len(signed) > 0 && rng.IntN(3) == 0 {
				batch := make([]*reportv1.SignedReport, 1+rng.IntN(20))
				for k := range batch {
					batch[k] = signed[rng.IntN(len(signed))]
				}
				m = &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: who.addr.Bytes(), Reports: batch}}}
				break
			}
			now := c.time.Unix() + 1
			seq[i]++
			start := max(lastEnd[i], now-300)
			if rng.IntN(10) == 0 {
				start = now - int64(1+rng.IntN(400)) // may overlap
			}
			if start >= now {
				start = now - 1
			}
			lastEnd[i] = now
			r := signReport(t, devKey(names[i]), "solar", seq[i], start, now,
				&reportv1.MetricValue{Id: 1, Value: []uint64{rng.Uint64N(20), val()}[min(rng.IntN(12), 1)]}, &reportv1.MetricValue{Id: 2, Value: rng.Uint64N(20)})
			signed = append(signed, r)
			m = &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: who.addr.Bytes(), Reports: []*reportv1.SignedReport{r}}}}
		case 2: // orders with extreme prices and quantities, any interval
			iv := uint64(0)
			if mp := n.Params.Market; mp != nil && rng.IntN(2) == 0 {
				iv = market.IntervalAt(mp, c.time.Unix()+1) + rng.Uint64N(5)
			}
			m = &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: who.addr.Bytes(), Device: ids[i][:], Side: marketv1.Side(min(1+rng.IntN(3), 3) % 3),
				Interval: iv, Price: []uint64{1 + rng.Uint64N(20), val()}[min(rng.IntN(4), 1)], Quantity: []uint64{1 + rng.Uint64N(200), val()}[min(rng.IntN(4), 1)]}}}
		case 3: // cancel anyone's order
			m = &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: who.addr.Bytes(), Id: 1 + rng.Uint64N(20)}}}
		case 4: // agreements with extreme terms; cancel or decline anyone's
			switch rng.IntN(3) {
			case 0:
				m = &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{Consumer: who.addr.Bytes(), Device: ids[i][:], Metric: uint32(rng.IntN(3)),
					Denom: []string{"udpin", "usolar", "share/x"}[rng.IntN(3)], PriceNum: val(), PriceDen: val(), MaxUnits: val(), StartEpoch: e + rng.Uint64N(2), EndEpoch: e + val()%5}}}
			case 1:
				m = &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: who.addr.Bytes(), Id: 1 + rng.Uint64N(10)}}}
			default:
				m = &txv1.Msg{Sum: &txv1.Msg_DeclineAgreement{DeclineAgreement: &agreementv1.MsgDeclineAgreement{Owner: who.addr.Bytes(), Id: 1 + rng.Uint64N(10)}}}
			}
		case 5: // the owner changes params while funds are escrowed
			who = w.owner
			p := gridParams()
			p.Rewards = network.DefaultRewards(val() % (network.MaxRewardSupply + 1))
			p.Rewards.MaxSupply = val() % (network.MaxRewardSupply + 1)
			p.Rewards.SlashBps = uint32(rng.IntN(10_001))
			if rng.IntN(3) == 0 {
				p.Metrics[rng.IntN(2)].BoundDen = []uint64{1, 3600 * (1 + rng.Uint64N(4)), 1 + rng.Uint64N(1<<32)}[rng.IntN(3)]
			}
			switch rng.IntN(4) {
			case 0:
				p.Market = nil
			case 1:
				p.Market.Denom = "usolar"
			case 2:
				p.Market.IntervalSeconds = 60 + rng.Uint64N(1800)
				p.Market.SettleDelaySeconds = rng.Uint64N(7 * 24 * 3600)
			}
			if rng.IntN(3) == 0 {
				p.EpochSeconds = network.MinEpochSeconds + rng.Uint64N(7200)
			}
			m = &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: who.addr.Bytes(), Network: "solar", Params: p}}}
		case 6: // shares
			if rng.IntN(2) == 0 {
				m = &txv1.Msg{Sum: &txv1.Msg_Tokenize{Tokenize: &sharev1.MsgTokenize{Owner: who.addr.Bytes(), Device: ids[i][:], Shares: val()}}}
			} else {
				m = &txv1.Msg{Sum: &txv1.Msg_ClaimShareRewards{ClaimShareRewards: &sharev1.MsgClaimShareRewards{Holder: who.addr.Bytes(), Device: ids[i][:]}}}
			}
		case 7: // leases with extreme rents and deposits
			switch rng.IntN(4) {
			case 0:
				m = &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{Owner: who.addr.Bytes(), Device: ids[i][:], Lessee: bob.addr.Bytes(),
					Denom: "udpin", RentPerEpoch: val(), RewardShareBps: uint32(rng.IntN(10001)), StartEpoch: e + 1, EndEpoch: e + 1 + rng.Uint64N(3)}}}
			case 1:
				who = bob
				m = &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: bob.addr.Bytes(), Device: ids[i][:], Deposit: val()}}}
			case 2:
				who = bob
				m = &txv1.Msg{Sum: &txv1.Msg_DepositLease{DepositLease: &sharev1.MsgDepositLease{Lessee: bob.addr.Bytes(), Device: ids[i][:], Amount: val()}}}
			default:
				who = bob
				m = &txv1.Msg{Sum: &txv1.Msg_EndLease{EndLease: &sharev1.MsgEndLease{Lessee: bob.addr.Bytes(), Device: ids[i][:]}}}
			}
		case 8: // evidence from anything signed so far
			if len(signed) < 2 {
				continue
			}
			kind := reportv1.EvidenceKind(rng.IntN(3))
			rs := []*reportv1.SignedReport{signed[rng.IntN(len(signed))]}
			if kind == reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT {
				rs = append(rs, signed[rng.IntN(len(signed))])
			}
			m = &txv1.Msg{Sum: &txv1.Msg_SubmitEvidence{SubmitEvidence: &reportv1.MsgSubmitEvidence{Submitter: who.addr.Bytes(), Kind: kind, Reports: rs}}}
		case 9: // claims, boosts, sends into escrows
			switch rng.IntN(3) {
			case 0:
				m = &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: who.addr.Bytes()}}}
			case 1:
				m = &txv1.Msg{Sum: &txv1.Msg_SetBoost{SetBoost: &rewardv1.MsgSetBoost{Owner: who.addr.Bytes(), Network: "solar", Boost: &rewardv1.Boost{Cell: w.cell, MultiplierBps: uint32(val()), UntilEpoch: e + val()%10}}}}
			default:
				to := []crypto.Address{market.Escrow, agreement.Escrow, reward.Pool, bob.addr}[rng.IntN(4)]
				m = &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: who.addr.Bytes(), To: to.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1+rng.Uint64N(1000))}}}}
			}
		case 10: // device lifecycle, on anyone's device
			switch rng.IntN(6) {
			case 0:
				m = &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{Owner: who.addr.Bytes(), Device: ids[i][:]}}}
			case 1, 2:
				m = &txv1.Msg{Sum: &txv1.Msg_WithdrawStake{WithdrawStake: &devicev1.MsgWithdrawStake{Owner: who.addr.Bytes(), Device: ids[i][:]}}}
			default:
				m = &txv1.Msg{Sum: &txv1.Msg_ResumeNetwork{ResumeNetwork: &networkv1.MsgResumeNetwork{Owner: who.addr.Bytes(), Network: "solar"}}}
			}
		default: // time passes: a little, an interval, an epoch or more
			c.time = c.time.Add(time.Duration([]int{1, 60, 900, 3600, 7200}[rng.IntN(5)]+rng.IntN(600)) * time.Second)
			c.block()
			assertNoneFrozen(t, c, step)
			continue
		}
		res := c.block(c.tx(who, m))[0]
		assertNoneFrozen(t, c, step)
		kind := fmt.Sprintf("%T", m.Sum)[len("*txv1.Msg_"):]
		if res.Code == 0 {
			ok[kind]++
		} else {
			refused[kind]++
			if testing.Verbose() && (kind == "PlaceOrder" || kind == "OpenAgreement" || kind == "AcceptLease" || kind == "OfferLease") {
				t.Logf("step %d %s: %s", step, kind, res.Log)
			}
			if res.Codespace == "internal" {
				t.Fatalf("step %d: %s failed internally (a panic or an unregistered error): %s", step, kind, res.Log)
			}
		}
	}
	t.Logf("succeeded %v; refused %v", ok, refused)
	if got := (bank.Keeper{}).Supply(c.snapshot(), "udpin"); got != supply {
		t.Fatalf("udpin supply %d, was %d", got, supply)
	}
	// The shared default reward params (what RewardsOf returns for a
	// network without any) were only ever read.
	if !proto.Equal(network.RewardsOf(nil), network.DefaultRewards(0)) {
		t.Fatal("something modified the shared default reward params")
	}
	return c
}

func assertNoneFrozen(t *testing.T, c *testChainApp, step int) {
	t.Helper()
	for _, id := range (network.Keeper{}).IDs(c.snapshot()) {
		if n := (network.Keeper{}).Network(c.snapshot(), id); n.Frozen {
			t.Fatalf("step %d: network %s froze: %s", step, id, n.FrozenReason)
		}
	}
}

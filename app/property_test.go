package app

import (
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/share"
)

// TestNoTokenCreatedOrLost drives random mixes of reports, market orders,
// agreements, shares, leases, claims and time jumps (valid and invalid)
// through the state machine. After every block the books are checked
// (AfterCommit: Σ balances = supply per denom, and every module's escrow
// equals its records), and udpin's supply never moves: fees, escrows,
// rents and payments only move it around.
func TestNoTokenCreatedOrLost(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		params := gridParams()
		params.Rewards = network.DefaultRewards(1_000_000)
		w := newWorldWith(t, store.NewMemTree(), params)
		c := w.c
		rng := rand.New(rand.NewPCG(seed, 99))
		bob := newTestKey("bob")
		c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 10_000_000_000)}}}}))
		names := []string{"p1", "p2", "p3"}
		var ids []crypto.DeviceID
		for _, nm := range names {
			ids = append(ids, w.register(nm, 5000))
		}
		c.mustBlock(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: bob.addr.Bytes(), Cert: w.cert("q1", 5000), DeviceSignature: pop("q1", bob.addr), Cell: w.cell}}}))
		names = append(names, "q1")
		ids = append(ids, deviceID("q1"))
		seq := make([]uint64, len(names))
		lastEnd := make([]int64, len(names))
		supply := bank.Keeper{}.Supply(c.snapshot(), "udpin")
		n := network.Keeper{}.Network(c.snapshot(), "solar")
		ok, refused := map[string]int{}, map[string]int{}
		for step := 0; step < 150; step++ {
			i := rng.IntN(len(names))
			who := w.owner
			if rng.IntN(2) == 0 {
				who = bob
			}
			var m *txv1.Msg
			switch rng.IntN(9) {
			case 0, 1: // a report from a random device
				now := c.time.Unix() + 1
				start := max(lastEnd[i], now-120)
				if start >= now {
					c.block()
					continue
				}
				seq[i]++
				lastEnd[i] = now
				r := signReport(t, devKey(names[i]), "solar", seq[i], start, now,
					&reportv1.MetricValue{Id: 1, Value: rng.Uint64N(50)}, &reportv1.MetricValue{Id: 2, Value: rng.Uint64N(50)})
				m = &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: who.addr.Bytes(), Reports: []*reportv1.SignedReport{r}}}}
			case 2: // an order, sometimes with someone else's meter
				side := marketv1.Side(1 + rng.IntN(2))
				m = &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: who.addr.Bytes(), Device: ids[i][:], Side: side,
					Price: rng.Uint64N(20), Quantity: rng.Uint64N(200)}}}
			case 3: // an agreement
				e := network.EpochAt(n, c.time.Unix()+1)
				m = &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{Consumer: who.addr.Bytes(), Device: ids[i][:], Metric: uint32(1 + rng.IntN(2)),
					Denom: "udpin", PriceNum: rng.Uint64N(5), PriceDen: 1 + rng.Uint64N(3), MaxUnits: rng.Uint64N(300), StartEpoch: e, EndEpoch: e + rng.Uint64N(3)}}}
			case 4: // tokenize, or move shares around
				if rng.IntN(2) == 0 {
					m = &txv1.Msg{Sum: &txv1.Msg_Tokenize{Tokenize: &sharev1.MsgTokenize{Owner: who.addr.Bytes(), Device: ids[i][:], Shares: 1 + rng.Uint64N(1000)}}}
				} else {
					to := bob
					if who.addr == bob.addr {
						to = w.owner
					}
					m = &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: who.addr.Bytes(), To: to.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin(share.Denom(ids[i]), 1+rng.Uint64N(600))}}}}
				}
			case 5: // claims
				if rng.IntN(2) == 0 {
					m = &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: who.addr.Bytes()}}}
				} else {
					m = &txv1.Msg{Sum: &txv1.Msg_ClaimShareRewards{ClaimShareRewards: &sharev1.MsgClaimShareRewards{Holder: who.addr.Bytes(), Device: ids[i][:]}}}
				}
			case 6: // leases
				e := network.EpochAt(n, c.time.Unix()+1)
				if rng.IntN(2) == 0 {
					m = &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{Owner: who.addr.Bytes(), Device: ids[i][:], Lessee: bob.addr.Bytes(),
						Denom: "udpin", RentPerEpoch: 1 + rng.Uint64N(100), RewardShareBps: uint32(rng.IntN(10001)), StartEpoch: e + 1, EndEpoch: e + 1 + rng.Uint64N(3)}}}
				} else {
					who = bob
					m = &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: bob.addr.Bytes(), Device: ids[i][:], Deposit: 50 + rng.Uint64N(300)}}}
				}
			case 7, 8: // time passes: into the next market interval or epoch
				c.time = c.time.Add(time.Duration(300+rng.IntN(3600)) * time.Second)
				c.block()
				continue
			}
			res := c.block(c.tx(who, m))[0]
			kind := fmt.Sprintf("%T", m.Sum)
			if res.Code == 0 {
				ok[kind]++
			} else {
				refused[kind]++
			}
		}
		t.Logf("seed %d: succeeded %v; refused %v", seed, ok, refused)
		if got := (bank.Keeper{}).Supply(c.snapshot(), "udpin"); got != supply {
			t.Fatalf("seed %d: udpin supply %d, was %d", seed, got, supply)
		}
	}
}

func deviceID(name string) crypto.DeviceID {
	return crypto.AddressFromPubKey(devKey(name).Public().(ed25519.PublicKey))
}

package chaos

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// action is one kind of tx the workload sends: build returns nil when the
// worker's state offers nothing to do it with right now. Kinds ending in
// "-invalid" are txs the chain must refuse (expectFail): a committed
// success of one is a violation.
type action struct {
	name   string
	weight int
	build  func(w *worker) *intent
}

var actions = []action{
	{"bank-send", 10, func(w *worker) *intent {
		a := w.acct()
		return &intent{signer: a, msgs: one(msgSend(a.addr, w.other(a).addr, bank.NativeDenom, 1+w.rng.Uint64N(1000)))}
	}},
	{"bank-send-insufficient-invalid", 2, func(w *worker) *intent {
		a := w.acct()
		return &intent{signer: a, expectFail: true, msgs: one(msgSend(a.addr, w.other(a).addr, bank.NativeDenom, 1<<62))}
	}},
	{"bank-send-bad-sequence-invalid", 2, func(w *worker) *intent {
		a := w.acct()
		off := int64(1000)
		if a.seq > 0 && w.rng.IntN(2) == 0 {
			off = -1 // a replayed sequence
		}
		return &intent{signer: a, expectFail: true, seqOffset: off, msgs: one(msgSend(a.addr, w.other(a).addr, bank.NativeDenom, 1))}
	}},
	{"network-create", 1, func(w *worker) *intent {
		w.nextNet++
		n, in, err := w.createNetworkMsg(w.accts[0], fmt.Sprintf("c%d-x%d", w.id, w.nextNet), "storage")
		if err != nil {
			return nil
		}
		_ = n // extra networks are not used further
		return in
	}},
	{"network-create-duplicate-invalid", 1, func(w *worker) *intent {
		_, in, err := w.createNetworkMsg(w.acct(), w.nets[w.rng.IntN(len(w.nets))].id, "solar")
		if err != nil {
			return nil
		}
		in.expectFail = true
		return in
	}},
	{"network-update-params", 1, func(w *worker) *intent {
		n := w.nets[w.rng.IntN(len(w.nets))]
		p := w.params(n.kind, n.meter)
		p.ReportWindowSeconds = 1800 + w.rng.Uint64N(3600)
		p.MinMoveIntervalSeconds = 5 + w.rng.Uint64N(20)
		return &intent{signer: n.owner, msgs: one(msgUpdateParams(n.owner.addr, n.id, p))}
	}},
	{"network-update-params-unauthorized-invalid", 1, func(w *worker) *intent {
		n := w.nets[w.rng.IntN(len(w.nets))]
		out := w.accts[outsider]
		return &intent{signer: out, expectFail: true, msgs: one(msgUpdateParams(out.addr, n.id, w.params(n.kind, n.meter)))}
	}},
	{"approve-maker", 1, func(w *worker) *intent {
		n := w.nets[w.rng.IntN(len(w.nets))]
		k := w.newKey("extra maker")
		return &intent{signer: n.owner, msgs: one(msgApproveMaker(n.owner.addr, n.id, k.Public().(ed25519.PublicKey), "extra maker"))}
	}},
	{"approve-maker-unauthorized-invalid", 1, func(w *worker) *intent {
		n := w.nets[w.rng.IntN(len(w.nets))]
		out := w.accts[outsider]
		return &intent{signer: out, expectFail: true, msgs: one(msgApproveMaker(out.addr, n.id, w.rogue.Public().(ed25519.PublicKey), "rogue"))}
	}},
	{"device-register", 3, func(w *worker) *intent {
		n := w.nets[w.rng.IntN(len(w.nets))]
		if w.activeIn(n) >= maxDevicesPerNet {
			return nil
		}
		a := w.acct()
		d, m, err := w.registerMsg(n, a, w.maker)
		if err != nil {
			return nil
		}
		return &intent{signer: a, msgs: one(m), onCommit: func(*client.TxResult) {
			d.active = true
			w.devs = append(w.devs, d)
		}}
	}},
	{"device-register-rogue-maker-invalid", 1, func(w *worker) *intent {
		n := w.nets[w.rng.IntN(len(w.nets))]
		a := w.acct()
		_, m, err := w.registerMsg(n, a, w.rogue)
		if err != nil {
			return nil
		}
		return &intent{signer: a, expectFail: true, msgs: one(m)}
	}},
	{"device-move", 2, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active }))
		if d == nil {
			return nil
		}
		return &intent{signer: d.owner, msgs: one(msgMoveDevice(d.owner.addr, d.id, w.cell()))}
	}},
	{"device-transfer", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active && !d.tokenized }))
		if d == nil {
			return nil
		}
		to := w.other(d.owner)
		return &intent{signer: d.owner, msgs: one(msgTransferDevice(d.owner.addr, d.id, to.addr)), onCommit: func(*client.TxResult) { d.owner = to }}
	}},
	{"device-transfer-unauthorized-invalid", 1, func(w *worker) *intent {
		d := w.pick(w.devs)
		if d == nil {
			return nil
		}
		out := w.accts[outsider]
		return &intent{signer: out, expectFail: true, msgs: one(msgTransferDevice(out.addr, d.id, out.addr))}
	}},
	{"device-deactivate", 1, func(w *worker) *intent {
		// A jailed device can be deactivated too (and what is left of
		// its stake withdrawn).
		d := w.pick(w.devices(func(d *devInfo) bool {
			return d.retiredAt.IsZero() && (d.jailed || d.active && w.activeIn(d.net) > 3)
		}))
		if d == nil {
			return nil
		}
		d.active = false
		return &intent{signer: d.owner, msgs: one(msgDeactivateDevice(d.owner.addr, d.id)), onCommit: func(*client.TxResult) { d.retiredAt = time.Now() }}
	}},
	{"device-withdraw-stake", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool {
			return !d.retiredAt.IsZero() && time.Since(d.retiredAt) > unbonding+5*time.Second
		}))
		if d == nil {
			return nil
		}
		d.retiredAt = time.Time{}
		return &intent{signer: d.owner, msgs: one(msgWithdrawStake(d.owner.addr, d.id))}
	}},
	{"report-batch", 16, buildReportBatch},
	{"evidence-double-report", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active && w.activeIn(d.net) > 3 }))
		if d == nil {
			return nil
		}
		// Two different reports with the next seq, signed from copies of
		// the device's state (d itself is done with: it is slashed).
		st := d.agent.State()
		end := st.PeriodEnd + 5
		sa, sb := w.shadow(d), w.shadow(d)
		ra, err1 := sa.Sign(unix(end), unix(end+10), w.metrics(d, 10, false))
		rb, err2 := sb.Sign(unix(end), unix(end+20), w.metrics(d, 20, false))
		if err1 != nil || err2 != nil {
			return nil
		}
		d.active, d.jailed = false, true // slashed and jailed once this commits
		a := w.acct()
		return &intent{signer: a, msgs: one(msgDoubleReportEvidence(a.addr, decodeSigned(ra), decodeSigned(rb)))}
	}},
	{"reward-claim", 3, func(w *worker) *intent {
		a := w.acct()
		return &intent{signer: a, msgs: one(msgClaimRewards(a.addr, nil))}
	}},
	{"staking-delegate", 2, func(w *worker) *intent {
		v := w.vals[w.rng.IntN(len(w.vals))]
		key := hex.EncodeToString(v)
		room := maxDelegationPerValidator/uint64(w.sd.s.cfg.Workers) - w.deleg[key]
		if room == 0 {
			return nil
		}
		a := w.acct()
		amt := 1 + w.rng.Uint64N(min(room, 50_000))
		w.deleg[key] += amt // counted when sent: a lost delegation only leaves room unused
		return &intent{signer: a, msgs: one(msgDelegate(a.addr, v, amt)), onCommit: func(*client.TxResult) {
			w.bonded = append(w.bonded, bond{a, v, amt})
		}}
	}},
	{"staking-unbond", 1, func(w *worker) *intent {
		if len(w.bonded) == 0 {
			return nil
		}
		i := w.rng.IntN(len(w.bonded))
		b := w.bonded[i]
		w.bonded = append(w.bonded[:i], w.bonded[i+1:]...)
		return &intent{signer: b.del, msgs: one(msgUnbond(b.del.addr, b.val, 1+w.rng.Uint64N(b.amount)))}
	}},
	{"staking-unbond-too-much-invalid", 1, func(w *worker) *intent {
		v := w.vals[w.rng.IntN(len(w.vals))]
		a := w.acct()
		return &intent{signer: a, expectFail: true, msgs: one(msgUnbond(a.addr, v, 1<<50))}
	}},
	{"agreement-open", 2, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active && !d.net.meter }))
		if d == nil {
			return nil
		}
		a := w.acct()
		end := w.epochNow(d.net) + 2 + w.rng.Uint64N(3)
		return &intent{signer: a, msgs: one(msgOpenAgreement(a.addr, d.id, 1, 1+w.rng.Uint64N(3), 1000, 1+w.rng.Uint64N(100_000), end)),
			onCommit: func(res *client.TxResult) {
				if ev, ok := firstEvent[*agreementv1.EventAgreementOpened](res); ok {
					w.agrees = append(w.agrees, agreementRef{id: ev.Id, consumer: a})
				}
			}}
	}},
	{"agreement-cancel", 1, func(w *worker) *intent {
		if len(w.agrees) == 0 {
			return nil
		}
		i := w.recent(len(w.agrees))
		ag := w.agrees[i]
		w.agrees = append(w.agrees[:i], w.agrees[i+1:]...)
		// An agreement may end at an epoch's end between CheckTx and the
		// block: the cancel then lapses.
		return &intent{signer: ag.consumer, msgs: one(msgCancelAgreement(ag.consumer.addr, ag.id)), mayLapse: true}
	}},
	{"agreement-cancel-unauthorized-invalid", 1, func(w *worker) *intent {
		if len(w.agrees) == 0 {
			return nil
		}
		ag := w.agrees[w.rng.IntN(len(w.agrees))]
		out := w.accts[outsider]
		return &intent{signer: out, expectFail: true, msgs: one(msgCancelAgreement(out.addr, ag.id))}
	}},
	{"market-order", 3, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active && d.net.meter }))
		if d == nil {
			return nil
		}
		owner := d.owner
		return &intent{signer: owner, msgs: one(msgPlaceOrder(owner.addr, d.id, w.rng.IntN(2) == 0, 1+w.rng.Uint64N(20), 1+w.rng.Uint64N(200))),
			onCommit: func(res *client.TxResult) {
				if ev, ok := firstEvent[*marketv1.EventOrderPlaced](res); ok {
					w.orders = append(w.orders, orderRef{id: ev.Id, owner: owner})
				}
			}}
	}},
	{"market-cancel-order", 1, func(w *worker) *intent {
		if len(w.orders) == 0 {
			return nil
		}
		i := w.recent(len(w.orders))
		o := w.orders[i]
		w.orders = append(w.orders[:i], w.orders[i+1:]...)
		// The market may clear the order's interval between CheckTx and the
		// block: the cancel then lapses (nothing is left to cancel).
		return &intent{signer: o.owner, msgs: one(msgCancelOrder(o.owner.addr, o.id)), mayLapse: true}
	}},
	{"market-cancel-order-unauthorized-invalid", 1, func(w *worker) *intent {
		if len(w.orders) == 0 {
			return nil
		}
		out := w.accts[outsider]
		return &intent{signer: out, expectFail: true, msgs: one(msgCancelOrder(out.addr, w.orders[w.rng.IntN(len(w.orders))].id))}
	}},
	{"market-order-unauthorized-invalid", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.net.meter }))
		if d == nil {
			return nil
		}
		out := w.accts[outsider]
		return &intent{signer: out, expectFail: true, msgs: one(msgPlaceOrder(out.addr, d.id, true, 5, 10))}
	}},
	{"share-tokenize", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active && !d.tokenized && d.lessee == nil }))
		if d == nil {
			return nil
		}
		// A device with unclaimed rewards must be claimed first: both in
		// one tx then.
		msgs := one(msgTokenize(d.owner.addr, d.id, 1000))
		if w.unclaimed(d) > 0 {
			msgs = append([]*txv1.Msg{msgClaimRewards(d.owner.addr, d.id[:])}, msgs...)
		}
		return &intent{signer: d.owner, msgs: msgs, onCommit: func(*client.TxResult) { d.tokenized = true }}
	}},
	{"share-transfer", 2, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.tokenized }))
		if d == nil {
			return nil
		}
		return &intent{signer: d.owner, msgs: one(msgSend(d.owner.addr, w.other(d.owner).addr, shareDenom(d), 1+w.rng.Uint64N(50)))}
	}},
	{"share-claim", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.tokenized }))
		if d == nil {
			return nil
		}
		a := w.acct()
		return &intent{signer: a, msgs: one(msgClaimShareRewards(a.addr, d.id))}
	}},
	{"lease-offer", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.active && d.lessee == nil }))
		if d == nil {
			return nil
		}
		to := w.other(d.owner)
		start := w.epochNow(d.net) + 2
		return &intent{signer: d.owner, msgs: one(msgOfferLease(d.owner.addr, d.id, to.addr, 1000, uint32(w.rng.IntN(5001)), start, start+1+w.rng.Uint64N(3))),
			onCommit: func(*client.TxResult) { d.lessee = to }}
	}},
	{"lease-accept", 1, func(w *worker) *intent {
		d := w.pick(w.devices(func(d *devInfo) bool { return d.lessee != nil }))
		if d == nil {
			return nil
		}
		l := d.lessee
		d.lessee = nil
		return &intent{signer: l, msgs: one(msgAcceptLease(l.addr, d.id, 2000+w.rng.Uint64N(3000)))}
	}},
}

// buildReportBatch relays a few devices' reports: fresh valid ones, and
// now and then a duplicate of an old one (stale seq), one dated in the
// future, or a physically impossible one (fraud evidence: the device is
// slashed, so only a device its network can spare).
func buildReportBatch(w *worker) *intent {
	var reports []*reportv1.SignedReport
	for _, d := range w.devices(func(d *devInfo) bool { return d.active }) {
		if w.rng.IntN(2) == 0 {
			continue
		}
		if r := w.report(d); r != nil {
			reports = append(reports, r)
			d.sent = append(d.sent, r)
			if len(d.sent) > 8 {
				d.sent = d.sent[1:]
			}
		}
	}
	if w.rng.IntN(3) == 0 {
		if d := w.pick(w.devices(func(d *devInfo) bool { return len(d.sent) > 1 })); d != nil {
			reports = append(reports, d.sent[w.rng.IntN(len(d.sent)-1)]) // not the one just added
		}
	}
	if w.rng.IntN(4) == 0 {
		if d := w.pick(w.devices(func(d *devInfo) bool { return d.active })); d != nil {
			start := unix(d.agent.State().PeriodEnd + 600)
			if r, err := w.shadow(d).Sign(start, start.Add(time.Minute), w.metrics(d, 60, false)); err == nil {
				reports = append(reports, decodeSigned(r))
			}
		}
	}
	if w.rng.IntN(25) == 0 {
		if d := w.pick(w.devices(func(d *devInfo) bool { return d.active && w.activeIn(d.net) > 3 })); d != nil {
			st := d.agent.State()
			if r, err := d.agent.Sign(unix(st.PeriodEnd), unix(st.PeriodEnd+10), w.metrics(d, 10, true)); err == nil {
				reports = append(reports, decodeSigned(r))
				d.active, d.jailed = false, true
			}
		}
	}
	if len(reports) == 0 {
		return nil
	}
	for _, r := range reports {
		if r == nil {
			return nil
		}
	}
	a := w.acct()
	return &intent{signer: a, msgs: one(msgReportBatch(a.addr, reports))}
}

func unix(s int64) time.Time { return time.Unix(s, 0) }

func one(m *txv1.Msg) []*txv1.Msg { return []*txv1.Msg{m} }

// firstEvent returns the first event of type T in a tx result, decoded
// by api/event (the chain's own codec), or false if there is none or it
// does not decode.
func firstEvent[T proto.Message](res *client.TxResult) (T, bool) {
	var zero T
	name := string(zero.ProtoReflect().Descriptor().FullName())
	for _, e := range res.Events {
		if e.Type != name {
			continue
		}
		m, err := event.FromABCI(e)
		if err != nil {
			return zero, false
		}
		t, ok := m.(T)
		return t, ok
	}
	return zero, false
}

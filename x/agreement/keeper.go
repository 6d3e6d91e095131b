// Package agreement is the chain's pay-per-verified-unit contract: a
// consumer escrows funds for a provider device; at the end of each epoch
// of the device's network the chain pays the device's owner for the units
// of one metric that the device's accepted reports proved in that epoch,
// up to a cap, and refunds what is left when the agreement ends. The same
// mechanism pays per kWh delivered, per GB-hour stored, per km driven or
// per sensor reading.
package agreement

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
)

// Escrow holds the funds of open agreements.
var Escrow = crypto.ModuleAddress("agreement_escrow")

// NoticeEpochs: a consumer's cancellation lets the current epoch and the
// next one be paid.
const NoticeEpochs = 1

// MaxEpochs bounds an agreement's length in epochs.
const MaxEpochs = 100_000

// Keeper-internal state (the public layout is in api/agreement).
var (
	seqKey       = []byte("agreement/seq")
	cursorPrefix = []byte("agreement/k/") // + network → last id settled in the running pass (empty: from the start)
)

// openPrefix lists a network's open agreements.
func openPrefix(net string) []byte { return keys.New(OpenPrefix).Str(net).Sep() }

// openKey is the open-index key of agreement id.
func openKey(net string, id uint64) []byte { return keys.New(OpenPrefix).Str(net).Sep().U64(id) }

// cursorKey is where a network's running settlement pass keeps its place.
func cursorKey(net string) []byte { return keys.New(cursorPrefix).Str(net) }

// Keeper runs agreements.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	Report  report.Keeper
	// BlockBudget bounds how many open agreements one block settles, over
	// every network (0: DefaultBlockBudget). Every validator must use the
	// same: it is set where the app is built, never from a node's
	// configuration.
	BlockBudget int
}

// Budget is how many agreements one block may settle.
func (k Keeper) Budget() int {
	if k.BlockBudget > 0 {
		return k.BlockBudget
	}
	return DefaultBlockBudget
}

// Get returns an agreement, or nil.
func (Keeper) Get(r store.Reader, id uint64) *agreementv1.Agreement {
	return state.Load[agreementv1.Agreement](r, Key(id))
}

func (Keeper) set(kv store.KV, a *agreementv1.Agreement) { kv.Set(Key(a.Id), state.Marshal(a)) }

// Open escrows the consumer's funds for an agreement with a device.
func (k Keeper) Open(ctx state.Context, signer crypto.Address, m *agreementv1.MsgOpenAgreement) (uint64, error) {
	id, err := crypto.AddressFromBytes(m.Device)
	if err != nil {
		return 0, fmt.Errorf("%w: device: %v", ErrInvalid, err)
	}
	d := k.Device.Get(ctx.KV, id)
	if d == nil || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		return 0, fmt.Errorf("%w: device %s is not an active registered device", ErrInvalid, crypto.DeviceString(id))
	}
	n, err := k.Network.Active(ctx, d.Network)
	if err != nil {
		return 0, err
	}
	if network.MetricByID(n.Params, m.Metric) == nil {
		return 0, fmt.Errorf("%w: network %s has no metric %d", ErrInvalid, n.Id, m.Metric)
	}
	if m.PriceNum == 0 || m.PriceDen == 0 || m.MaxUnits == 0 {
		return 0, fmt.Errorf("%w: price and max units must be > 0", ErrInvalid)
	}
	if !k.Bank.KnownDenom(ctx.KV, m.Denom) {
		return 0, fmt.Errorf("%w: unknown denom %q", ErrInvalid, m.Denom)
	}
	now := network.EpochAt(n, ctx.Time.Unix())
	start := m.StartEpoch
	if start == 0 {
		start = now
	}
	if start < now {
		return 0, fmt.Errorf("%w: start epoch %d has passed (now %d)", ErrInvalid, start, now)
	}
	if m.EndEpoch < start || m.EndEpoch-start >= MaxEpochs {
		return 0, fmt.Errorf("%w: end epoch %d must be ≥ start %d and within %d epochs", ErrInvalid, m.EndEpoch, start, MaxEpochs)
	}
	escrow, ok := fixed.MulDivCeil(m.MaxUnits, m.PriceNum, m.PriceDen)
	if !ok || escrow == 0 {
		return 0, fmt.Errorf("%w: max units × price overflows or is 0", ErrInvalid)
	}
	if err := k.Bank.Send(ctx, signer, Escrow, bank.Coins(m.Denom, escrow), "agreement_escrow"); err != nil {
		return 0, err
	}
	seq := state.NextSeq(ctx.KV, seqKey)
	a := &agreementv1.Agreement{Id: seq, Consumer: signer.Bytes(), Device: id.Bytes(), Network: n.Id, Metric: m.Metric, Denom: m.Denom,
		PriceNum: m.PriceNum, PriceDen: m.PriceDen, MaxUnits: m.MaxUnits, StartEpoch: start, EndEpoch: m.EndEpoch,
		Escrow: escrow, NextEpoch: start, Status: agreementv1.Status_STATUS_OPEN, EpochSeconds: n.Params.EpochSeconds}
	k.set(ctx.KV, a)
	ctx.KV.Set(openKey(n.Id, seq), []byte{})
	ctx.KV.Set(ConsumerIndexKey(signer, seq), []byte{})
	ctx.KV.Set(DeviceIndexKey(id, seq), []byte{})
	ctx.Emit(&agreementv1.EventAgreementOpened{Id: seq, Consumer: signer.String(), Device: crypto.DeviceString(id), Escrow: escrow, Denom: m.Denom})
	return seq, nil
}

func (k Keeper) open(ctx state.Context, id uint64) (*agreementv1.Agreement, error) {
	a := k.Get(ctx.KV, id)
	if a == nil {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if a.Status != agreementv1.Status_STATUS_OPEN {
		return nil, fmt.Errorf("%w: %d (%s)", ErrClosed, id, a.CloseReason)
	}
	return a, nil
}

// Cancel ends an agreement at the consumer's request after the notice
// period: the current epoch and the next are still paid (if within its
// term); before its start it ends at once. If the network's epochs got
// longer since the agreement was opened, it ends at once too, paying for
// what the device proved so far.
func (k Keeper) Cancel(ctx state.Context, signer crypto.Address, m *agreementv1.MsgCancelAgreement) error {
	a, err := k.open(ctx, m.Id)
	if err != nil {
		return err
	}
	if !bytes.Equal(a.Consumer, signer[:]) {
		return fmt.Errorf("%w: only the consumer cancels", errs.ErrUnauthorized)
	}
	n := k.Network.Network(ctx.KV, a.Network)
	if n == nil || n.Frozen {
		// No block step settles a frozen network's agreements: the
		// consumer gets back at once what was not paid.
		return k.close(ctx, a, "cancelled while the network is frozen")
	}
	now := network.EpochAt(n, ctx.Time.Unix())
	if now < a.StartEpoch {
		return k.close(ctx, a, "cancelled before start")
	}
	if a.EpochSeconds > 0 && n.Params.EpochSeconds > a.EpochSeconds {
		// Epochs got longer than when the consumer agreed: waiting for
		// them would lock the escrow longer than agreed. The provider is
		// paid now for what its reports proved so far, the rest refunded.
		a.EndEpoch = min(a.EndEpoch, now)
		a.CloseReason = "cancelled by the consumer after the network lengthened its epochs"
		return k.settle(ctx, a, now+1, func(dev crypto.DeviceID, e uint64) *reportv1.WorkRecord {
			return k.Report.Work(ctx.KV, a.Network, e, dev)
		})
	}
	if last := now + NoticeEpochs; last < a.EndEpoch {
		a.EndEpoch = last
		a.CloseReason = "cancelled by the consumer"
		k.set(ctx.KV, a)
	}
	return nil
}

// Decline lets the provider device's owner refuse an agreement: it ends
// now; epochs already settled stay paid, the rest is refunded.
func (k Keeper) Decline(ctx state.Context, signer crypto.Address, m *agreementv1.MsgDeclineAgreement) error {
	a, err := k.open(ctx, m.Id)
	if err != nil {
		return err
	}
	id, _ := crypto.AddressFromBytes(a.Device)
	d := k.Device.Get(ctx.KV, id)
	if d == nil || !bytes.Equal(d.Owner, signer[:]) {
		return fmt.Errorf("%w: only the provider device's owner declines", errs.ErrUnauthorized)
	}
	return k.close(ctx, a, "declined by the provider")
}

// close refunds what is left and closes the agreement.
func (k Keeper) close(ctx state.Context, a *agreementv1.Agreement, reason string) error {
	rest := a.Escrow - a.Paid
	if rest > 0 {
		consumer, _ := crypto.AddressFromBytes(a.Consumer)
		if err := k.Bank.Send(ctx, Escrow, consumer, bank.Coins(a.Denom, rest), "agreement_refund"); err != nil {
			return err
		}
	}
	a.Refunded, a.Status, a.CloseReason = rest, agreementv1.Status_STATUS_CLOSED, reason
	k.set(ctx.KV, a)
	ctx.KV.Delete(openKey(a.Network, a.Id))
	ctx.Emit(&agreementv1.EventAgreementClosed{Id: a.Id, Reason: reason, Refunded: rest})
	return nil
}

// DefaultBlockBudget bounds how many open agreements one block settles; a pass
// over a network's agreements that does not fit continues in the next
// blocks.
const DefaultBlockBudget = 10_000

// EpochEnded implements network.EpochHook: a pass over the network's
// open agreements starts, paying their ended epochs (see BeginNetwork).
func (k Keeper) EpochEnded(ctx state.Context, n *networkv1.Network, _, _ uint64) error {
	ctx.KV.Set(cursorKey(n.Id), []byte{})
	return nil
}

// BeginNetwork runs a network's pass over its open agreements, if one is
// running (an epoch ended): it settles their ended epochs, at most
// *budget agreements (shared by every network of the block; a pass that
// does not fit continues in the next blocks). It runs before the block's
// transactions, so an ended epoch's work is final.
func (k Keeper) BeginNetwork(ctx state.Context, net string, budget *int) error {
	ck := cursorKey(net)
	cursor := ctx.KV.Get(ck)
	if cursor == nil {
		return nil // no pass running
	}
	n := k.Network.Current(ctx, net)
	if n == nil {
		return nil
	}
	now := network.EpochAt(n, ctx.Time.Unix())
	prefix := openPrefix(net)
	start := prefix
	if len(cursor) == 8 {
		start = openKey(net, binary.BigEndian.Uint64(cursor)+1)
	}
	var ids []uint64
	more := false // agreements left for the next blocks
	for key := range store.Range(ctx.KV, start, store.PrefixEnd(prefix)) {
		if len(ids) >= *budget {
			more = true
			break
		}
		id, _ := keys.LastU64(key)
		ids = append(ids, id)
	}
	// Many agreements may share a device: read each device's epoch work once.
	type devEpoch struct {
		dev crypto.DeviceID
		e   uint64
	}
	memo := map[devEpoch]*reportv1.WorkRecord{}
	work := func(dev crypto.DeviceID, e uint64) *reportv1.WorkRecord {
		key := devEpoch{dev, e}
		if w, ok := memo[key]; ok {
			return w
		}
		w := k.Report.Work(ctx.KV, net, e, dev)
		memo[key] = w
		return w
	}
	for _, id := range ids {
		a := k.Get(ctx.KV, id)
		if a == nil {
			return fmt.Errorf("agreement %d is open but not stored", id)
		}
		if err := k.settle(ctx, a, now, work); err != nil {
			return fmt.Errorf("agreement %d: %w", id, err)
		}
	}
	*budget -= len(ids)
	if more && len(ids) > 0 {
		state.SetUint64(ctx.KV, ck, ids[len(ids)-1])
	} else if !more {
		ctx.KV.Delete(ck)
	}
	return nil
}

// settle pays an open agreement for its ended epochs (those before now)
// and closes it once its term or cap is reached.
func (k Keeper) settle(ctx state.Context, a *agreementv1.Agreement, now uint64, work func(crypto.DeviceID, uint64) *reportv1.WorkRecord) error {
	if a.NextEpoch >= now && a.NextEpoch <= a.EndEpoch && a.UnitsPaid < a.MaxUnits {
		return nil // nothing ended since its last settlement
	}
	id, _ := crypto.AddressFromBytes(a.Device)
	for a.NextEpoch < now && a.NextEpoch <= a.EndEpoch && a.UnitsPaid < a.MaxUnits {
		e := a.NextEpoch
		a.NextEpoch++
		var units uint64
		for _, t := range work(id, e).Totals {
			if t.Id == a.Metric {
				units = t.Value
			}
		}
		pay := min(units, a.MaxUnits-a.UnitsPaid)
		// Pay for the units proved so far, rounded down, minus what was
		// already paid: never more than the escrow (ceil of the cap).
		total, ok := fixed.MulDiv(a.UnitsPaid+pay, a.PriceNum, a.PriceDen)
		if !ok {
			return fmt.Errorf("payment overflows")
		}
		amount := total - a.Paid
		a.UnitsPaid += pay
		if amount > 0 {
			d := k.Device.Get(ctx.KV, id)
			owner, _ := crypto.AddressFromBytes(d.Owner)
			if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(a.Denom, amount), "agreement_payment"); err != nil {
				return err
			}
			a.Paid += amount
			ctx.Emit(&agreementv1.EventAgreementSettled{Id: a.Id, Epoch: e, Units: units, UnitsPaid: pay, Amount: amount, Provider: owner.String()})
		}
	}
	switch {
	case a.UnitsPaid >= a.MaxUnits:
		return k.close(ctx, a, "cap reached")
	case a.NextEpoch > a.EndEpoch:
		reason := "term ended"
		if a.CloseReason != "" {
			reason = a.CloseReason
		}
		return k.close(ctx, a, reason)
	}
	k.set(ctx.KV, a)
	return nil
}

// CheckInvariant verifies that the escrow holds exactly what open
// agreements have left, per denom.
func (k Keeper) CheckInvariant(r store.Reader) error {
	left := map[string]uint64{}
	for _, a := range state.Records[agreementv1.Agreement](r, AgreementPrefix) {
		if a.Status == agreementv1.Status_STATUS_OPEN {
			left[a.Denom] += a.Escrow - a.Paid
		}
	}
	return k.Bank.CheckEscrow(r, Escrow, left, "agreement", "open agreements")
}

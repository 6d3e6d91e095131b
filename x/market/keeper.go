package market

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// Escrow holds bids' funds.
var Escrow = crypto.ModuleAddress("market_escrow")

// MaxOrdersPerInterval bounds one interval's book (clearing is one
// block's work: ~0.1 s per 100k orders).
const MaxOrdersPerInterval = 200_000

// MaxIntervalsAhead bounds how far ahead an order may be placed.
const MaxIntervalsAhead = 96 * 7

// Keeper-internal state (the public layout is in api/market).
var (
	seqKey      = []byte("market/seq")
	countPrefix = []byte("market/n/") // + net 0x00 interval(8) → uint64 orders
	termsPrefix = []byte("market/t/") // + net → MarketParams the open books were placed under
)

func termsKey(net string) []byte { return keys.New(termsPrefix).Str(net) }

// countKey is where the number of an interval's orders is kept.
func countKey(net string, iv uint64) []byte { return keys.New(countPrefix).Str(net).Sep().U64(iv) }

// Terms returns the market terms a network's open orders were placed
// under, or nil if it has none.
func (Keeper) Terms(r store.Reader, net string) *marketv1.MarketParams {
	return state.Load[marketv1.MarketParams](r, termsKey(net))
}

func unsettledKey(net string, due int64, iv uint64) []byte {
	return keys.New(UnsettledPfx).Str(net).Sep().U64(uint64(max(due, 0))).U64(iv)
}

// settleTime is when a cleared interval is settled under its terms: its
// end plus the settle delay.
func settleTime(t *marketv1.MarketParams, iv uint64) int64 {
	end, ok := fixed.Mul(iv+1, t.IntervalSeconds)
	if !ok || end > 1<<62 {
		return 1 << 62
	}
	return int64(end + t.SettleDelaySeconds)
}

// netKey is prefix's part of a network's keys.
func netKey(prefix []byte, net string) []byte { return keys.New(prefix).Str(net).Sep() }

// Keeper runs the market.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
}

// Order returns an order, or nil.
func (Keeper) Order(r store.Reader, id uint64) *marketv1.Order {
	return state.Load[marketv1.Order](r, OrderKey(id))
}

// Clearing returns an interval's clearing, or nil.
func (Keeper) Clearing(r store.Reader, net string, interval uint64) *marketv1.Clearing {
	return state.Load[marketv1.Clearing](r, ClearingKey(net, interval))
}

// Place puts an order in an open interval's book, bound to the signer's
// meter; a bid escrows quantity × price.
func (k Keeper) Place(ctx state.Context, signer crypto.Address, m *marketv1.MsgPlaceOrder) error {
	d, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		return fmt.Errorf("%w: meter %s is %s, not active", ErrInvalidOrder, crypto.DeviceString(id), d.Status)
	}
	n, err := k.Network.Active(ctx, d.Network)
	if err != nil {
		return err
	}
	mp := n.Params.Market
	if mp == nil {
		return fmt.Errorf("%w: %s", ErrNoMarket, n.Id)
	}
	// Every open order of a network is placed under the same terms: the
	// block step refunds open orders when the terms change, before any
	// tx of the block runs.
	if t := k.Terms(ctx.KV, n.Id); t == nil {
		ctx.KV.Set(termsKey(n.Id), state.Marshal(mp))
	} else if !proto.Equal(t, mp) {
		return fmt.Errorf("%w: the market's terms are changing; place the order in the next block", ErrInvalidOrder)
	}
	if m.Side != marketv1.Side_SIDE_BID && m.Side != marketv1.Side_SIDE_ASK {
		return fmt.Errorf("%w: side must be bid or ask", ErrInvalidOrder)
	}
	if m.Price == 0 || m.Quantity == 0 {
		return fmt.Errorf("%w: price and quantity must be > 0", ErrInvalidOrder)
	}
	cur := IntervalAt(mp, ctx.Time.Unix())
	iv := m.Interval
	if iv == 0 {
		iv = cur
	}
	if iv < cur {
		return fmt.Errorf("%w: interval %d has closed (now %d)", ErrClosed, iv, cur)
	}
	if iv > cur+MaxIntervalsAhead {
		return fmt.Errorf("%w: interval %d is more than %d intervals ahead", ErrInvalidOrder, iv, MaxIntervalsAhead)
	}
	ck := countKey(n.Id, iv)
	count, _ := state.Uint64(ctx.KV, ck)
	if count >= MaxOrdersPerInterval {
		return fmt.Errorf("%w: interval %d's book is full", ErrInvalidOrder, iv)
	}
	var escrow uint64
	if m.Side == marketv1.Side_SIDE_BID {
		e, ok := fixed.Mul(m.Quantity, m.Price)
		if !ok {
			return fmt.Errorf("%w: quantity × price overflows", ErrInvalidOrder)
		}
		if !k.Bank.KnownDenom(ctx.KV, mp.Denom) {
			return fmt.Errorf("%w: market denom %q unknown", ErrInvalidOrder, mp.Denom)
		}
		if err := k.Bank.Send(ctx, signer, Escrow, bank.Coins(mp.Denom, e), "bid_escrow"); err != nil {
			return err
		}
		escrow = e
	}
	seq := state.NextSeq(ctx.KV, seqKey)
	state.SetUint64(ctx.KV, ck, count+1)
	o := &marketv1.Order{Id: seq, Network: n.Id, Owner: signer.Bytes(), Device: id.Bytes(), Side: m.Side, Interval: iv,
		Price: m.Price, Quantity: m.Quantity, Escrow: escrow, Denom: mp.Denom, Status: marketv1.OrderStatus_ORDER_STATUS_OPEN}
	ctx.KV.Set(OrderKey(seq), state.Marshal(o))
	ctx.KV.Set(BookKey(n.Id, iv, seq), []byte{})
	ctx.KV.Set(OwnerIndexKey(signer, seq), []byte{})
	if d.MarketUntil < iv {
		d.MarketUntil = iv
		k.Device.Set(ctx.KV, d)
	}
	ctx.Emit(&marketv1.EventOrderPlaced{Id: seq, Network: n.Id, Side: m.Side, Interval: iv, Price: m.Price, Quantity: m.Quantity})
	return nil
}

// Cancel withdraws an open order (not yet auctioned) at its owner's
// request, refunding a bid's escrow in the denom it was placed in. It
// works whatever state the network is in, frozen included.
func (k Keeper) Cancel(ctx state.Context, signer crypto.Address, m *marketv1.MsgCancelOrder) error {
	o := k.Order(ctx.KV, m.Id)
	if o == nil {
		return fmt.Errorf("%w: %d", ErrNotFound, m.Id)
	}
	if !bytes.Equal(o.Owner, signer[:]) {
		return fmt.Errorf("%w: order %d belongs to another account", errs.ErrUnauthorized, m.Id)
	}
	if o.Status == marketv1.OrderStatus_ORDER_STATUS_CLEARED && o.Escrow > 0 {
		// An auctioned bid waits for its settlement, which no block step
		// runs while the network is frozen: then its owner may take back
		// what it still holds (the trade is settled as withdrawn).
		if n := k.Network.Network(ctx.KV, o.Network); n == nil || n.Frozen {
			return k.withdraw(ctx, o)
		}
	}
	if o.Status != marketv1.OrderStatus_ORDER_STATUS_OPEN {
		return fmt.Errorf("%w: order %d is %s", ErrNotOpen, m.Id, o.Status)
	}
	return k.cancel(ctx, o, "cancelled by its owner")
}

// withdraw refunds what an auctioned, unsettled bid still holds.
func (k Keeper) withdraw(ctx state.Context, o *marketv1.Order) error {
	owner, err := crypto.AddressFromBytes(o.Owner)
	if err != nil {
		return err
	}
	refund := o.Escrow
	if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(o.Denom, refund), "bid_refund"); err != nil {
		return err
	}
	reason := "withdrawn by its owner while the network was frozen"
	o.Escrow, o.Status, o.CloseReason = 0, marketv1.OrderStatus_ORDER_STATUS_CANCELLED, reason
	ctx.KV.Set(OrderKey(o.Id), state.Marshal(o))
	ctx.Emit(&marketv1.EventOrderCancelled{Id: o.Id, Network: o.Network, Owner: owner.String(), Refunded: refund, Denom: o.Denom, Reason: reason})
	return nil
}

// cancel takes an open order out of its book and refunds its escrow.
func (k Keeper) cancel(ctx state.Context, o *marketv1.Order, reason string) error {
	refund := o.Escrow
	if refund > 0 {
		owner, err := crypto.AddressFromBytes(o.Owner)
		if err != nil {
			return err
		}
		if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(o.Denom, refund), "bid_refund"); err != nil {
			return err
		}
	}
	ctx.KV.Delete(BookKey(o.Network, o.Interval, o.Id))
	ck := countKey(o.Network, o.Interval)
	if c, _ := state.Uint64(ctx.KV, ck); c > 0 {
		state.SetAmount(ctx.KV, ck, c-1)
	}
	o.Escrow, o.Status, o.CloseReason = 0, marketv1.OrderStatus_ORDER_STATUS_CANCELLED, reason
	ctx.KV.Set(OrderKey(o.Id), state.Marshal(o))
	owner, _ := crypto.AddressFromBytes(o.Owner)
	ctx.Emit(&marketv1.EventOrderCancelled{Id: o.Id, Network: o.Network, Owner: owner.String(), Refunded: refund, Denom: o.Denom, Reason: reason})
	return nil
}

// Meter records an accepted report of a device with market orders: its
// seller and buyer metrics count for the interval containing the end of
// its period (devices in a market report within intervals). It is called
// by the report module for every accepted report; it costs nothing for
// devices that never placed an order.
func (Keeper) Meter(ctx state.Context, dev *devicev1.Device, n *networkv1.Network, r *reportv1.Report) {
	mp := n.Params.Market
	if mp == nil || dev.MarketUntil == 0 || r.PeriodEnd <= 0 {
		return
	}
	iv := IntervalAt(mp, r.PeriodEnd-1) // the period is [start, end)
	if iv > dev.MarketUntil {
		return
	}
	id, err := crypto.AddressFromBytes(dev.Id)
	if err != nil {
		return
	}
	me := &marketv1.Metered{}
	if state.Get(ctx.KV, MeterKey(id, iv), me) && me.IntervalSeconds != mp.IntervalSeconds {
		me = &marketv1.Metered{} // an interval of the grid before a change of length
	}
	me.IntervalSeconds = mp.IntervalSeconds
	for _, v := range r.Metrics {
		if v.Id == mp.SellerMetric {
			me.Delivered = fixed.SatAdd(me.Delivered, v.Value)
		}
		if v.Id == mp.BuyerMetric {
			me.Consumed = fixed.SatAdd(me.Consumed, v.Value)
		}
	}
	ctx.KV.Set(MeterKey(id, iv), state.Marshal(me))
}

// BeginNetwork is a network's market step, run at the start of every
// block: if the market's terms changed (or the market went), every open
// order is refunded in its own denom; then every closed interval is
// auctioned and every auctioned interval whose reports had time to arrive
// is settled under the terms it was auctioned with.
func (k Keeper) BeginNetwork(ctx state.Context, net string) error {
	n := k.Network.Current(ctx, net)
	if n == nil {
		return nil
	}
	mp := n.Params.Market
	if t := k.Terms(ctx.KV, net); t != nil && !proto.Equal(t, mp) {
		reason := "the network changed its market's terms"
		if mp == nil {
			reason = "the network removed its market"
		}
		if err := k.cancelAll(ctx, net, reason); err != nil {
			return err
		}
		ctx.KV.Delete(termsKey(net))
	}
	now := ctx.Time.Unix()
	if mp != nil {
		cur := IntervalAt(mp, now)
		// Clear closed intervals that have orders, in order.
		var ivs []uint64
		for key := range store.Prefix(ctx.KV, netKey(BookPrefix, net)) {
			iv := binary.BigEndian.Uint64(key[len(key)-16 : len(key)-8])
			if iv >= cur {
				break
			}
			if len(ivs) == 0 || ivs[len(ivs)-1] != iv {
				ivs = append(ivs, iv)
			}
		}
		for _, iv := range ivs {
			if err := k.clear(ctx, net, mp, iv); err != nil {
				return err
			}
		}
	}
	// Settle auctioned intervals whose time has come, by settlement time.
	var due []uint64
	for key := range store.Prefix(ctx.KV, netKey(UnsettledPfx, net)) {
		if int64(binary.BigEndian.Uint64(key[len(key)-16:len(key)-8])) > now {
			break
		}
		iv, _ := keys.LastU64(key)
		due = append(due, iv)
	}
	for _, iv := range due {
		if err := k.settle(ctx, n, iv); err != nil {
			return err
		}
	}
	return nil
}

// cancelAll refunds every open order of a network.
func (k Keeper) cancelAll(ctx state.Context, net, reason string) error {
	var ids []uint64
	for key := range store.Prefix(ctx.KV, netKey(BookPrefix, net)) {
		id, _ := IDFromIndexKey(key)
		ids = append(ids, id)
	}
	for _, id := range ids {
		o := k.Order(ctx.KV, id)
		if o == nil {
			return fmt.Errorf("order %d is in a book but not stored", id)
		}
		if err := k.cancel(ctx, o, reason); err != nil {
			return fmt.Errorf("refunding order %d: %w", id, err)
		}
	}
	return nil
}

// clear runs the auction of a closed interval, refunds what bids will not
// need and removes the interval's book.
func (k Keeper) clear(ctx state.Context, net string, mp *marketv1.MarketParams, iv uint64) error {
	var ids []uint64
	prefix := BookPrefixOf(net, iv)
	for key := range store.Prefix(ctx.KV, prefix) {
		id, _ := IDFromIndexKey(key)
		ids = append(ids, id)
	}
	orders := make(map[uint64]*marketv1.Order, len(ids))
	var bids, asks []Order
	for _, id := range ids {
		o := k.Order(ctx.KV, id)
		orders[id] = o
		ao := Order{ID: id, Price: o.Price, Quantity: o.Quantity}
		if o.Side == marketv1.Side_SIDE_BID {
			bids = append(bids, ao)
		} else {
			asks = append(asks, ao)
		}
		ctx.KV.Delete(BookKey(net, iv, id))
	}
	ctx.KV.Delete(countKey(net, iv))
	res := Clear(bids, asks)
	c := &marketv1.Clearing{Network: net, Interval: iv, Price: res.Price, Volume: res.Volume, Orders: uint64(len(ids)), Terms: mp}
	for _, t := range res.Trades {
		c.Trades = append(c.Trades, &marketv1.Trade{Bid: t.Bid, Ask: t.Ask, Quantity: t.Quantity})
	}
	for _, id := range ids {
		o := orders[id]
		o.Allocated = res.Allocated[id]
		o.Status = marketv1.OrderStatus_ORDER_STATUS_CLEARED
		if o.Side == marketv1.Side_SIDE_BID {
			keep := o.Allocated * res.Price // ≤ quantity × bid price = escrow
			if refund := o.Escrow - keep; refund > 0 {
				owner, _ := crypto.AddressFromBytes(o.Owner)
				if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(o.Denom, refund), "bid_refund"); err != nil {
					return err
				}
			}
			o.Escrow = keep
		}
		ctx.KV.Set(OrderKey(id), state.Marshal(o))
	}
	ctx.KV.Set(ClearingKey(net, iv), state.Marshal(c))
	if len(c.Trades) > 0 {
		ctx.KV.Set(unsettledKey(net, settleTime(mp, iv), iv), []byte{})
	} else {
		c.Settled = true
		ctx.KV.Set(ClearingKey(net, iv), state.Marshal(c))
	}
	ctx.Emit(&marketv1.EventIntervalCleared{Network: net, Interval: iv, Price: res.Price, Volume: res.Volume, Trades: uint32(len(c.Trades)), IntervalSeconds: mp.IntervalSeconds, StartTime: int64(iv * mp.IntervalSeconds)})
	return nil
}

// settle pays each trade of a cleared interval for min(allocated,
// delivered by the seller, consumed by the buyer), in trade order, from
// the meters' accepted reports; shortfalls go back to the buyer and the
// side that fell short loses reputation. Once only: the interval leaves
// the unsettled index.
func (k Keeper) settle(ctx state.Context, n *networkv1.Network, iv uint64) error {
	c := k.Clearing(ctx.KV, n.Id, iv)
	if c == nil || c.Terms == nil {
		return fmt.Errorf("interval %d is due for settlement but has no clearing with terms", iv)
	}
	mp := c.Terms
	delivered := map[string]uint64{}
	consumed := map[string]uint64{}
	metered := func(dev []byte) *marketv1.Metered {
		id, _ := crypto.AddressFromBytes(dev)
		me := &marketv1.Metered{}
		if state.Get(ctx.KV, MeterKey(id, iv), me) && me.IntervalSeconds != mp.IntervalSeconds {
			return &marketv1.Metered{} // metered on another interval grid
		}
		return me
	}
	orders := map[uint64]*marketv1.Order{}
	order := func(id uint64) *marketv1.Order {
		if o, ok := orders[id]; ok {
			return o
		}
		o := k.Order(ctx.KV, id)
		orders[id] = o
		return o
	}
	short := map[string]bool{} // device → fell short
	for _, t := range c.Trades {
		bid, ask := order(t.Bid), order(t.Ask)
		if bid.Status == marketv1.OrderStatus_ORDER_STATUS_CANCELLED {
			// Withdrawn while the network was frozen: nothing left to pay.
			ctx.Emit(&marketv1.EventTradeSettled{Network: n.Id, Interval: iv, Bid: t.Bid, Ask: t.Ask, Quantity: t.Quantity, ShortSide: "withdrawn"})
			continue
		}
		if _, ok := delivered[string(ask.Device)]; !ok {
			delivered[string(ask.Device)] = metered(ask.Device).Delivered
		}
		if _, ok := consumed[string(bid.Device)]; !ok {
			consumed[string(bid.Device)] = metered(bid.Device).Consumed
		}
		dAvail, cAvail := delivered[string(ask.Device)], consumed[string(bid.Device)]
		q := min(t.Quantity, dAvail, cAvail)
		delivered[string(ask.Device)] -= q
		consumed[string(bid.Device)] -= q
		t.Delivered = q
		pay := q * c.Price // ≤ allocated × price = what the bid kept
		shortSide := ""
		if q < t.Quantity {
			// The side whose meter proved less is the one that fell short.
			if dAvail <= cAvail {
				shortSide = "seller"
				short[string(ask.Device)] = true
			} else {
				shortSide = "buyer"
				short[string(bid.Device)] = true
			}
		}
		seller, _ := crypto.AddressFromBytes(ask.Owner)
		if pay > 0 {
			if err := k.Bank.Send(ctx, Escrow, seller, bank.Coins(bid.Denom, pay), "energy_payment"); err != nil {
				return err
			}
		}
		refund := (t.Quantity - q) * c.Price
		if refund > 0 {
			buyer, _ := crypto.AddressFromBytes(bid.Owner)
			if err := k.Bank.Send(ctx, Escrow, buyer, bank.Coins(bid.Denom, refund), "energy_shortfall_refund"); err != nil {
				return err
			}
		}
		bid.Escrow -= pay + refund
		bid.Delivered += q
		ask.Delivered += q
		ctx.Emit(&marketv1.EventTradeSettled{Network: n.Id, Interval: iv, Bid: t.Bid, Ask: t.Ask, Quantity: t.Quantity, Delivered: q, Paid: pay, ShortSide: shortSide})
	}
	for id, o := range orders {
		ctx.KV.Set(OrderKey(id), state.Marshal(o))
	}
	// Reputation of those who fell short, in a fixed order.
	var devs []string
	for d := range short {
		devs = append(devs, d)
	}
	sortStrings(devs)
	for _, d := range devs {
		id, _ := crypto.AddressFromBytes([]byte(d))
		if dev := k.Device.Get(ctx.KV, id); dev != nil {
			device.Penalize(dev, network.RewardsOf(n.Params), mp.ShortfallPenalty)
			k.Device.Set(ctx.KV, dev)
		}
	}
	c.Settled = true
	ctx.KV.Set(ClearingKey(n.Id, iv), state.Marshal(c))
	ctx.KV.Delete(unsettledKey(n.Id, settleTime(mp, iv), iv))
	return nil
}

// CheckInvariant verifies that the escrow holds exactly what bids keep.
func (k Keeper) CheckInvariant(r store.Reader) error {
	held := map[string]uint64{}
	for _, o := range state.Records[marketv1.Order](r, OrderPrefix) {
		if o.Escrow > 0 {
			held[o.Denom] += o.Escrow
		}
	}
	return k.Bank.CheckEscrow(r, Escrow, held, "market", "orders")
}

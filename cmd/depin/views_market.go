package main

import (
	"fmt"
	"io"

	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
)

// Views of service agreements and the energy market (the output model:
// render.go).

// agreementView is a pay-per-verified-unit service agreement.
type agreementView struct {
	ID           uint64 `json:"id,string"`
	Status       string `json:"status"` // open, closed
	Consumer     string `json:"consumer"`
	Device       string `json:"device"`
	Network      string `json:"network"`
	Metric       uint32 `json:"metric"`
	Price        string `json:"price"` // "NUM<denom>/DEN": price_num of denom per price_den units
	Denom        string `json:"denom"`
	PriceNum     uint64 `json:"price_num,string"`
	PriceDen     uint64 `json:"price_den,string"`
	MaxUnits     uint64 `json:"max_units,string"`
	StartEpoch   uint64 `json:"start_epoch,string"`
	EndEpoch     uint64 `json:"end_epoch,string"`
	NextEpoch    uint64 `json:"next_epoch,string"` // the next epoch to settle
	EpochSeconds uint64 `json:"epoch_seconds,string"`
	Escrow       uint64 `json:"escrow,string"`
	UnitsPaid    uint64 `json:"units_paid,string"`
	Paid         uint64 `json:"paid,string"`
	Refunded     uint64 `json:"refunded,string"`
	CloseReason  string `json:"close_reason"`
}

func newAgreementView(a *agreementv1.Agreement) agreementView {
	return agreementView{
		ID: a.Id, Status: enumName(a.Status.String(), "STATUS_"), Consumer: accountString(a.Consumer), Device: deviceString(a.Device),
		Network: a.Network, Metric: a.Metric, Price: fmt.Sprintf("%d%s/%d", a.PriceNum, a.Denom, a.PriceDen), Denom: a.Denom,
		PriceNum: a.PriceNum, PriceDen: a.PriceDen, MaxUnits: a.MaxUnits, StartEpoch: a.StartEpoch, EndEpoch: a.EndEpoch,
		NextEpoch: a.NextEpoch, EpochSeconds: a.EpochSeconds, Escrow: a.Escrow, UnitsPaid: a.UnitsPaid, Paid: a.Paid,
		Refunded: a.Refunded, CloseReason: a.CloseReason,
	}
}

func (v agreementView) writeText(w io.Writer) {
	status := v.Status
	if v.CloseReason != "" {
		status += ": " + v.CloseReason
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "agreement\t%d\n", v.ID)
	fmt.Fprintf(tw, "status\t%s\n", status)
	fmt.Fprintf(tw, "consumer\t%s\n", v.Consumer)
	fmt.Fprintf(tw, "device\t%s (%s, metric %d)\n", v.Device, v.Network, v.Metric)
	fmt.Fprintf(tw, "price\t%d%s per %d units, up to %d units\n", v.PriceNum, v.Denom, v.PriceDen, v.MaxUnits)
	fmt.Fprintf(tw, "term\tepochs %d–%d, next to settle %d\n", v.StartEpoch, v.EndEpoch, v.NextEpoch)
	fmt.Fprintf(tw, "escrow\t%s\n", formatCoin(v.Denom, v.Escrow))
	fmt.Fprintf(tw, "paid\t%s for %d units; refunded %s\n", formatCoin(v.Denom, v.Paid), v.UnitsPaid, formatCoin(v.Denom, v.Refunded))
	tw.Flush()
}

// agreementList is agreements by id.
type agreementList []agreementView

func (l agreementList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No agreements.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tSTATUS\tDEVICE\tPRICE\tPAID")
	for _, v := range l {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Status, v.Device, v.Price, formatCoin(v.Denom, v.Paid))
	}
	tw.Flush()
}

// orderView is an energy-market order.
type orderView struct {
	ID          uint64 `json:"id,string"`
	Network     string `json:"network"`
	Owner       string `json:"owner"`
	Device      string `json:"device"` // the owner's meter
	Side        string `json:"side"`   // bid, ask
	Interval    uint64 `json:"interval,string"`
	Price       uint64 `json:"price,string"` // per unit: a bid's maximum, an ask's minimum
	Quantity    uint64 `json:"quantity,string"`
	Denom       string `json:"denom"`
	Escrow      uint64 `json:"escrow,string"` // a bid's funds still held
	Allocated   uint64 `json:"allocated,string"`
	Delivered   uint64 `json:"delivered,string"`
	Status      string `json:"status"` // open, cleared, cancelled
	CloseReason string `json:"close_reason"`
}

func newOrderView(o *marketv1.Order) orderView {
	return orderView{
		ID: o.Id, Network: o.Network, Owner: accountString(o.Owner), Device: deviceString(o.Device), Side: enumName(o.Side.String(), "SIDE_"),
		Interval: o.Interval, Price: o.Price, Quantity: o.Quantity, Denom: o.Denom, Escrow: o.Escrow, Allocated: o.Allocated,
		Delivered: o.Delivered, Status: enumName(o.Status.String(), "ORDER_STATUS_"), CloseReason: o.CloseReason,
	}
}

func newOrderViews(orders []*marketv1.Order) []orderView {
	out := make([]orderView, 0, len(orders))
	for _, o := range orders {
		out = append(out, newOrderView(o))
	}
	return out
}

// orderBook is an open interval's orders, by id.
type orderBook []orderView

func (l orderBook) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No open orders (a closed interval's result: 'depin query market clearing').")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ORDER\tSIDE\tQUANTITY\tPRICE\tMETER")
	for _, v := range l {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d%s\t%s\n", v.ID, v.Side, v.Quantity, v.Price, v.Denom, v.Device)
	}
	tw.Flush()
}

// orderList is a participant's orders, by id.
type orderList []orderView

func (l orderList) writeText(w io.Writer) {
	if len(l) == 0 {
		fmt.Fprintln(w, "No orders.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ORDER\tSIDE\tINTERVAL\tQUANTITY\tPRICE\tALLOCATED\tDELIVERED\tSTATUS")
	for _, v := range l {
		status := v.Status
		if v.CloseReason != "" {
			status += ": " + v.CloseReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d%s\t%d\t%d\t%s\n", v.ID, v.Side, v.Interval, v.Quantity, v.Price, v.Denom, v.Allocated, v.Delivered, status)
	}
	tw.Flush()
}

// clearingView is an interval's auction result.
type clearingView struct {
	Network  string            `json:"network"`
	Interval uint64            `json:"interval,string"`
	Price    uint64            `json:"price,string"` // the uniform clearing price
	Volume   uint64            `json:"volume,string"`
	Orders   uint64            `json:"orders,string"`
	Settled  bool              `json:"settled"`
	Trades   []tradeView       `json:"trades"`
	Terms    *marketParamsView `json:"terms,omitempty"` // the market terms it was auctioned and is settled under
}

type tradeView struct {
	Bid       uint64 `json:"bid,string"` // order ids
	Ask       uint64 `json:"ask,string"`
	Quantity  uint64 `json:"quantity,string"`
	Delivered uint64 `json:"delivered,string"`
}

func newClearingView(c *marketv1.Clearing) clearingView {
	v := clearingView{Network: c.Network, Interval: c.Interval, Price: c.Price, Volume: c.Volume, Orders: c.Orders, Settled: c.Settled,
		Trades: make([]tradeView, 0, len(c.Trades)), Terms: newMarketParamsView(c.Terms)}
	for _, t := range c.Trades {
		v.Trades = append(v.Trades, tradeView{Bid: t.Bid, Ask: t.Ask, Quantity: t.Quantity, Delivered: t.Delivered})
	}
	return v
}

func (v clearingView) writeText(w io.Writer) {
	settled := "not settled yet"
	if v.Settled {
		settled = "settled"
	}
	fmt.Fprintf(w, "%s interval %d: price %d, volume %d, %d orders, %s\n", v.Network, v.Interval, v.Price, v.Volume, v.Orders, settled)
	for _, t := range v.Trades {
		fmt.Fprintf(w, "  bid %d ← ask %d: %d allocated, %d delivered\n", t.Bid, t.Ask, t.Quantity, t.Delivered)
	}
}

// Package market is a peer-to-peer energy market: per interval of block
// time, producers offer energy bound to their meters and consumers bid
// for it with escrowed funds; at the interval's close the chain clears a
// uniform-price double auction, and after it settles each trade from the
// meters' accepted reports.
package market

import (
	"sort"

	"github.com/depinhq/depin/x/fixed"
)

// Order is one side's limit order as the auction sees it.
type Order struct {
	ID       uint64 // earlier orders have smaller ids (time priority)
	Price    uint64 // per unit: the most a bid pays, the least an ask takes
	Quantity uint64
}

// Trade is a matched quantity between a bid and an ask.
type Trade struct {
	Bid, Ask uint64 // order ids
	Quantity uint64
}

// Result is an interval's clearing.
type Result struct {
	Price     uint64 // uniform clearing price; 0 if nothing traded
	Volume    uint64
	Trades    []Trade
	Allocated map[uint64]uint64 // order id → quantity allocated
}

// Clear runs the uniform-price double auction:
//
//   - bids are ranked by price, highest first, asks by price, lowest
//     first; equal prices by order id (earlier first). That ranking is the
//     only tie-break, so the result never depends on input order.
//   - the books are matched greedily from the top while the best remaining
//     bid's price is at least the best remaining ask's: each step trades
//     the smaller remaining quantity of the two (partial fills at the
//     margin);
//   - everyone trades at one price: the midpoint, rounded down, of the last
//     matched bid's and ask's prices. It lies between every matched ask's
//     price and every matched bid's price, so no one trades at a price
//     worse than their limit.
//
// No cross (best bid below best ask) trades nothing.
func Clear(bids, asks []Order) Result {
	b := append([]Order(nil), bids...)
	a := append([]Order(nil), asks...)
	sort.Slice(b, func(i, j int) bool {
		if b[i].Price != b[j].Price {
			return b[i].Price > b[j].Price
		}
		return b[i].ID < b[j].ID
	})
	sort.Slice(a, func(i, j int) bool {
		if a[i].Price != a[j].Price {
			return a[i].Price < a[j].Price
		}
		return a[i].ID < a[j].ID
	})
	res := Result{Allocated: map[uint64]uint64{}}
	var i, j int
	var bidLeft, askLeft uint64
	if len(b) > 0 {
		bidLeft = b[0].Quantity
	}
	if len(a) > 0 {
		askLeft = a[0].Quantity
	}
	var lastBid, lastAsk uint64
	for i < len(b) && j < len(a) && b[i].Price >= a[j].Price {
		q := min(bidLeft, askLeft)
		if q > 0 {
			res.Trades = append(res.Trades, Trade{Bid: b[i].ID, Ask: a[j].ID, Quantity: q})
			res.Allocated[b[i].ID] += q
			res.Allocated[a[j].ID] += q
			res.Volume += q
			lastBid, lastAsk = b[i].Price, a[j].Price
		}
		bidLeft -= q
		askLeft -= q
		if bidLeft == 0 {
			if i++; i < len(b) {
				bidLeft = b[i].Quantity
			}
		}
		if askLeft == 0 {
			if j++; j < len(a) {
				askLeft = a[j].Quantity
			}
		}
	}
	if res.Volume > 0 {
		// (lastBid + lastAsk) / 2 without overflow.
		sum, _ := fixed.U128{Lo: lastBid}.Add(fixed.U128{Lo: lastAsk})
		res.Price = sum.Rsh(1).Lo
	}
	return res
}

func sortStrings(s []string) { sort.Strings(s) }

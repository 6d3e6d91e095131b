package market

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestClearGolden: auction cases worked out by hand.
func TestClearGolden(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bids      []Order
		asks      []Order
		price     uint64
		trades    []Trade
		allocated map[uint64]uint64
	}{
		{name: "no orders", allocated: map[uint64]uint64{}},
		{
			name: "no cross: best bid 9 < best ask 10",
			bids: []Order{{1, 9, 100}}, asks: []Order{{2, 10, 100}, {3, 12, 50}},
			allocated: map[uint64]uint64{},
		},
		{
			// Bids 12×100 (id 1), 11×50 (id 2); asks 8×70 (id 3), 10×100 (id 4).
			// 1↔3 70 (bid 1 has 30 left), 1↔4 30, 2↔4 50: asks 4 keeps 20.
			// Last matched: bid 11, ask 10 → price 10 (10.5 rounded down).
			name: "partial fill at the margin",
			bids: []Order{{1, 12, 100}, {2, 11, 50}}, asks: []Order{{3, 8, 70}, {4, 10, 100}},
			price:     10,
			trades:    []Trade{{1, 3, 70}, {1, 4, 30}, {2, 4, 50}},
			allocated: map[uint64]uint64{1: 100, 2: 50, 3: 70, 4: 80},
		},
		{
			// Two bids at 10 for 60 each, one ask at 10 for 100: the earlier
			// bid (id 1) fills first; id 5 gets the remaining 40.
			name: "ties by time priority",
			bids: []Order{{5, 10, 60}, {1, 10, 60}}, asks: []Order{{3, 10, 100}},
			price:     10,
			trades:    []Trade{{1, 3, 60}, {5, 3, 40}},
			allocated: map[uint64]uint64{1: 60, 5: 40, 3: 100},
		},
		{
			// Equal asks: the earlier ask (id 2) sells first.
			name: "ask ties",
			bids: []Order{{9, 20, 50}}, asks: []Order{{4, 5, 40}, {2, 5, 40}},
			price:     12, // (20 + 5) / 2 = 12.5
			trades:    []Trade{{9, 2, 40}, {9, 4, 10}},
			allocated: map[uint64]uint64{9: 50, 2: 40, 4: 10},
		},
		{
			// Bid 15 for 10 meets ask 5 for 10; the next bid 4 < ask 6 stops.
			name: "stops at the first non-crossing pair",
			bids: []Order{{1, 15, 10}, {2, 4, 10}}, asks: []Order{{3, 5, 10}, {4, 6, 10}},
			price:     10,
			trades:    []Trade{{1, 3, 10}},
			allocated: map[uint64]uint64{1: 10, 3: 10},
		},
		{
			name: "huge prices do not overflow",
			bids: []Order{{1, ^uint64(0), 1}}, asks: []Order{{2, ^uint64(0) - 1, 1}},
			price:     ^uint64(0) - 1,
			trades:    []Trade{{1, 2, 1}},
			allocated: map[uint64]uint64{1: 1, 2: 1},
		},
	} {
		r := Clear(tc.bids, tc.asks)
		if r.Price != tc.price || !reflect.DeepEqual(r.Trades, tc.trades) || !reflect.DeepEqual(r.Allocated, tc.allocated) {
			t.Errorf("%s: price %d trades %v allocated %v; want %d %v %v", tc.name, r.Price, r.Trades, r.Allocated, tc.price, tc.trades, tc.allocated)
		}
	}
}

// TestClearProperties on random books: nobody trades beyond their
// quantity or limit, volumes add up, and the input order does not matter.
func TestClearProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 500; round++ {
		var bids, asks []Order
		id := uint64(1)
		for k := rng.IntN(30); k > 0; k-- {
			bids = append(bids, Order{id, 1 + rng.Uint64N(50), 1 + rng.Uint64N(100)})
			id++
		}
		for k := rng.IntN(30); k > 0; k-- {
			asks = append(asks, Order{id, 1 + rng.Uint64N(50), 1 + rng.Uint64N(100)})
			id++
		}
		r := Clear(bids, asks)
		limit := map[uint64]Order{}
		for _, o := range append(append([]Order{}, bids...), asks...) {
			limit[o.ID] = o
		}
		var vol uint64
		for _, tr := range r.Trades {
			vol += tr.Quantity
			if r.Price > limit[tr.Bid].Price || r.Price < limit[tr.Ask].Price {
				t.Fatalf("round %d: price %d outside limits of %v", round, r.Price, tr)
			}
		}
		for oid, q := range r.Allocated {
			if q > limit[oid].Quantity {
				t.Fatalf("round %d: order %d allocated %d of %d", round, oid, q, limit[oid].Quantity)
			}
		}
		if vol != r.Volume {
			t.Fatalf("round %d: volume %d, trades sum %d", round, r.Volume, vol)
		}
		rng.Shuffle(len(bids), func(i, j int) { bids[i], bids[j] = bids[j], bids[i] })
		rng.Shuffle(len(asks), func(i, j int) { asks[i], asks[j] = asks[j], asks[i] })
		if again := Clear(bids, asks); fmt.Sprint(again) != fmt.Sprint(r) {
			t.Fatalf("round %d: input order changed the result", round)
		}
	}
}

// BenchmarkClear: clearing 10k and 100k orders (half bids, half asks).
//
//	go test ./x/market -run '^$' -bench Clear -benchmem
func BenchmarkClear(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		rng := rand.New(rand.NewPCG(5, 6))
		var bids, asks []Order
		for i := 0; i < n; i++ {
			o := Order{uint64(i + 1), 50 + rng.Uint64N(100), 1 + rng.Uint64N(10_000)}
			if i%2 == 0 {
				bids = append(bids, o)
			} else {
				asks = append(asks, o)
			}
		}
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Clear(bids, asks)
			}
		})
	}
}

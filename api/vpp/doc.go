// Package vpp is the public layout of the energy-flexibility module
// (x/vpp): virtual power plants of batteries, dispatched on chain and paid
// for the energy the chain measures as delivered. Its keys, params rules
// and defaults, the measurement and verification (M&V) arithmetic, the
// escrow and credit cost of a dispatch, limits and error kinds live here,
// so the chain, clients, the gateway and devices compute them one way.
//
// # Measurement and verification
//
// Time is cut into metering intervals of the network's interval_seconds
// (interval i = [i·s, (i+1)·s) in unix seconds). An accepted report of a
// pool member counts in the interval containing the end of its period;
// its net energy is discharged − charged (Wh). For each member the chain
// keeps the net energy of the last N (baseline_intervals) intervals it
// reported in that were not in a dispatch or challenge window.
//
// A dispatch asks for power P (W) in one direction over a window of whole
// intervals. When a member's first report in the window arrives, its
// baseline is fixed: the mean of those N intervals (rounded toward zero),
// in the dispatch's direction (net discharge for a discharge, net charge
// for a charge), and never below 0 — energy a battery would not have
// moved anyway is what counts, and charging before an event does not
// lower the bar. Over the window:
//
//	allocated = floor(power_w × duration / 3600)                 Wh
//	metered   = Σ net energy in the window, in the direction      Wh
//	baseline  = max(0, mean of the N intervals) × window intervals
//	delivered = min(allocated, max(0, metered − baseline))
//	paid      = floor(delivered × price_per_kwh / 1000)
//
// A member responded if delivered × 10000 ≥ allocated × min_response_bps;
// one that did not is penalised: penalty_bps of its stake to the network's
// treasury (never to the operator, who could otherwise profit from
// dispatches members cannot meet), β of its reputation, and after
// max_misses misses in a row it is dropped from the pool. Members that
// did not report during the window delivered nothing. This is the
// "meter before / meter after" family of baselines (NAESB WEQ M&V) made
// per device, in integer arithmetic.
//
// # State layout
//
//	vpp/p/<pool u64>                                     -> Pool
//	vpp/o/<network>\x00<pool u64>                        -> {} pools by network
//	vpp/j/<pool u64><device 20B>                         -> Member
//	vpp/d/<dispatch u64>                                 -> Dispatch
//	vpp/x/<pool u64><dispatch u64>                       -> {} dispatches by pool
//	vpp/q/<network>\x00<dispatch u64>                    -> {} dispatches being weighed or allocated
//	vpp/w/<network>\x00<time u64><dispatch u64>          -> {} dispatches to settle at time
//	vpp/l/<network>\x00<time u64><pool u64><device 20B>  -> {} members leaving at time
//	vpp/t/<network>\x00<time u64><pool u64>              -> {} pools to challenge at time
//	vpp/c/<network>\x00<account 20B>                     -> credit balance (8 bytes)
//	vpp/b/<network>                                      -> CreditBooks
//	vpp/seq/p, vpp/seq/d                                 -> last pool, dispatch id
//
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types and the standard library.
package vpp

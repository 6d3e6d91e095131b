// Package report owns proof of physical work: signed device reports, the
// rules that accept or reject each one (with a reason), the per-device
// per-epoch work accumulators, and fraud evidence (double reports and
// physically impossible reports).
//
// State layout:
//
//	report/w/<network>\x00<epoch u64 BE><device 20B> -> WorkRecord
//	report/e/<evidence id 32B>                        -> Evidence
//	report/ed/<device 20B><evidence id 32B>           -> (empty) evidence by device
package report

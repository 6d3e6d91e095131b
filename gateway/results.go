package gateway

import (
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// resultPublisher hands a device's outcome to an MQTT broker for its
// results topic. It must not block: it reports false if the outcome was
// dropped instead (a full queue, a broker that is going away).
type resultPublisher interface {
	publishResult(topic string, payload []byte) bool
}

// results settles batches: it records each report's outcome for GET
// /v1/reports/{id} and publishes it on the device's results topic (best
// effort: a device that was not subscribed, or missed it, asks over HTTP
// or reads the chain).
type results struct {
	store   *outcomeStore
	pub     resultPublisher // nil without MQTT
	metrics *metrics
	log     *slog.Logger
}

// settle records and publishes outs (outs[i] is items[i]'s outcome).
func (r *results) settle(items []*item, outs []Outcome) {
	r.store.settle(items, outs)
	if r.pub == nil {
		return
	}
	var sent, dropped int
	for i := range outs {
		payload, err := json.Marshal(&outs[i])
		if err != nil {
			panic(err) // strings and integers always marshal
		}
		if r.pub.publishResult(resultsTopic(outs[i].Device), payload) {
			sent++
		} else {
			dropped++
		}
	}
	r.metrics.results(sent, dropped)
	if dropped > 0 {
		r.log.Warn("results not published to MQTT (the queue to the broker is full); devices can still ask GET /v1/reports/{id}", "dropped", dropped)
	}
}

// chainVerdict is the chain's verdict on one report of a batch.
type chainVerdict struct {
	known  bool // false: the events did not say
	reason reportv1.RejectReason
	detail string
}

// verdicts reads the chain's verdict on each of the n reports of a
// committed batch from the transaction's events, typed through
// api/event: EventReportBatch.outcomes has one reject reason per report
// (0 = accepted), EventReportRejected the detail of each rejection. An
// event that does not decode (a chain newer than this gateway) is logged
// and its reports' verdicts stay unknown, never read as zeros.
func (s *submitter) verdicts(events []event.Event, n int) []chainVerdict {
	out := make([]chainVerdict, n)
	var outcomes []byte
	seen := false
	details := map[uint32]string{}
	for _, ev := range events {
		if ev.Type != eventBatch && ev.Type != eventRejected {
			continue
		}
		m, err := event.FromABCI(ev)
		if err != nil {
			s.log.Error("cannot read the chain's verdict on reports; their outcomes stay unknown", "err", err)
			continue
		}
		switch e := m.(type) {
		case *reportv1.EventReportBatch:
			if !seen {
				outcomes, seen = e.Outcomes, true
			}
		case *reportv1.EventReportRejected:
			details[e.Index] = e.Detail
		}
	}
	if seen && len(outcomes) != n {
		s.log.Error("the chain's verdicts do not match the batch; their outcomes stay unknown", "reports", n, "verdicts", len(outcomes))
		return out
	}
	for i, r := range outcomes {
		out[i] = chainVerdict{known: true, reason: reportv1.RejectReason(r), detail: details[uint32(i)]}
	}
	return out
}

// tally counts a batch's verdicts: accepted, and rejected by reason
// (unknown verdicts are in neither).
func tally(vs []chainVerdict) (accepted uint64, rejected map[string]uint64) {
	rejected = map[string]uint64{}
	for _, v := range vs {
		switch {
		case !v.known:
		case v.reason == reportv1.RejectReason_REJECT_REASON_UNSPECIFIED:
			accepted++
		default:
			rejected[reasonName(v.reason)]++
		}
	}
	return accepted, rejected
}

// committedOutcomes are the outcomes of a batch committed in res.
func committedOutcomes(items []*item, vs []chainVerdict, res *client.TxResult) []Outcome {
	outs := make([]Outcome, len(items))
	for i, it := range items {
		o := pendingOutcome(it)
		o.Height, o.TxHash = res.Height, strings.ToUpper(res.Hash)
		switch v := vs[i]; {
		case !v.known:
			o.Status = StatusUnknown
		case v.reason == reportv1.RejectReason_REJECT_REASON_UNSPECIFIED:
			o.Status = StatusAccepted
		default:
			o.Status, o.Reason, o.Detail = StatusRejected, reasonName(v.reason), v.detail
		}
		outs[i] = o
	}
	return outs
}

// droppedOutcomes are the outcomes of a batch the gateway gave up on.
func droppedOutcomes(items []*item, reason, detail string, height int64, txHash string) []Outcome {
	outs := make([]Outcome, len(items))
	for i, it := range items {
		o := pendingOutcome(it)
		o.Status, o.Reason, o.Detail, o.Height, o.TxHash = StatusDropped, reason, clip(detail, 512), height, strings.ToUpper(txHash)
		outs[i] = o
	}
	return outs
}

package gateway

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Batch results, labelling depin_gateway_batches_total.
const (
	BatchCommitted = "committed" // in a block, succeeded
	BatchFailed    = "failed"    // in a block, failed as a whole (its reports are dropped)
	BatchRejected  = "rejected"  // refused for good by CheckTx (its reports are dropped)
)

// Stats are the gateway's counters since it started, for the CLI's
// summary and for tests.
type Stats struct {
	ReceivedMQTT uint64            // payloads received over MQTT
	ReceivedHTTP uint64            // payloads received over HTTP
	Invalid      map[string]uint64 // refused as invalid, by reason (decode, topic, signature, duplicate, too_large)
	Refused      map[string]uint64 // refused for the gateway's state, by reason (queue_full, stopping, not_ready)
	Queued       int               // waiting for a batch now
	InFlight     int               // in the batch being submitted now
	Submitted    uint64            // in transactions the node accepted into its mempool
	Committed    uint64            // in committed transactions that succeeded
	Dropped      uint64            // in batches the chain refused for good (see the log)
	Batches      map[string]uint64 // by result: committed, failed, rejected
	Retries      uint64            // submissions retried (node unreachable, mempool full, …)

	// Per-report outcomes the chain reported for committed batches.
	ChainAccepted uint64
	ChainRejected map[string]uint64 // by the chain's reject reason

	// Outcomes handed to the MQTT broker for the devices' results topics,
	// and dropped because the queue to an external broker was full.
	ResultsPublished uint64
	ResultsDropped   uint64

	// Dispatches (virtual power plants): allocations read from the
	// chain's blocks and published on their devices' dispatch topics;
	// read after their window ended (kept for GET /v1/dispatch/{device},
	// not published); dropped because the queue to an external broker was
	// full. DispatchHeight is the last block read.
	DispatchesForwarded uint64
	DispatchesStale     uint64
	DispatchesDropped   uint64
	DispatchHeight      int64

	// Commit latency (report received → its transaction seen committed).
	LatencyMean time.Duration
	LatencyMax  time.Duration
	LastHeight  int64 // height of the last committed batch
}

// metrics are the gateway's Prometheus metrics (on a registry of its own,
// so that several gateways can live in one process) and the same numbers
// as plain counters for Stats.
type metrics struct {
	reg *prometheus.Registry

	receivedVec  *prometheus.CounterVec
	invalidVec   *prometheus.CounterVec
	refusedVec   *prometheus.CounterVec
	submittedC   prometheus.Counter
	committedC   prometheus.Counter
	droppedVec   *prometheus.CounterVec
	batchesVec   *prometheus.CounterVec
	retriesVec   *prometheus.CounterVec
	chainRejVec  *prometheus.CounterVec
	chainAccC    prometheus.Counter
	resultsVec   *prometheus.CounterVec
	dispatchesC  prometheus.Counter
	dispStaleC   prometheus.Counter
	dispDropC    prometheus.Counter
	latencyH     prometheus.Histogram
	batchSizeH   prometheus.Histogram
	recvMQTT     atomic.Uint64
	recvHTTP     atomic.Uint64
	submittedN   atomic.Uint64
	committedN   atomic.Uint64
	droppedN     atomic.Uint64
	retriesN     atomic.Uint64
	chainAccN    atomic.Uint64
	resultsN     atomic.Uint64
	resultsLost  atomic.Uint64
	dispatchesN  atomic.Uint64
	dispStaleN   atomic.Uint64
	dispDropN    atomic.Uint64
	dispHeight   atomic.Int64
	lastHeight   atomic.Int64
	inFlight     atomic.Int64
	mu           sync.Mutex // guards the maps and latency sums
	invalidN     map[string]uint64
	refusedN     map[string]uint64
	batchesN     map[string]uint64
	chainRejN    map[string]uint64
	latencySum   time.Duration
	latencyCount uint64
	latencyMax   time.Duration
}

func newMetrics(queueLen func() int) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		receivedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_reports_received_total",
			Help: "Report payloads received, valid or not, by source (mqtt, http).",
		}, []string{"source"}),
		invalidVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_reports_invalid_total",
			Help: "Reports dropped at the gateway as invalid, by reason (decode, too_large, topic, signature, duplicate).",
		}, []string{"reason"}),
		refusedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_reports_refused_total",
			Help: "Valid-looking reports the gateway could not take, by reason (queue_full, stopping, not_ready).",
		}, []string{"reason"}),
		submittedC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "depin_gateway_reports_submitted_total",
			Help: "Reports in batch transactions the node accepted into its mempool.",
		}),
		committedC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "depin_gateway_reports_committed_total",
			Help: "Reports in batch transactions committed successfully (each report is then accepted or rejected by the chain).",
		}),
		droppedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_reports_dropped_total",
			Help: "Queued reports given up on, by reason (rejected: CheckTx refused the batch for good; failed: the batch failed in a block; shutdown: not drained in time).",
		}, []string{"reason"}),
		batchesVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_batches_total",
			Help: "Batch transactions by result (committed, failed, rejected).",
		}, []string{"result"}),
		retriesVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_submit_retries_total",
			Help: "Batch submissions retried, by cause (unreachable, mempool_full, wrong_sequence, fee, unconfirmed).",
		}, []string{"cause"}),
		chainAccC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "depin_gateway_reports_chain_accepted_total",
			Help: "Reports the chain accepted, from the events of committed batches.",
		}),
		chainRejVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_reports_chain_rejected_total",
			Help: "Reports the chain rejected, by the chain's reason, from the events of committed batches.",
		}, []string{"reason"}),
		resultsVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depin_gateway_results_total",
			Help: "Report outcomes for the devices' MQTT results topics, by result (published: handed to the broker; dropped: the queue to an external broker was full).",
		}, []string{"result"}),
		dispatchesC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "depin_gateway_dispatches_forwarded_total",
			Help: "Dispatch allocations (virtual power plants) read from committed blocks and published on their devices' MQTT dispatch topics (or kept for GET /v1/dispatch/{device} without MQTT).",
		}),
		dispStaleC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "depin_gateway_dispatches_stale_total",
			Help: "Dispatch allocations read after their window had ended (catching up on old blocks): kept for GET /v1/dispatch/{device}, not published.",
		}),
		dispDropC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "depin_gateway_dispatches_dropped_total",
			Help: "Dispatch allocations not published because the queue to an external broker was full (still kept for GET /v1/dispatch/{device}).",
		}),
		latencyH: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "depin_gateway_commit_latency_seconds",
			Help:    "Time from a report's arrival at the gateway to its batch being seen committed.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12), // 50 ms … 102 s
		}),
		batchSizeH: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "depin_gateway_batch_reports",
			Help:    "Reports per committed batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8), // 1 … 16384
		}),
		invalidN:  map[string]uint64{},
		refusedN:  map[string]uint64{},
		batchesN:  map[string]uint64{},
		chainRejN: map[string]uint64{},
	}
	queueGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "depin_gateway_queue_length",
		Help: "Reports waiting for a batch.",
	}, func() float64 { return float64(queueLen()) })
	dispatchHeight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "depin_gateway_dispatch_height",
		Help: "The last block whose events the gateway read for dispatches (0 until the first).",
	}, func() float64 { return float64(m.dispHeight.Load()) })
	m.reg.MustRegister(m.receivedVec, m.invalidVec, m.refusedVec, m.submittedC, m.committedC, m.droppedVec,
		m.batchesVec, m.retriesVec, m.chainAccC, m.chainRejVec, m.resultsVec, m.latencyH, m.batchSizeH, queueGauge,
		m.dispatchesC, m.dispStaleC, m.dispDropC, dispatchHeight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Pre-create the labelled series, so dashboards see zeros rather than
	// gaps before the first event.
	for _, s := range []string{SourceMQTT, SourceHTTP} {
		m.receivedVec.WithLabelValues(s)
	}
	for _, r := range []string{ReasonDecode, ReasonTooLarge, ReasonTopic, ReasonSignature, ReasonDuplicate} {
		m.invalidVec.WithLabelValues(r)
	}
	for _, r := range []string{ReasonQueueFull, ReasonStopping, ReasonNotReady} {
		m.refusedVec.WithLabelValues(r)
	}
	for _, r := range []string{BatchCommitted, BatchFailed, BatchRejected} {
		m.batchesVec.WithLabelValues(r)
	}
	for _, r := range []string{"published", "dropped"} {
		m.resultsVec.WithLabelValues(r)
	}
	return m
}

func (m *metrics) received(source string) {
	m.receivedVec.WithLabelValues(source).Inc()
	if source == SourceHTTP {
		m.recvHTTP.Add(1)
	} else {
		m.recvMQTT.Add(1)
	}
}

// refused counts a report the ingest path did not queue.
func (m *metrics) refused(reason string) {
	m.mu.Lock()
	if invalid(reason) {
		m.invalidN[reason]++
	} else {
		m.refusedN[reason]++
	}
	m.mu.Unlock()
	if invalid(reason) {
		m.invalidVec.WithLabelValues(reason).Inc()
	} else {
		m.refusedVec.WithLabelValues(reason).Inc()
	}
}

func (m *metrics) submitted(n int) {
	m.submittedC.Add(float64(n))
	m.submittedN.Add(uint64(n))
}

func (m *metrics) retry(cause string) {
	m.retriesVec.WithLabelValues(cause).Inc()
	m.retriesN.Add(1)
}

func (m *metrics) batch(result string) {
	m.batchesVec.WithLabelValues(result).Inc()
	m.mu.Lock()
	m.batchesN[result]++
	m.mu.Unlock()
}

func (m *metrics) dropped(reason string, n int) {
	m.droppedVec.WithLabelValues(reason).Add(float64(n))
	m.droppedN.Add(uint64(n))
}

// committed records a committed batch: its size, height and the latency
// of each of its reports.
func (m *metrics) committed(items []*item, height int64, now time.Time) {
	m.committedC.Add(float64(len(items)))
	m.committedN.Add(uint64(len(items)))
	m.batchSizeH.Observe(float64(len(items)))
	m.lastHeight.Store(height)
	var sum, top time.Duration
	for _, it := range items {
		d := now.Sub(it.received)
		m.latencyH.Observe(d.Seconds())
		sum += d
		top = max(top, d)
	}
	m.mu.Lock()
	m.latencySum += sum
	m.latencyCount += uint64(len(items))
	m.latencyMax = max(m.latencyMax, top)
	m.mu.Unlock()
}

// chainOutcome records the chain's per-report verdicts for a batch.
func (m *metrics) chainOutcome(accepted uint64, rejected map[string]uint64) {
	m.chainAccC.Add(float64(accepted))
	m.chainAccN.Add(accepted)
	m.mu.Lock()
	for r, n := range rejected {
		m.chainRejN[r] += n
	}
	m.mu.Unlock()
	for r, n := range rejected {
		m.chainRejVec.WithLabelValues(r).Add(float64(n))
	}
}

// results counts outcomes handed to the broker, and dropped.
func (m *metrics) results(published, dropped int) {
	m.resultsVec.WithLabelValues("published").Add(float64(published))
	m.resultsVec.WithLabelValues("dropped").Add(float64(dropped))
	m.resultsN.Add(uint64(published))
	m.resultsLost.Add(uint64(dropped))
}

// dispatches counts a block's dispatch allocations, and the block read.
func (m *metrics) dispatches(height int64, forwarded, stale, dropped int) {
	m.dispatchesC.Add(float64(forwarded))
	m.dispStaleC.Add(float64(stale))
	m.dispDropC.Add(float64(dropped))
	m.dispatchesN.Add(uint64(forwarded))
	m.dispStaleN.Add(uint64(stale))
	m.dispDropN.Add(uint64(dropped))
	m.dispHeight.Store(height)
}

func (m *metrics) stats(queued int) Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{
		ReceivedMQTT:     m.recvMQTT.Load(),
		ReceivedHTTP:     m.recvHTTP.Load(),
		Invalid:          maps.Clone(m.invalidN),
		Refused:          maps.Clone(m.refusedN),
		Queued:           queued,
		InFlight:         int(m.inFlight.Load()),
		Submitted:        m.submittedN.Load(),
		Committed:        m.committedN.Load(),
		Dropped:          m.droppedN.Load(),
		Batches:          maps.Clone(m.batchesN),
		Retries:          m.retriesN.Load(),
		ChainAccepted:    m.chainAccN.Load(),
		ChainRejected:    maps.Clone(m.chainRejN),
		ResultsPublished: m.resultsN.Load(),
		ResultsDropped:   m.resultsLost.Load(),

		DispatchesForwarded: m.dispatchesN.Load(),
		DispatchesStale:     m.dispStaleN.Load(),
		DispatchesDropped:   m.dispDropN.Load(),
		DispatchHeight:      m.dispHeight.Load(),
		LatencyMax:          m.latencyMax,
		LastHeight:          m.lastHeight.Load(),
	}
	if m.latencyCount > 0 {
		s.LatencyMean = m.latencySum / time.Duration(m.latencyCount)
	}
	return s
}

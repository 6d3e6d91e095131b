// Package gateway relays signed device reports to the chain. Devices
// publish SignedReport bytes over MQTT (to the gateway's embedded broker, or
// to an external broker the gateway subscribes to) or POST them over HTTP;
// the gateway checks each one early (encoding, topic, device signature,
// duplicates), queues it, cuts batches by size or time and submits each
// batch as a MsgReportBatch transaction signed with its own account key,
// then waits until the transaction is committed. It then tells each
// device what became of its report: the Outcome (accepted, or rejected
// with the chain's reason and detail, or dropped) is published on the
// device's MQTT results topic, depin/devices/<device>/results, and kept
// for GET /v1/reports/{id}, the id being the hex SHA-256 of the report's
// bytes.
//
// It also follows the chain block by block and forwards each battery's
// part of a virtual-power-plant dispatch or challenge (x/vpp's
// EventDispatchAllocated, among a block's own events) to the device:
// published, retained, on depin/devices/<device>/dispatch, and listed at
// GET /v1/dispatch/{device}. Nobody signs a dispatch, so GET
// /v1/vpp/members/{pool}/{device} serves the member record it can be
// checked against, with the state proof the node gave (verified against
// the validators' commit before it is served).
//
// The gateway checks nothing that needs chain state (whether the device is
// registered, its seq, its period): the chain decides those per report. Its
// checks only keep junk from costing block space and fees.
//
// Guarantees and rules:
//
//   - A report accepted into the queue (HTTP 202, or an MQTT publish that
//     was not refused) is never dropped because of a transient failure: an
//     unreachable node, a full mempool, a mempool lost in a node restart, a
//     stale account sequence, a fee change or an unfunded gateway account
//     all lead to retries with exponential backoff that keep the batch.
//     Only a batch the chain rejects for good (a CheckTx error no retry can
//     fix, or a committed transaction that failed) is dropped; it is
//     counted and logged at error level.
//   - Reports are submitted in the order they were queued, one transaction
//     in flight at a time, so each report lands in at most one committed
//     transaction: the signer's sequence makes any two transactions signed
//     for the same sequence mutually exclusive, and a batch is moved to a
//     new sequence only after its old one is known to be used by another
//     transaction. So a gateway commits at most one batch per block; its
//     throughput is MaxBatchReports per block (the chain takes up to
//     report.MaxBatchReports in one batch), and gateways with different
//     keys scale out.
//   - The queue, the duplicate filter and the outcomes kept for GET
//     /v1/reports/{id} are in memory and bounded (QueueLimit, DedupeWindow,
//     OutcomeWindow), and so are the dispatches kept (DispatchWindow
//     devices, each its last MaxDispatchesPerDevice; what the embedded
//     broker retains follows them); when the queue is full new reports
//     are refused (HTTP 503, MQTT 5 reason code 0x97 "quota exceeded")
//     rather than accepted and lost. An MQTT 5 publisher at QoS 1 or 2 is told why a report was
//     refused (the reason code, and the failed check as the reason
//     string); MQTT 3 and QoS 0 publishers cannot be told: their refused
//     reports are acknowledged, counted and dropped. On shutdown the
//     gateway stops taking reports and drains the queue for up to
//     Config.DrainTimeout.
//   - One size limit: a report (MQTT payload, HTTP body) is at most
//     MaxReportBytes, the chain's own limit. The embedded broker
//     advertises its maximum packet size (MaxMQTTPacketBytes) in its
//     CONNACK and answers a larger packet with DISCONNECT 0x95.
//   - Report payloads and device keys are never logged at info level or
//     above; a rejected report is logged at debug level with its reason.
//     Each committed batch is a line at info level, and every
//     SummaryInterval a summary line gives the rates.
//   - The gateway does not trust MQTT credentials: any client may connect
//     to the embedded broker, because every report carries its device's
//     signature and the topic must name that same device. Every client
//     publish goes through the ingest checks, so nothing else can be
//     published (no forged results or dispatches). A device's results and
//     dispatch topics may be subscribed to only by the client whose client
//     id is that device id; this keeps devices to their own topics but
//     proves nobody's identity, and outcomes and dispatches carry nothing
//     the chain's events do not.
//
// Topics are depin/v1/<network>/<device>/report, where <device> is the
// device id in its bech32 form (depindev1…); see ReportTopic.
//
// Gateway is the composition type: New binds the listeners, Run serves
// until its context ends, Close releases what Run did not. The node is
// reached through the small Chain interface, which *client.Client
// implements, and time through Config.Clock (the wall clock unless a test
// gives a clock.Manual).
package gateway

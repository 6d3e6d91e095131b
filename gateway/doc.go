// Package gateway relays signed device reports to the chain. Devices
// publish SignedReport bytes over MQTT (to the gateway's embedded broker, or
// to an external broker the gateway subscribes to) or POST them over HTTP;
// the gateway checks each one early (encoding, topic, device signature,
// duplicates), queues it, cuts batches by size or time and submits each
// batch as a MsgReportBatch transaction signed with its own account key,
// then waits until the transaction is committed.
//
// The gateway checks nothing that needs chain state (whether the device is
// registered, its seq, its period): the chain decides those per report. Its
// checks only keep junk from costing block space and fees.
//
// Guarantees and rules:
//
//   - A report accepted into the queue (HTTP 202, or an MQTT publish that
//     was not refused) is never dropped because of a transient failure: an
//     unreachable node, a full mempool, a lost mempool after a node restart,
//     a stale account sequence or a fee change all lead to a retry with
//     exponential backoff that keeps the batch. Only a batch the chain
//     rejects for good (a CheckTx error that no retry can fix, or a
//     committed transaction that failed) is dropped, and it is counted and
//     logged at error level.
//   - Reports are submitted in the order they were queued, one transaction
//     in flight at a time, so each report lands in at most one committed
//     transaction: the signer's sequence makes any two transactions signed
//     for the same sequence mutually exclusive, and a batch is moved to a
//     new sequence only after its old one is known to be used by another
//     transaction.
//   - The queue and the duplicate filter are in memory and bounded; when
//     the queue is full new reports are refused (HTTP 503, MQTT 5 reason
//     code 0x97 "quota exceeded") rather than accepted and lost. On shutdown
//     the gateway stops taking reports and drains the queue for up to
//     Config.DrainTimeout.
//   - Report payloads and device keys are never logged at info level or
//     above; a rejected report is logged at debug level with its reason.
//   - The gateway does not trust MQTT credentials: any client may connect
//     to the embedded broker, because every report carries its device's
//     signature and the topic must name that same device.
//
// Topics are depin/v1/<network>/<device>/report, where <device> is the
// device id in its bech32 form (depindev1…); see ReportTopic.
//
// Gateway is the composition type: New binds the listeners, Run serves
// until its context ends, Close releases what Run did not. The node is
// reached through the small Chain interface, which *client.Client
// implements.
package gateway

// Package agent is the device-side SDK: it gives a device its identity (an
// ed25519 key), builds and signs its reports of physical work with strictly
// increasing sequence numbers over periods that never overlap, and
// publishes them to a gateway over MQTT or HTTP, queueing them while the
// gateway is unreachable. It tells the device what became of each report
// (Outcome: accepted, or rejected with the chain's reason) when asked to
// (OnOutcome in MQTTConfig or HTTPConfig): from the device's results topic
// over MQTT, by polling the gateway over HTTP.
//
// It also holds the catalogue of simulated device kinds (solar, meter,
// battery, storage, airquality, vehicle): each with the metrics a network of
// that kind defines and a Generator of realistic measurements that always
// stay within the metrics' physical bounds. Real hardware implements
// Generator by reading its own counters; `depin device run --sim KIND` and
// `depin sim` (package agent/sim) use the simulated ones.
//
// The package must never sign two different reports with the same sequence
// number (the chain takes that as fraud and slashes the device's stake):
// Device persists its sequence through a StateSaver before it releases a
// signed report. It must never sign a report whose metrics exceed the
// physical bound for the device's capacity (also fraud): simulated
// generators clamp every value to the bound. It holds device keys
// unencrypted (a device must sign unattended) and never logs them. It does
// not decide whether a report is accepted: the gateway and the chain do.
package agent

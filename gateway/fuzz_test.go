package gateway

import (
	"testing"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/wire"
)

// FuzzIngest feeds arbitrary payloads and topics to the ingest path: it
// never panics, and whatever it queues decodes, carries a valid device
// signature and (over MQTT) matches its topic.
func FuzzIngest(f *testing.F) {
	dev := newDevice("fuzz", "solar")
	valid := dev.report(f, testChainID)
	f.Add(true, dev.topic(), valid)
	f.Add(false, "", valid)
	f.Add(true, ReportTopic("wind", dev.id), dev.report(f, testChainID))
	f.Add(true, dev.topic(), dev.report(f, "another-chain"))
	f.Add(true, "depin/v1/solar/x/report", []byte{0x0a, 0x00, 0x12, 0x40})
	f.Add(false, "", []byte("junk"))

	cfg := testConfig()
	cfg.MQTTListen, cfg.HTTPListen = "", "127.0.0.1:0"
	cfg.DedupeWindow = 0 // every input is judged on its own
	g, err := New(cfg, &memChain{chainID: testChainID}, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer g.Close()

	f.Fuzz(func(t *testing.T, overMQTT bool, topic string, payload []byte) {
		source := SourceHTTP
		if overMQTT {
			source = SourceMQTT
		}
		before := g.queue.len()
		err := g.ingest.ingest(source, topic, payload)
		after := g.queue.len()
		if err != nil {
			if after != before {
				t.Fatalf("refused (%v) but the queue grew %d → %d", err, before, after)
			}
			return
		}
		if after != before+1 {
			t.Fatalf("accepted but the queue went %d → %d", before, after)
		}
		g.queue.pop(1, 1<<20)
		d, err := wire.Decode(payload)
		if err != nil {
			t.Fatalf("queued a payload that does not decode: %v", err)
		}
		if !d.Verify(testChainID) {
			t.Fatal("queued a report with a bad signature")
		}
		if overMQTT && topic != ReportTopic(d.Report.Network, d.Device) {
			t.Fatalf("queued a report from %s under topic %q", crypto.DeviceString(d.Device), topic)
		}
	})
}

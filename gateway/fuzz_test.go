package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/depinhq/depin/clock"
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

// FuzzReportOutcomeAPI asks GET /v1/reports/{id} with arbitrary ids: the
// answer is always 200, 400 or 404 with a JSON body, never a server error.
func FuzzReportOutcomeAPI(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(strings.Repeat("AB", 32))
	f.Add(strings.Repeat("zz", 32))
	f.Add("")
	f.Add("%00")
	cfg := testConfig()
	cfg.MQTTListen, cfg.HTTPListen = "", "127.0.0.1:0"
	g, err := New(cfg, &memChain{chainID: testChainID}, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer g.Close()
	h := g.handler()
	f.Fuzz(func(t *testing.T, id string) {
		req, err := http.NewRequest(http.MethodGet, "http://gateway/v1/reports/"+url.PathEscape(id), nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		decodeErr := json.Unmarshal(rec.Body.Bytes(), &out)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			if decodeErr != nil {
				t.Fatalf("GET %q: %d without a JSON body: %v", id, rec.Code, decodeErr)
			}
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect: // the mux cleaning a path with dots or slashes
		default:
			t.Fatalf("GET %q: %d %s", id, rec.Code, rec.Body.String())
		}
	})
}

// FuzzDeviceEndpoints asks GET /v1/dispatch/{device} and GET
// /v1/vpp/members/{pool}/{device}?height= with arbitrary path parts: the
// answer is always a JSON body with 200, 400 or 404 (the node is up),
// never a server error; what parseMemberRequest accepts is a decimal
// pool, a device id and a height ≥ 1 or none.
func FuzzDeviceEndpoints(f *testing.F) {
	dev := newDevice("fuzz", "grid").topicDevice()
	f.Add("3", dev, "")
	f.Add("18446744073709551615", dev, "5")
	f.Add("18446744073709551616", dev, "-1")
	f.Add("+3", strings.ToUpper(dev), "0x10")
	f.Add("", "", "")
	f.Add("%00", "depindev1", "9223372036854775807")
	cfg := testConfig()
	cfg.MQTTListen, cfg.HTTPListen, cfg.DispatchPoll = "", "127.0.0.1:0", 0
	chain := newMemChain(clock.System{})
	chain.emit()
	g, err := New(cfg, chain, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer g.Close()
	h := g.handler()
	f.Fuzz(func(t *testing.T, pool, device, height string) {
		if p, d, hh, err := parseMemberRequest(pool, device, height); err == nil {
			if strconv.FormatUint(p, 10) != strings.TrimLeft(pool, "0") && pool != "0" && strings.TrimLeft(pool, "0") != "" ||
				hh < 0 || hh == 0 && height != "" || crypto.DeviceString(d) == "" {
				t.Fatalf("accepted pool %q device %q height %q as %d %x %d", pool, device, height, p, d, hh)
			}
		}
		for _, path := range []string{
			"/v1/dispatch/" + url.PathEscape(device),
			"/v1/vpp/members/" + url.PathEscape(pool) + "/" + url.PathEscape(device) + "?height=" + url.QueryEscape(height),
		} {
			req, err := http.NewRequest(http.MethodGet, "http://gateway"+path, nil)
			if err != nil {
				continue
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
				if !json.Valid(rec.Body.Bytes()) {
					t.Fatalf("GET %s: %d without a JSON body: %s", path, rec.Code, rec.Body)
				}
			case http.StatusMovedPermanently, http.StatusTemporaryRedirect: // the mux cleaning a path with dots or slashes
			default:
				t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
			}
		}
	})
}

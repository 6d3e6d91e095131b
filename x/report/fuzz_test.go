package report

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"google.golang.org/protobuf/proto"

	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

func FuzzDecode(f *testing.F) {
	seed := sha256.Sum256([]byte("fuzz device"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	good, err := Sign(priv, "c", &reportv1.Report{Network: "solar", Seq: 1, PeriodStart: 10, PeriodEnd: 20, Metrics: []*reportv1.MetricValue{{Id: 1, Value: 5}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Decode(raw)
		if err != nil {
			return
		}
		// Whatever decodes is well formed and checkable.
		if len(d.PubKey) != ed25519.PublicKeySize || len(d.Report.Metrics) == 0 || d.Report.Network == "" {
			t.Fatalf("decoded an ill-formed report: %v", d.Report)
		}
		_ = d.Verify("c")
		// And a batch holding it judges it the same way.
		var s reportv1.SignedReport
		if proto.Unmarshal(raw, &s) != nil {
			t.Fatal("Decode accepted what proto rejects")
		}
		p := Prepare("c", &reportv1.MsgReportBatch{Reports: []*reportv1.SignedReport{&s}}, PrepareOptions{})
		if p.Reports[0] == nil || p.SigOK[0] != d.Verify("c") {
			t.Fatalf("batch and single decoding disagree: %v", p.Errs[0])
		}
	})
}

func TestPossible(t *testing.T) {
	const max = ^uint64(0)
	for _, tc := range []struct {
		value, den, capacity, seconds, num uint64
		want                               bool
	}{
		{138, 3600, 5000, 100, 1, true}, // 138×3600 = 496800 ≤ 500000
		{139, 3600, 5000, 100, 1, false},
		{0, 1, 0, 0, 1, true},
		{1, 1, 0, 100, 1, false},
		{max, max, max, max, max, true}, // both sides huge: right ≥ 2^128
		{max, max, 1, 1, 1, false},
		{max, 1, max, 1, 1, true},
		{max, 2, max, 1, 1, false},
	} {
		if got := Possible(tc.value, tc.den, tc.capacity, tc.seconds, tc.num); got != tc.want {
			t.Errorf("Possible(%+v) = %v", tc, got)
		}
	}
}

package gateway

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/clock"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/proof"
)

// TestMemberEndpoint: GET /v1/vpp/members/{pool}/{device} answers the
// member record with the node's proof, 404 with the proof of absence for
// a device that is not a member, 400 for what is not a pool, device or
// height, and 503 while the node is down.
func TestMemberEndpoint(t *testing.T) {
	chain := newMemChain(clock.System{})
	cfg := testConfig()
	cfg.MQTTListen, cfg.DispatchPoll = "", 0
	g := newGateway(t, cfg, chain)
	dev := newDevice("member", "grid")
	m := &vppv1.Member{Pool: 3, Device: dev.id[:], MaxW: 4000, RatedW: 5000, EnergyWh: 13500, IntervalSeconds: 300,
		Allocs: []*vppv1.Allocation{{Dispatch: 12, Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 2500, Start: 1796200800, End: 1796201700}}}
	value, _ := proto.Marshal(m)
	key := vpp.MemberKey(3, dev.id)
	chain.set(func(c *memChain) { c.state = map[string][]byte{string(key): value}; c.height = 40 })

	rec := serve(g, http.MethodGet, "/v1/vpp/members/3/"+dev.topicDevice(), nil)
	var reply memberReply
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
	}
	var got vppv1.Member
	b, _ := hex.DecodeString(reply.Value)
	if err := proto.Unmarshal(b, &got); err != nil || !proto.Equal(&got, m) || reply.Key != hex.EncodeToString(key) ||
		reply.Height != 40 || reply.Pool != 3 || reply.Device != dev.topicDevice() || len(reply.Proof.Roots) != proof.Shards ||
		reply.AppHash != hex.EncodeToString(proof.RootHash(memRoots)) {
		t.Fatalf("reply %+v", reply)
	}
	for _, want := range []string{`"power_w":"2500"`, `"direction":"DIRECTION_DISCHARGE"`, `"interval_seconds":"300"`, `"start":"1796200800"`} {
		if !strings.Contains(string(reply.Member), want) {
			t.Errorf("member %s lacks %s", reply.Member, want)
		}
	}
	rec = serve(g, http.MethodGet, "/v1/vpp/members/4/"+dev.topicDevice()+"?height=39", nil)
	reply = memberReply{}
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil || rec.Code != http.StatusNotFound ||
		string(reply.Member) != "null" || reply.Value != "" || reply.Height != 39 || reply.Proof.ICS23 == "" && len(reply.Proof.Roots) == 0 {
		t.Fatalf("not a member: %d %s", rec.Code, rec.Body)
	}
	for path, status := range map[string]int{
		"/v1/vpp/members/x/" + dev.topicDevice():                400,
		"/v1/vpp/members/-1/" + dev.topicDevice():               400,
		"/v1/vpp/members/3/depindev1xyz":                        400,
		"/v1/vpp/members/3/" + dev.topicDevice() + "?height=0":  400,
		"/v1/vpp/members/3/" + dev.topicDevice() + "?height=a":  400,
		"/v1/vpp/members/3/" + dev.topicDevice() + "?height=99": 400, // the node refuses
	} {
		if rec := serve(g, http.MethodGet, path, nil); rec.Code != status || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("GET %s: %d %s, want %d", path, rec.Code, rec.Body, status)
		}
	}
	chain.set(func(c *memChain) { c.down = true })
	if rec := serve(g, http.MethodGet, "/v1/vpp/members/3/"+dev.topicDevice(), nil); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("node down: %d %s", rec.Code, rec.Body)
	}
}

package demo

import (
	"testing"

	uh3 "github.com/uber/h3-go/v4"

	apivpp "github.com/depinhq/depin/api/vpp"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/simnet"
)

// TestVppAsk: the operator alternates directions, but asks the other way
// when the batteries could give little this way, and asks dispatchShare
// of what they could give, in whole 100 W; leaving members are not
// counted on.
func TestVppAsk(t *testing.T) {
	dis, chg := vppv1.Direction_DIRECTION_DISCHARGE, vppv1.Direction_DIRECTION_CHARGE
	battery := func(socPpt uint32) *vppv1.Member {
		return &vppv1.Member{MaxW: 5000, RatedW: 5000, EnergyWh: 12_000, SocKnown: true, SocPpt: socPpt, MinSocPpt: memberMinSocPpt}
	}
	leaving := battery(500)
	leaving.LeaveTime = 1
	for _, tc := range []struct {
		name    string
		last    vppv1.Direction
		members []*vppv1.Member
		dir     vppv1.Direction
		powerW  uint64
	}{
		{"first: discharge", 0, []*vppv1.Member{battery(500), battery(500)}, dis, 4000},
		{"after a discharge: charge", dis, []*vppv1.Member{battery(500), battery(500)}, chg, 4000},
		{"after a charge: discharge", chg, []*vppv1.Member{battery(500), battery(500), battery(500)}, dis, 6000},
		{"at their floor: charge again", chg, []*vppv1.Member{battery(memberMinSocPpt), battery(memberMinSocPpt + 5)}, chg, 4000},
		{"full: discharge again", dis, []*vppv1.Member{battery(1000), battery(1000)}, dis, 4000},
		// 1% above the floor: 120 Wh over 2 minutes is 3.6 kW.
		{"nearly empty", 0, []*vppv1.Member{battery(memberMinSocPpt + 10), battery(memberMinSocPpt + 10)}, dis, 2800},
		{"leaving members do not count", 0, []*vppv1.Member{battery(500), leaving}, dis, 2000},
		{"no members", 0, nil, dis, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &vppOperator{last: tc.last}
			dir, powerW := o.ask(tc.members, DispatchIntervals*VppIntervalSeconds)
			if dir != tc.dir || powerW != tc.powerW {
				t.Fatalf("asked %d W of %s, want %d W of %s", powerW, direction(dir), tc.powerW, direction(tc.dir))
			}
		})
	}
}

// TestCommonParent: the pool's region is the finest hex (resolution 5 at
// most) holding every battery of a city; batteries on two continents
// share none.
func TestCommonParent(t *testing.T) {
	city := simnet.Cities["madrid"]
	var cells []uint64
	for _, at := range []uh3.LatLng{{Lat: city.Lat, Lng: city.Lon}, {Lat: city.Lat + 0.1, Lng: city.Lon - 0.1}, {Lat: city.Lat - 0.1, Lng: city.Lon + 0.12}} {
		cells = append(cells, uint64(uh3.LatLngToCell(at, 10)))
	}
	region, err := commonParent(cells)
	if err != nil {
		t.Fatal(err)
	}
	if r := h3.Resolution(region); r > 5 {
		t.Fatalf("region of resolution %d", r)
	}
	for _, c := range cells {
		if !apivpp.InRegion(region, c) {
			t.Fatalf("cell %x is outside the region %x", c, region)
		}
	}
	if r := h3.Resolution(region); r < 5 {
		finer, _ := h3.Parent(cells[0], r+1)
		holdsAll := true
		for _, c := range cells {
			holdsAll = holdsAll && apivpp.InRegion(finer, c)
		}
		if holdsAll {
			t.Fatalf("region %x, but the finer %x holds every cell", region, finer)
		}
	}
	tokyo := simnet.Cities["tokyo"]
	if _, err := commonParent(append(cells, uint64(uh3.LatLngToCell(uh3.LatLng{Lat: tokyo.Lat, Lng: tokyo.Lon}, 10)))); err == nil {
		t.Fatal("Madrid and Tokyo share a hex")
	}
}

func TestNarrationWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{plural(1, "battery"), "1 battery"}, {plural(3, "battery"), "3 batteries"}, {plural(2, "device"), "2 devices"},
		{plural(0, "day"), "0 days"}, {kwh(1250), "1.25 kWh"}, {directionWord("DIRECTION_CHARGE"), "charge"},
		{display("300000", "udpin"), "0.3 DPIN"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}

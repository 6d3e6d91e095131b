package simnet

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Region is where part of a fleet stands: a disc around a centre.
type Region struct {
	Name     string
	Lat, Lon float64
	RadiusKm float64
}

// Cities the simulator knows by name.
var Cities = map[string]Region{
	"berlin":       {"berlin", 52.5200, 13.4050, 15},
	"paris":        {"paris", 48.8566, 2.3522, 12},
	"london":       {"london", 51.5072, -0.1276, 20},
	"madrid":       {"madrid", 40.4168, -3.7038, 12},
	"lagos":        {"lagos", 6.5244, 3.3792, 15},
	"nairobi":      {"nairobi", -1.2921, 36.8219, 12},
	"mumbai":       {"mumbai", 19.0760, 72.8777, 15},
	"tokyo":        {"tokyo", 35.6762, 139.6503, 20},
	"sydney":       {"sydney", -33.8688, 151.2093, 20},
	"saopaulo":     {"saopaulo", -23.5505, -46.6333, 20},
	"newyork":      {"newyork", 40.7128, -74.0060, 15},
	"sanfrancisco": {"sanfrancisco", 37.7749, -122.4194, 10},
	"austin":       {"austin", 30.2672, -97.7431, 15},
	"singapore":    {"singapore", 1.3521, 103.8198, 10},
}

// CityNames lists Cities sorted.
func CityNames() []string {
	out := make([]string, 0, len(Cities))
	for n := range Cities {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ParseRegions reads "berlin,paris" (city names) or
// "bbox:MINLAT,MINLON,MAXLAT,MAXLON" (a box, approximated by the disc
// around its centre that covers it).
func ParseRegions(s string) ([]Region, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []Region{Cities["berlin"]}, nil
	}
	if box, ok := strings.CutPrefix(s, "bbox:"); ok {
		parts := strings.Split(box, ",")
		if len(parts) != 4 {
			return nil, fmt.Errorf("region %q: want bbox:MINLAT,MINLON,MAXLAT,MAXLON", s)
		}
		var v [4]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, fmt.Errorf("region %q: %v", s, err)
			}
			v[i] = f
		}
		if v[0] >= v[2] || v[1] >= v[3] || v[0] < -90 || v[2] > 90 || v[1] < -180 || v[3] > 180 {
			return nil, fmt.Errorf("region %q: min must be below max, within ±90/±180", s)
		}
		lat, lon := (v[0]+v[2])/2, (v[1]+v[3])/2
		// Half the diagonal, in km (equirectangular approximation).
		dy := (v[2] - v[0]) * 111.32
		dx := (v[3] - v[1]) * 111.32 * math.Cos(lat*math.Pi/180)
		return []Region{{Name: "bbox", Lat: lat, Lon: lon, RadiusKm: math.Max(1, math.Hypot(dx, dy)/2)}}, nil
	}
	var out []Region
	for _, name := range strings.Split(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		r, ok := Cities[name]
		if !ok {
			return nil, fmt.Errorf("unknown city %q (known: %s; or use bbox:…)", name, strings.Join(CityNames(), ", "))
		}
		out = append(out, r)
	}
	return out, nil
}

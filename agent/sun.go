package agent

import (
	"math"
	"time"
)

// sunSinElevation is the sine of the sun's elevation above the horizon at
// latitude lat and longitude lon (degrees) at unix time t (seconds), from
// the NOAA approximations of the solar declination and the equation of
// time: accurate to a fraction of a degree, plenty for simulated panels.
func sunSinElevation(lat, lon, t float64) float64 {
	day := math.Floor(t / 86400)
	hours := (t - day*86400) / 3600
	yearDay := time.Unix(int64(day)*86400, 0).UTC().YearDay()
	// Fractional year, radians.
	g := 2 * math.Pi / 365 * (float64(yearDay-1) + (hours-12)/24)
	decl := 0.006918 - 0.399912*math.Cos(g) + 0.070257*math.Sin(g) -
		0.006758*math.Cos(2*g) + 0.000907*math.Sin(2*g) -
		0.002697*math.Cos(3*g) + 0.00148*math.Sin(3*g)
	eqTime := 229.18 * (0.000075 + 0.001868*math.Cos(g) - 0.032077*math.Sin(g) -
		0.014615*math.Cos(2*g) - 0.040849*math.Sin(2*g)) // minutes
	solarMinutes := hours*60 + eqTime + 4*lon
	hourAngle := (solarMinutes/4 - 180) * math.Pi / 180
	phi := lat * math.Pi / 180
	return math.Sin(phi)*math.Sin(decl) + math.Cos(phi)*math.Cos(decl)*math.Cos(hourAngle)
}

// clearSkyGHI is the global horizontal irradiance (W/m²) under a clear sky
// for a sun at sin(elevation) s, by the Haurwitz model: about 1040 W/m² with
// the sun overhead, zero below the horizon.
func clearSkyGHI(s float64) float64 {
	if s <= 0 {
		return 0
	}
	return 1098 * s * math.Exp(-0.057/s)
}

// cloudFactor is the share of clear-sky irradiance that reaches the ground
// through the clouds, in [0.12, 1]: weather fronts over hours, passing
// clouds over minutes, all seeded and smooth in time.
func cloudFactor(key uint64, t float64) float64 {
	c := 0.55*noise(hash(key, saltCloud, 1), t, 8*3600) +
		0.30*noise(hash(key, saltCloud, 2), t, 90*60) +
		0.15*noise(hash(key, saltCloud, 3), t, 12*60)
	// Map cloudiness to transmission: clear below 0.35, overcast above 0.85.
	x := math.Min(1, math.Max(0, (c-0.35)/0.5))
	x = x * x * (3 - 2*x)
	return 1 - 0.88*x
}

// panelPower is the output (W) of panels of peakW watt-peak with
// performance ratio pr at lat, lon at time t under the clouds of key.
func panelPower(key uint64, peakW, pr, lat, lon, t float64) float64 {
	s := sunSinElevation(lat, lon, t)
	if s <= 0 {
		return 0
	}
	p := peakW * clearSkyGHI(s) / 1000 * pr * cloudFactor(key, t)
	return math.Min(p, peakW)
}

package main

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/h3"
	uh3 "github.com/uber/h3-go/v4"
)

// Reading what virtual-power-plant commands take: powers in kW, shares
// in percent, a region's H3 cell, a price per kWh and a dispatch's
// start. Every value converts to the chain's integer units exactly (W,
// Wh, ‰, basis points) or is refused as a usage error that says why.

// parseKW reads a power in kilowatts ("5", "2.5", "0.75kW") as whole
// watts: a negative, zero, fractional-watt or overflowing value is
// refused.
func parseKW(what, s string) (uint64, error) {
	num := strings.TrimSpace(s)
	for _, unit := range []string{"kW", "kw", "KW"} {
		num = strings.TrimSuffix(num, unit)
	}
	w, err := exactScaled(strings.TrimSpace(num), 1000)
	switch {
	case err != nil:
		return 0, usageError{fmt.Errorf("%s %q: %v (a power in kW, e.g. 5 or 2.5)", what, s, err)}
	case w == 0:
		return 0, usageError{fmt.Errorf("%s %q: must be more than 0 kW", what, s)}
	}
	return w, nil
}

// parseShare reads a share in percent ("20%", "20", "0.5%") in units of
// which scale make 100 % (1000: ‰, 10000: basis points), exactly: a
// value that is not a whole number of those units, negative or over
// 100 % is refused.
func parseShare(what, s string, scale uint64) (uint64, error) {
	num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	v, err := exactScaled(num, big.NewRat(int64(scale), 100))
	unit := map[uint64]string{1000: "0.1 %", 10_000: "0.01 %"}[scale]
	switch {
	case err != nil:
		return 0, usageError{fmt.Errorf("%s %q: %v (a percentage in steps of %s, e.g. 20%%)", what, s, err, unit)}
	case v > scale:
		return 0, usageError{fmt.Errorf("%s %q: at most 100%%", what, s)}
	}
	return v, nil
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// exactScaled is the decimal num × scale (an int64 or a *big.Rat) as a
// whole number of 64 bits.
func exactScaled(num string, scale any) (uint64, error) {
	if num == "" {
		return 0, fmt.Errorf("no number")
	}
	if strings.HasPrefix(num, "-") {
		return 0, fmt.Errorf("cannot be negative")
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || !decimalRE.MatchString(num) {
		return 0, fmt.Errorf("not a number")
	}
	switch s := scale.(type) {
	case int:
		r.Mul(r, new(big.Rat).SetInt64(int64(s)))
	case *big.Rat:
		r.Mul(r, s)
	}
	switch {
	case !r.IsInt():
		return 0, fmt.Errorf("too fine: the chain counts whole units")
	case !r.Num().IsUint64():
		return 0, fmt.Errorf("too large")
	}
	return r.Num().Uint64(), nil
}

// DefaultRegionRes is the H3 resolution of a region given as LAT,LON
// without @RES: cells of ~250 km², a city's core.
const DefaultRegionRes = 5

// parseRegion reads a pool's region: an H3 cell in hex, or LAT,LON[@RES]
// (the cell of resolution RES, default DefaultRegionRes, around that
// point; off chain, floating point: the cell is what goes on chain).
func parseRegion(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ",") {
		at, res := s, DefaultRegionRes
		if a, r, ok := strings.Cut(s, "@"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(r))
			if err != nil {
				return 0, usageError{fmt.Errorf("--region %q: the resolution after @ must be a whole number, e.g. 52.52,13.40@4", s)}
			}
			at, res = a, n
		}
		la, lo, _ := strings.Cut(at, ",")
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(la), 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		if err1 != nil || err2 != nil {
			return 0, usageError{fmt.Errorf("--region %q: want an H3 cell in hex or LAT,LON[@RES], e.g. 52.52,13.40@4", s)}
		}
		if res < 0 || res > 15 {
			return 0, usageError{fmt.Errorf("--region %q: resolution %d is out of range (0..15; 4 takes in a city and its suburbs, 5 a city's core)", s, res)}
		}
		if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) { // NaN too
			return 0, usageError{fmt.Errorf("--region %q: latitude ±90, longitude ±180", s)}
		}
		return uint64(uh3.LatLngToCell(uh3.NewLatLng(lat, lon), res)), nil
	}
	c, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	if err == nil {
		err = h3.Validate(c)
	}
	if err != nil {
		return 0, usageError{fmt.Errorf("--region %q: not an H3 cell in hex (e.g. 851f1d4bfffffff) nor LAT,LON[@RES] (e.g. 52.52,13.40@4); 'depin query devices --network N' shows devices' cells, a coarser parent takes in its neighbours: %v", s, err)}
	}
	return c, nil
}

// splitPerKWh splits a price "50udpin/kWh" (or "0.05dpin/kWh") into its
// amount and a check that the unit is a kWh.
func splitPerKWh(s string) (string, error) {
	amt, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || !strings.EqualFold(strings.TrimSpace(per), "kWh") {
		return "", usageError{fmt.Errorf("--price %q: want an amount per kWh, e.g. 50udpin/kWh or 0.05dpin/kWh", s)}
	}
	return strings.TrimSpace(amt), nil
}

// dispatchStart turns --start into the dispatch's first second: "+2m"
// is that long after now, an RFC 3339 time or unix seconds is that time;
// either is rounded up to the network's interval boundary. It must be at
// least minLead after now, with slack for the tx to reach a block (one
// more interval when the rounding left less).
func dispatchStart(s string, now time.Time, interval, minLead uint64) (int64, error) {
	var at int64
	switch {
	case strings.HasPrefix(s, "+"):
		d, err := time.ParseDuration(s[1:])
		if err != nil || d < 0 {
			return 0, usageError{fmt.Errorf("--start %q: want +DURATION (e.g. +2m), a time (2026-05-01T14:00:00Z) or unix seconds", s)}
		}
		if uint64(d/time.Second) < minLead {
			return 0, usageError{fmt.Errorf("--start %s: the network wants dispatches announced at least %s ahead (its min_lead_seconds)", s, seconds(minLead))}
		}
		at = now.Add(d).Unix()
	default:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			at = n
		} else if t, err := time.Parse(time.RFC3339, s); err == nil {
			at = t.Unix()
		} else {
			return 0, usageError{fmt.Errorf("--start %q: want +DURATION (e.g. +2m), a time (2026-05-01T14:00:00Z) or unix seconds", s)}
		}
		if at < now.Unix()+int64(minLead) {
			return 0, usageError{fmt.Errorf("--start %s: that is less than %s from now (the network's min_lead_seconds)", s, seconds(minLead))}
		}
	}
	iv := int64(max(interval, 1))
	if at > 1<<62 {
		return 0, usageError{fmt.Errorf("--start %s: too far ahead", s)}
	}
	start := (at + iv - 1) / iv * iv
	const inclusion = 10 // seconds for the tx to reach a block
	if start < now.Unix()+int64(minLead)+inclusion {
		start += iv
	}
	return start, nil
}

// dispatchDuration checks --duration is whole intervals.
func dispatchDuration(d time.Duration, interval uint64) (uint64, error) {
	s := uint64(max(d, 0) / time.Second)
	if d <= 0 || time.Duration(s)*time.Second != d || interval == 0 || s%interval != 0 {
		return 0, usageError{fmt.Errorf("--duration %s: dispatch windows are whole intervals of %s (e.g. %s)", d, seconds(interval),
			seconds(max(1, (s+interval/2)/max(interval, 1))*interval))}
	}
	return s, nil
}

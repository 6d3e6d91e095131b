package agent

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
)

// Kind is a kind of device the simulator knows: the network class and
// metrics a network of such devices defines, the unit and usual range of a
// device's capacity, and a model of its measurements.
type Kind struct {
	Name         string
	Class        networkv1.ResourceClass
	Physical     bool   // physical infrastructure, as opposed to a digital resource
	CapacityUnit string // what a device's certified capacity counts
	// Metrics are what a network of this kind defines, ids from 1. Each call
	// of Kinds or LookupKind returns fresh copies.
	Metrics []*networkv1.Metric
	// CapacityMin, CapacityMax and CapacityStep bound the capacities a
	// simulated fleet draws.
	CapacityMin, CapacityMax, CapacityStep uint64
	// EnergyHoursMin and EnergyHoursMax bound, for kinds that store
	// energy (batteries), the hours at full capacity a device's energy
	// capacity lasts: a simulated device stores its capacity times a
	// number of hours drawn in between, in tenths (EnergyCapacity). Zero
	// for kinds that store none.
	EnergyHoursMin, EnergyHoursMax float64
	// ReportInterval is the reporting period that suits the kind. Count
	// metrics round down to whole units per period, so a period must be
	// long enough to hold one unit at the device's capacity: airquality
	// and vehicle devices need longer periods than meters do.
	ReportInterval time.Duration

	newGenerator func(GeneratorConfig, bounded) Generator
}

// ErrUnknownKind is returned for a kind name that is not in the catalogue.
var ErrUnknownKind = errors.New("unknown device kind")

// Kinds returns the catalogue, in a fixed order.
func Kinds() []Kind {
	return []Kind{
		{
			Name: "solar", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true,
			CapacityUnit: "W", CapacityMin: 3000, CapacityMax: 10000, CapacityStep: 100,
			ReportInterval: 10 * time.Second,
			Metrics:        []*networkv1.Metric{metric(1, "energy", "Wh", 1, 3600, 1)},
			newGenerator:   newSolar,
		},
		{
			Name: "meter", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true,
			CapacityUnit: "W", CapacityMin: 8000, CapacityMax: 15000, CapacityStep: 500,
			ReportInterval: 10 * time.Second,
			Metrics: []*networkv1.Metric{
				metric(1, "consumed", "Wh", 1, 3600, 1),
				metric(2, "exported", "Wh", 1, 3600, 1),
			},
			newGenerator: newMeter,
		},
		{
			// Capacity is the rated power; the energy it stores is
			// EnergyCapacity (Wh, in the maker's certificate too).
			Name: "battery", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true,
			CapacityUnit: "W", CapacityMin: 3000, CapacityMax: 10000, CapacityStep: 100,
			EnergyHoursMin: 2, EnergyHoursMax: 3,
			ReportInterval: 10 * time.Second,
			Metrics: []*networkv1.Metric{
				metric(1, "charged", "Wh", 1, 3600, 1),
				metric(2, "discharged", "Wh", 1, 3600, 1),
				// State of charge at the period's end, ‰ of the energy
				// capacity: a reading, not work. The bound is loose and it
				// earns nothing; x/vpp reads it for headroom.
				metric(3, "soc", "permille", 1000, 1, 0),
			},
			newGenerator: newBattery,
		},
		{
			Name: "storage", Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, Physical: false,
			CapacityUnit: "GB", CapacityMin: 500, CapacityMax: 20000, CapacityStep: 100,
			ReportInterval: 10 * time.Second,
			Metrics: []*networkv1.Metric{
				// GB·h × 1000: at most the whole capacity for the whole period.
				metric(1, "stored", "mGBh", 1000, 3600, 1),
				// Loose bound, so it earns nothing: it could not be checked.
				metric(2, "retrievals", "count", 1, 1, 0),
			},
			newGenerator: newStorage,
		},
		{
			Name: "airquality", Class: networkv1.ResourceClass_RESOURCE_CLASS_SENSING, Physical: true,
			CapacityUnit: "readings/h", CapacityMin: 60, CapacityMax: 720, CapacityStep: 60,
			ReportInterval: 5 * time.Minute,
			Metrics: []*networkv1.Metric{
				metric(1, "readings", "count", 1, 3600, 1),
				// A measured value, not work: the bound is loose and it earns nothing.
				metric(2, "pm25", "0.1ug/m3", 100, 1, 0),
			},
			newGenerator: newAirQuality,
		},
		{
			Name: "vehicle", Class: networkv1.ResourceClass_RESOURCE_CLASS_MOBILITY, Physical: true,
			CapacityUnit: "km/h", CapacityMin: 120, CapacityMax: 200, CapacityStep: 10,
			ReportInterval: time.Minute,
			Metrics: []*networkv1.Metric{
				metric(1, "distance", "m", 1000, 3600, 1),
				metric(2, "trips", "count", 1, 3600, 0),
			},
			newGenerator: newVehicle,
		},
	}
}

func metric(id uint32, name, unit string, num, den, weight uint64) *networkv1.Metric {
	return &networkv1.Metric{Id: id, Name: name, Unit: unit, BoundNum: num, BoundDen: den, Weight: weight}
}

// KindNames lists the catalogue's kind names.
func KindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}

// LookupKind finds a kind by name.
func LookupKind(name string) (Kind, error) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, name, strings.Join(KindNames(), ", "))
}

// NewGenerator builds the kind's model of one device.
func (k Kind) NewGenerator(cfg GeneratorConfig) (Generator, error) {
	if k.newGenerator == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, k.Name)
	}
	if cfg.Capacity == 0 {
		return nil, fmt.Errorf("%s: capacity must be > 0 %s", k.Name, k.CapacityUnit)
	}
	if cfg.Lat < -90 || cfg.Lat > 90 || cfg.Lon < -180 || cfg.Lon > 180 {
		return nil, fmt.Errorf("%s: location %v,%v is not a latitude,longitude", k.Name, cfg.Lat, cfg.Lon)
	}
	if cfg.EnergyCapacity == 0 {
		cfg.EnergyCapacity = k.EnergyCapacity(cfg.Seed, cfg.Index, cfg.Capacity)
	}
	metrics := make([]*networkv1.Metric, len(k.Metrics))
	for i, m := range k.Metrics {
		metrics[i] = proto.Clone(m).(*networkv1.Metric)
	}
	return k.newGenerator(cfg, bounded{metrics: metrics, capacity: cfg.Capacity}), nil
}

// Capacity draws the capacity of device index of a fleet seeded with seed,
// uniformly over the kind's range in steps of CapacityStep.
func (k Kind) Capacity(seed uint64, index int) uint64 {
	step := max(k.CapacityStep, 1)
	n := (k.CapacityMax-k.CapacityMin)/step + 1
	return k.CapacityMin + hash(seed, uint64(index), saltCapacity)%n*step
}

// StoresEnergy reports whether devices of the kind store energy: their
// certificates carry an energy capacity (Wh) beside the capacity.
func (k Kind) StoresEnergy() bool { return k.EnergyHoursMax > 0 }

// EnergyCapacity draws the energy capacity (Wh) of device index of a
// fleet seeded with seed, of the given capacity: capacity times a number
// of hours between EnergyHoursMin and EnergyHoursMax, in tenths. 0 for
// kinds that store no energy.
func (k Kind) EnergyCapacity(seed uint64, index int, capacity uint64) uint64 {
	if !k.StoresEnergy() {
		return 0
	}
	lo := uint64(math.Round(k.EnergyHoursMin * 10))
	hi := max(uint64(math.Round(k.EnergyHoursMax*10)), lo)
	tenths := max(lo+hash(seed, uint64(index), saltEnergy)%(hi-lo+1), 1)
	return max(capacity*tenths/10, 1)
}

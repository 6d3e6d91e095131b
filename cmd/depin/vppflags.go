package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"

	apivpp "github.com/depinhq/depin/api/vpp"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// vppFlags are a network's virtual-power-plant params as flags of 'tx
// network create' and 'update-params', as the storage and compute
// markets' params are flags of their create-network commands: --vpp turns
// them on with api/vpp's defaults, each --vpp-* flag sets one (and turns
// them on), --no-vpp (update-params) turns them off. Update-params keeps
// the network's params for what no flag names.
type vppFlags struct {
	on, off                                                   bool
	metrics                                                   string
	interval, settle, lead, maxDuration, maxNotice, challenge time.Duration
	baseline, challengeDevices, maxMisses                     uint32
	creditPrice, dispatchCredits, kwhCredits                  uint64
	challengePower, maxPenalty                                string
}

func (f *vppFlags) register(cmd *cobra.Command, update bool) {
	d := apivpp.DefaultParams()
	fl := cmd.Flags()
	fl.BoolVar(&f.on, "vpp", false, "run virtual power plants (energy networks; api/vpp's defaults, changed by the --vpp-* flags, each of which turns them on too)")
	if update {
		fl.BoolVar(&f.off, "no-vpp", false, "stop taking new pools and dispatches (those made settle under their terms)")
	}
	dur := func(s uint64) time.Duration { return time.Duration(s) * time.Second }
	fl.StringVar(&f.metrics, "vpp-metrics", "charged=1,discharged=2,soc=3", "the network's metric ids of energy charged and discharged (Wh) and state of charge (‰; soc=0: none)")
	fl.DurationVar(&f.interval, "vpp-interval", dur(d.IntervalSeconds), "metering interval: dispatch windows are whole intervals")
	fl.Uint32Var(&f.baseline, "vpp-baseline", d.BaselineIntervals, "a member's baseline is the mean of its last N metered intervals outside events")
	fl.DurationVar(&f.settle, "vpp-settle", dur(d.SettleDelaySeconds), "how long after a window its reports may still arrive before it settles")
	fl.DurationVar(&f.lead, "vpp-min-lead", dur(d.MinLeadSeconds), "how far ahead a dispatch must be announced")
	fl.DurationVar(&f.maxDuration, "vpp-max-duration", dur(d.MaxDurationSeconds), "the longest dispatch window")
	fl.DurationVar(&f.maxNotice, "vpp-max-notice", dur(d.MaxNoticeSeconds), "the longest leave notice a pool may ask for")
	fl.Uint64Var(&f.creditPrice, "credit-price", d.CreditPrice, "the network's token (base units) burned per service credit")
	fl.Uint64Var(&f.dispatchCredits, "dispatch-credits", d.DispatchCredits, "service credits a dispatch costs")
	fl.Uint64Var(&f.kwhCredits, "kwh-credits", d.KwhCredits, "service credits per kWh a dispatch asks for (rounded up)")
	fl.DurationVar(&f.challenge, "vpp-challenge-every", dur(d.ChallengeSeconds), "how often each pool's members are tested (0: never)")
	fl.Uint32Var(&f.challengeDevices, "vpp-challenge-devices", d.ChallengeDevices, "members tested per challenge")
	fl.StringVar(&f.challengePower, "vpp-challenge-power", percent(d.ChallengePowerBps), "a test asks for this share of a member's headroom")
	fl.Uint32Var(&f.maxMisses, "vpp-max-misses", d.MaxMisses, "missed responses in a row that drop a member")
	fl.StringVar(&f.maxPenalty, "vpp-max-penalty", percent(d.MaxPenaltyBps), "the most of its stake a pool may take from a member per miss")
}

// params are the vpp params the flags ask for, over base (the network's,
// for update-params; nil for create): nil when none.
func (f *vppFlags) params(cmd *cobra.Command, base *vppv1.VppParams) (*vppv1.VppParams, error) {
	changed := false
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if strings.HasPrefix(fl.Name, "vpp-") || fl.Name == "credit-price" || fl.Name == "dispatch-credits" || fl.Name == "kwh-credits" {
			changed = true
		}
	})
	switch {
	case f.off && (f.on || changed):
		return nil, usageError{fmt.Errorf("--no-vpp with --vpp or a --vpp-* flag: choose one")}
	case f.off:
		return nil, nil
	case !f.on && !changed:
		return base, nil
	}
	p := apivpp.DefaultParams()
	if base != nil {
		p = proto.Clone(base).(*vppv1.VppParams)
	}
	set := func(name string) bool { return cmd.Flags().Changed(name) || base == nil }
	secs := func(name string, d time.Duration) (uint64, error) {
		if d < 0 || d%time.Second != 0 {
			return 0, usageError{fmt.Errorf("--%s %s: whole seconds, 0 or more", name, d)}
		}
		return uint64(d / time.Second), nil
	}
	var err error
	if set("vpp-metrics") {
		if p.ChargedMetric, p.DischargedMetric, p.SocMetric, err = vppMetrics(f.metrics); err != nil {
			return nil, err
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		to   *uint64
	}{{"vpp-interval", f.interval, &p.IntervalSeconds}, {"vpp-settle", f.settle, &p.SettleDelaySeconds}, {"vpp-min-lead", f.lead, &p.MinLeadSeconds},
		{"vpp-max-duration", f.maxDuration, &p.MaxDurationSeconds}, {"vpp-max-notice", f.maxNotice, &p.MaxNoticeSeconds},
		{"vpp-challenge-every", f.challenge, &p.ChallengeSeconds}} {
		if set(d.name) {
			if *d.to, err = secs(d.name, d.v); err != nil {
				return nil, err
			}
		}
	}
	if set("vpp-baseline") {
		p.BaselineIntervals = f.baseline
	}
	if set("credit-price") {
		p.CreditPrice = f.creditPrice
	}
	if set("dispatch-credits") {
		p.DispatchCredits = f.dispatchCredits
	}
	if set("kwh-credits") {
		p.KwhCredits = f.kwhCredits
	}
	if set("vpp-challenge-devices") {
		p.ChallengeDevices = f.challengeDevices
	}
	if set("vpp-max-misses") {
		p.MaxMisses = f.maxMisses
	}
	if set("vpp-challenge-power") {
		v, err := parseShare("--vpp-challenge-power", f.challengePower, apivpp.BPS)
		if err != nil {
			return nil, err
		}
		p.ChallengePowerBps = uint32(v)
	}
	if set("vpp-max-penalty") {
		v, err := parseShare("--vpp-max-penalty", f.maxPenalty, apivpp.BPS)
		if err != nil {
			return nil, err
		}
		p.MaxPenaltyBps = uint32(v)
	}
	return p, nil
}

// vppMetrics reads "charged=1,discharged=2,soc=3".
func vppMetrics(s string) (charged, discharged, soc uint32, err error) {
	bad := usageError{fmt.Errorf("--vpp-metrics %q: want charged=ID,discharged=ID[,soc=ID] (metric ids of the network)", s)}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		id, perr := strconv.ParseUint(strings.TrimSpace(v), 10, 8)
		if !ok || perr != nil || seen[k] {
			return 0, 0, 0, bad
		}
		seen[k] = true
		switch strings.TrimSpace(k) {
		case "charged":
			charged = uint32(id)
		case "discharged":
			discharged = uint32(id)
		case "soc":
			soc = uint32(id)
		default:
			return 0, 0, 0, bad
		}
	}
	if charged == 0 || discharged == 0 {
		return 0, 0, 0, bad
	}
	return charged, discharged, soc, nil
}

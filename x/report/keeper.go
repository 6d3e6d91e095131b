package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// Keeper runs proof of physical work.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	// Market, if set, meters accepted reports of devices with market
	// orders (x/market).
	Market Meterer
	// Vpp, if set, meters accepted reports of virtual-power-plant
	// members (x/vpp).
	Vpp Meterer
}

// Meterer is told of every accepted report.
type Meterer interface {
	Meter(ctx state.Context, dev *devicev1.Device, n *networkv1.Network, r *reportv1.Report)
}

// Work returns a device's work record for an epoch (empty if none): the
// record under WorkKey, or the running one in the device record.
func (k Keeper) Work(r store.Reader, net string, epoch uint64, id crypto.DeviceID) *reportv1.WorkRecord {
	w := &reportv1.WorkRecord{}
	if state.Get(r, WorkKey(net, epoch, id), w) {
		return w
	}
	if d := k.Device.Get(r, id); d != nil && d.Network == net && d.WorkEpoch == epoch && d.Work != nil {
		return d.Work
	}
	return w
}

// batchState caches what a batch touches, written back once, sorted.
type batchState struct {
	k        Keeper
	ctx      state.Context
	networks map[string]*networkv1.Network
	devices  map[crypto.DeviceID]*devicev1.Device
	dirty    map[crypto.DeviceID]bool
	work     map[string]*reportv1.WorkRecord // finished epochs moved out of device records
	prep     *Prepared
}

func (b *batchState) network(id string) *networkv1.Network {
	if n, ok := b.networks[id]; ok {
		return n
	}
	n := b.k.Network.Current(b.ctx, id)
	b.networks[id] = n
	return n
}

func (b *batchState) device(id crypto.DeviceID) *devicev1.Device {
	if d, ok := b.devices[id]; ok {
		return d
	}
	var d *devicev1.Device
	if raw, ok := b.prefetched(id); ok {
		if raw != nil {
			d = &devicev1.Device{}
			state.Decode(device.Key(id), raw, d)
		}
	} else {
		d = b.k.Device.Get(b.ctx.KV, id)
	}
	b.devices[id] = d
	return d
}

// prefetched returns the device record read ahead of execution, if there
// is one and the block has not written that key since (a read would then
// return the same bytes).
func (b *batchState) prefetched(id crypto.DeviceID) ([]byte, bool) {
	if b.prep == nil || b.prep.Devices == nil {
		return nil, false
	}
	raw, ok := b.prep.Devices[id]
	if !ok {
		return nil, false
	}
	if c, isCache := b.ctx.KV.(*store.Cache); !isCache || c.Staged(device.Key(id)) {
		return nil, false
	}
	return raw, true
}

// workRecord returns the device's running work record for epoch, first
// moving a record of an earlier epoch out to its own key.
func (b *batchState) workRecord(dev *devicev1.Device, id crypto.DeviceID, epoch uint64) *reportv1.WorkRecord {
	if dev.Work != nil && dev.WorkEpoch != epoch {
		b.work[string(WorkKey(dev.Network, dev.WorkEpoch, id))] = dev.Work
		dev.Work = nil
	}
	if dev.Work == nil {
		dev.Work, dev.WorkEpoch = &reportv1.WorkRecord{}, epoch
	}
	return dev.Work
}

func (b *batchState) flush() {
	ids := make([]crypto.DeviceID, 0, len(b.dirty))
	for id := range b.dirty {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Compare(ids[j]) < 0 })
	for _, id := range ids {
		b.k.Device.Set(b.ctx.KV, b.devices[id])
	}
	keys := make([]string, 0, len(b.work))
	for k := range b.work {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.ctx.KV.Set([]byte(k), state.Marshal(b.work[k]))
	}
}

// HandleBatch runs every report of a batch through the acceptance rules.
// Each report is accepted or rejected on its own, with a reason in the
// events; a bad report never affects the others. prep may be nil (it is
// then computed here).
func (k Keeper) HandleBatch(ctx state.Context, signer crypto.Address, m *reportv1.MsgReportBatch, prep *Prepared) error {
	if len(m.Reports) == 0 {
		return ErrEmptyBatch
	}
	if len(m.Reports) > MaxBatchReports {
		return fmt.Errorf("%w: %d reports, max %d", ErrBatchTooLarge, len(m.Reports), MaxBatchReports)
	}
	if ctx.CheckTx {
		return nil // reports are judged one by one in the block
	}
	if prep == nil {
		prep = Prepare(ctx.ChainID, m, PrepareOptions{})
	}
	b := &batchState{
		k: k, ctx: ctx, prep: prep,
		networks: map[string]*networkv1.Network{},
		devices:  map[crypto.DeviceID]*devicev1.Device{},
		dirty:    map[crypto.DeviceID]bool{},
		work:     map[string]*reportv1.WorkRecord{},
	}
	var accepted, rejected uint32
	outcomes := make([]byte, len(m.Reports))
	for i := range m.Reports {
		if reason, detail := b.judge(i, prep); reason != reportv1.RejectReason_REJECT_REASON_UNSPECIFIED {
			rejected++
			outcomes[i] = byte(reason)
			ev := &reportv1.EventReportRejected{Index: uint32(i), Reason: reason, Detail: detail}
			if d := prep.Reports[i]; d != nil {
				ev.Device, ev.Network, ev.Seq = crypto.DeviceString(d.Device), d.Report.Network, d.Report.Seq
			}
			ctx.Emit(ev)
		} else {
			accepted++
		}
	}
	b.flush()
	ctx.Emit(&reportv1.EventReportBatch{Submitter: signer.String(), Accepted: accepted, Rejected: rejected, Outcomes: outcomes})
	return nil
}

// judge applies the acceptance rules to report i, updating the batch state
// if it is accepted, and returns the reject reason (UNSPECIFIED = accepted).
func (b *batchState) judge(i int, prep *Prepared) (reportv1.RejectReason, string) {
	d := prep.Reports[i]
	if d == nil {
		return reportv1.RejectReason_REJECT_REASON_MALFORMED, prep.Errs[i].Error()
	}
	if !prep.SigOK[i] {
		return reportv1.RejectReason_REJECT_REASON_BAD_SIGNATURE, ""
	}
	r := d.Report
	n := b.network(r.Network)
	if n == nil {
		return reportv1.RejectReason_REJECT_REASON_UNKNOWN_NETWORK, r.Network
	}
	if n.Frozen {
		return reportv1.RejectReason_REJECT_REASON_NETWORK_FROZEN, n.FrozenReason
	}
	dev := b.device(d.Device)
	if dev == nil {
		return reportv1.RejectReason_REJECT_REASON_UNKNOWN_DEVICE, ""
	}
	if dev.Network != r.Network {
		return reportv1.RejectReason_REJECT_REASON_WRONG_NETWORK, "registered in " + dev.Network
	}
	if dev.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		return reportv1.RejectReason_REJECT_REASON_DEVICE_INACTIVE, dev.Status.String()
	}
	reason, detail := b.rules(d, n, dev)
	if reason != reportv1.RejectReason_REJECT_REASON_UNSPECIFIED && (r.Seq <= dev.LastSeq || r.Seq <= dev.RepSeq) {
		// Anyone can resubmit a device's signed reports: one the chain has
		// judged already (or older than one it judged) is rejected but
		// never counts against the device — its reputation, its
		// rejection counts and its record stay as they were. The
		// submitter paid the fee for its bytes.
		return reason, detail
	}
	now := b.ctx.Time.Unix()
	epoch := network.EpochAt(n, now)
	w := b.workRecord(dev, d.Device, epoch)
	b.dirty[d.Device] = true
	device.Observe(dev, network.RewardsOf(n.Params), reason == reportv1.RejectReason_REJECT_REASON_UNSPECIFIED)
	dev.RepSeq = max(dev.RepSeq, r.Seq)
	if reason != reportv1.RejectReason_REJECT_REASON_UNSPECIFIED {
		dev.ReportsRejected++
		w.ReportsRejected++
		return reason, detail
	}
	dur := uint64(r.PeriodEnd - r.PeriodStart)
	addMetrics(w, r.Metrics)
	w.CoveredSeconds = fixed.SatAdd(w.CoveredSeconds, dur)
	w.ReportsAccepted++
	dev.LastSeq, dev.LastPeriodEnd, dev.LastReport = r.Seq, r.PeriodEnd, d.Raw
	dev.ReportsAccepted++
	if b.k.Market != nil && dev.MarketUntil > 0 {
		b.k.Market.Meter(b.ctx, dev, n, r)
	}
	if b.k.Vpp != nil && dev.VppPool > 0 {
		b.k.Vpp.Meter(b.ctx, dev, n, r)
	}
	return reportv1.RejectReason_REJECT_REASON_UNSPECIFIED, ""
}

// rules are the per-device checks of a validly signed report from an
// active device.
func (b *batchState) rules(d *Decoded, n *networkv1.Network, dev *devicev1.Device) (reportv1.RejectReason, string) {
	r, p := d.Report, n.Params
	now := b.ctx.Time.Unix()
	if r.Seq <= dev.LastSeq {
		if r.Seq == dev.LastSeq && len(dev.LastReport) > 0 && !sameReport(dev.LastReport, d.Signed) {
			if prev, err := Decode(dev.LastReport); err == nil &&
				b.k.record(b.ctx, reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT, dev, []*reportv1.SignedReport{prev.Signed, d.Signed}, nil) {
				// The evidence slashed and jailed the device: its record
				// must be saved with the batch even though the report
				// itself never counts (a correction: a double report
				// alone in its batch moved the slashed stake but left the
				// device active with its whole stake).
				b.dirty[d.Device] = true
			}
			return reportv1.RejectReason_REJECT_REASON_EQUIVOCATION, fmt.Sprintf("seq %d", r.Seq)
		}
		return reportv1.RejectReason_REJECT_REASON_STALE_SEQ, fmt.Sprintf("seq %d, last accepted %d", r.Seq, dev.LastSeq)
	}
	if r.PeriodEnd <= r.PeriodStart {
		return reportv1.RejectReason_REJECT_REASON_BAD_PERIOD, ""
	}
	if r.PeriodStart < dev.LastPeriodEnd {
		return reportv1.RejectReason_REJECT_REASON_PERIOD_OVERLAP, fmt.Sprintf("starts %d, last period ended %d", r.PeriodStart, dev.LastPeriodEnd)
	}
	if r.PeriodEnd > now+int64(p.MaxClockSkewSeconds) {
		return reportv1.RejectReason_REJECT_REASON_FUTURE_PERIOD, fmt.Sprintf("ends %d, block time %d", r.PeriodEnd, now)
	}
	if r.PeriodStart < now-int64(p.ReportWindowSeconds) {
		return reportv1.RejectReason_REJECT_REASON_TOO_OLD, fmt.Sprintf("starts %d, window opens %d", r.PeriodStart, now-int64(p.ReportWindowSeconds))
	}
	if reason, detail := checkMetrics(r, p, dev.Capacity); reason != reportv1.RejectReason_REJECT_REASON_UNSPECIFIED {
		// Beyond today's bound is a rejection; it is fraud only if it was
		// beyond the bound in force during the report's period too (the
		// owner may have tightened it since the device made it).
		if reason == reportv1.RejectReason_REJECT_REASON_IMPOSSIBLE_METRIC && b.k.impossibleWhenMade(b.ctx.KV, n, r, dev.Capacity) {
			b.k.record(b.ctx, reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT, dev, []*reportv1.SignedReport{d.Signed}, nil)
		}
		return reason, detail
	}
	return reportv1.RejectReason_REJECT_REASON_UNSPECIFIED, ""
}

func sameReport(lastRaw []byte, s *reportv1.SignedReport) bool {
	var last reportv1.SignedReport
	if proto.Unmarshal(lastRaw, &last) != nil {
		return false
	}
	return bytes.Equal(last.ReportBytes, s.ReportBytes)
}

// checkMetrics validates metric ids and physical bounds.
func checkMetrics(r *reportv1.Report, p *networkv1.Params, capacity uint64) (reportv1.RejectReason, string) {
	dur := uint64(r.PeriodEnd - r.PeriodStart)
	seen := map[uint32]bool{}
	for _, mv := range r.Metrics {
		m := network.MetricByID(p, mv.Id)
		if m == nil {
			return reportv1.RejectReason_REJECT_REASON_UNKNOWN_METRIC, fmt.Sprintf("metric %d", mv.Id)
		}
		if seen[mv.Id] {
			return reportv1.RejectReason_REJECT_REASON_DUPLICATE_METRIC, fmt.Sprintf("metric %d", mv.Id)
		}
		seen[mv.Id] = true
		if !Possible(mv.Value, m.BoundDen, capacity, dur, m.BoundNum) {
			return reportv1.RejectReason_REJECT_REASON_IMPOSSIBLE_METRIC,
				fmt.Sprintf("%s = %d %s over %d s exceeds capacity %d × %d/%d per second", m.Name, mv.Value, m.Unit, dur, capacity, m.BoundNum, m.BoundDen)
		}
	}
	return reportv1.RejectReason_REJECT_REASON_UNSPECIFIED, ""
}

// impossibleWhenMade reports whether r breaks a physical bound under every
// params version of the network in force during its period: evidence is
// judged by the rules that applied when the device made the report, never
// by rules its owner set later.
func (k Keeper) impossibleWhenMade(kv store.Reader, n *networkv1.Network, r *reportv1.Report, capacity uint64) bool {
	if r.PeriodEnd <= r.PeriodStart {
		return false
	}
	versions := k.Network.ParamsDuring(kv, n, r.PeriodStart, r.PeriodEnd)
	if len(versions) == 0 {
		return false
	}
	for _, p := range versions {
		if reason, _ := checkMetrics(r, p, capacity); reason != reportv1.RejectReason_REJECT_REASON_IMPOSSIBLE_METRIC {
			return false
		}
	}
	return true
}

// Possible reports whether value × den ≤ capacity × seconds × num, exactly,
// in 128-bit integer arithmetic.
func Possible(value, den, capacity, seconds, num uint64) bool {
	right, ok := fixed.Mul64(capacity, seconds).Mul64(num)
	return !ok || fixed.Mul64(value, den).Cmp(right) <= 0 // !ok: right ≥ 2^128 > left
}

// addMetrics adds values into totals (kept sorted by id).
func addMetrics(w *reportv1.WorkRecord, ms []*reportv1.MetricValue) {
	for _, mv := range ms {
		i := sort.Search(len(w.Totals), func(i int) bool { return w.Totals[i].Id >= mv.Id })
		if i < len(w.Totals) && w.Totals[i].Id == mv.Id {
			w.Totals[i].Value = fixed.SatAdd(w.Totals[i].Value, mv.Value)
			continue
		}
		w.Totals = append(w.Totals, nil)
		copy(w.Totals[i+1:], w.Totals[i:])
		w.Totals[i] = &reportv1.MetricValue{Id: mv.Id, Value: mv.Value}
	}
}

// EvidenceID identifies evidence by its kind and the reports' contents, so
// the same fraud can be recorded once.
func EvidenceID(kind reportv1.EvidenceKind, reports []*reportv1.SignedReport) []byte {
	hs := make([][]byte, len(reports))
	for i, r := range reports {
		h := sha256.Sum256(r.ReportBytes)
		hs[i] = h[:]
	}
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i], hs[j]) < 0 })
	sum := sha256.New()
	sum.Write([]byte("depin/evidence/v1"))
	sum.Write([]byte{byte(kind)})
	for _, h := range hs {
		sum.Write(h)
	}
	return sum.Sum(nil)
}

// record stores evidence against a device unless it is already recorded;
// it reports whether it stored it.
func (k Keeper) record(ctx state.Context, kind reportv1.EvidenceKind, dev *devicev1.Device, reports []*reportv1.SignedReport, submitter []byte) bool {
	id := EvidenceID(kind, reports)
	if ctx.KV.Get(EvidenceKey(id)) != nil {
		return false
	}
	ev := &reportv1.Evidence{Id: id, Kind: kind, Device: dev.Id, Network: dev.Network, Reports: reports, Submitter: submitter, Height: ctx.Height}
	ctx.KV.Set(EvidenceKey(id), state.Marshal(ev))
	ctx.KV.Set(DeviceEvidenceKey(dev.Id, id), []byte{})
	dev.EvidenceCount++
	sub := ""
	if len(submitter) == crypto.AddressLen {
		a, _ := crypto.AddressFromBytes(submitter)
		sub = a.String()
	}
	did, _ := crypto.AddressFromBytes(dev.Id)
	ctx.Emit(&reportv1.EventEvidenceRecorded{Id: hex.EncodeToString(id), Kind: kind, Device: crypto.DeviceString(did), Network: dev.Network, Submitter: sub})
	k.punish(ctx, dev, did, id, submitter, reports)
	return true
}

// penaltyParams are the reward params whose slash and evidence weight
// punish fraud in reports: the mildest of those in force during the
// reports' periods and now — an owner who raises the slash after the
// fact cannot make old fraud cost more than it did when committed.
func (k Keeper) penaltyParams(r store.Reader, n *networkv1.Network, reports []*reportv1.SignedReport) *rewardv1.RewardParams {
	rp := proto.Clone(network.RewardsOf(n.Params)).(*rewardv1.RewardParams)
	for _, s := range reports {
		var rep reportv1.Report
		if proto.Unmarshal(s.GetReportBytes(), &rep) != nil || rep.PeriodEnd <= rep.PeriodStart {
			continue
		}
		for _, p := range k.Network.ParamsDuring(r, n, rep.PeriodStart, rep.PeriodEnd) {
			then := network.RewardsOf(p)
			rp.SlashBps = min(rp.SlashBps, then.SlashBps)
			rp.RepEvidenceWeight = min(rp.RepEvidenceWeight, then.RepEvidenceWeight)
		}
	}
	return rp
}

// punish applies fraud evidence to a device: its reputation takes the
// evidence weight and its stake is slashed (device.Keeper.Slash: a
// finder's fee to the submitter, if any, the rest to the network's
// treasury; the device is jailed and can report no more).
func (k Keeper) punish(ctx state.Context, dev *devicev1.Device, id crypto.DeviceID, evidence, submitter []byte, reports []*reportv1.SignedReport) {
	n := k.Network.Network(ctx.KV, dev.Network)
	rp := network.RewardsOf(nil)
	if n != nil {
		rp = k.penaltyParams(ctx.KV, n, reports)
	}
	device.Penalize(dev, rp, rp.RepEvidenceWeight)
	k.Device.Slash(ctx, dev, id, rp.SlashBps, rp.FinderFeeBps, submitter, evidence)
}

// SubmitEvidence records fraud evidence anyone found: two different signed
// reports of one device with the same seq, or one signed report beyond the
// physical bound.
func (k Keeper) SubmitEvidence(ctx state.Context, signer crypto.Address, m *reportv1.MsgSubmitEvidence) error {
	want := map[reportv1.EvidenceKind]int{reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT: 2, reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT: 1}[m.Kind]
	if want == 0 || len(m.Reports) != want {
		return fmt.Errorf("%w: kind %s needs %d report(s), got %d", ErrInvalidEvidence, m.Kind, want, len(m.Reports))
	}
	ds := make([]*Decoded, len(m.Reports))
	for i, s := range m.Reports {
		d, err := decodeInBatch(s)
		if err != nil {
			return fmt.Errorf("%w: report %d: %v", ErrInvalidEvidence, i, err)
		}
		if !d.Verify(ctx.ChainID) {
			return fmt.Errorf("%w: report %d is not signed by its device", ErrInvalidEvidence, i)
		}
		ds[i] = d
	}
	dev := k.Device.Get(ctx.KV, ds[0].Device)
	if dev == nil {
		return fmt.Errorf("%w: device %s is not registered", ErrInvalidEvidence, crypto.DeviceString(ds[0].Device))
	}
	switch m.Kind {
	case reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT:
		a, b := ds[0].Report, ds[1].Report
		switch {
		case ds[0].Device != ds[1].Device:
			return fmt.Errorf("%w: reports of two devices", ErrInvalidEvidence)
		case a.Seq != b.Seq:
			return fmt.Errorf("%w: seqs differ (%d, %d)", ErrInvalidEvidence, a.Seq, b.Seq)
		case bytes.Equal(m.Reports[0].ReportBytes, m.Reports[1].ReportBytes):
			return fmt.Errorf("%w: the two reports are the same", ErrInvalidEvidence)
		}
	case reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT:
		r := ds[0].Report
		n := k.Network.Current(ctx, r.Network)
		if n == nil || r.Network != dev.Network {
			return fmt.Errorf("%w: report is not for the device's network", ErrInvalidEvidence)
		}
		if r.PeriodEnd <= r.PeriodStart {
			return fmt.Errorf("%w: empty period", ErrInvalidEvidence)
		}
		if !k.impossibleWhenMade(ctx.KV, n, r, dev.Capacity) {
			return fmt.Errorf("%w: the report was within the physical bounds in force during its period (evidence is judged by the rules that applied when it was made)", ErrInvalidEvidence)
		}
	}
	if !k.record(ctx, m.Kind, dev, m.Reports, signer.Bytes()) {
		return ErrEvidenceExists
	}
	k.Device.Set(ctx.KV, dev)
	return nil
}

package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
)

// signedTx signs msgs as k with the next sequence the chain expects.
func (c *testChainApp) tx(k testKey, msgs ...*txv1.Msg) []byte {
	c.t.Helper()
	body := &txv1.TxBody{Messages: msgs, Signer: &txv1.SignerInfo{PublicKey: k.priv.Public().(ed25519.PublicKey), Sequence: c.seq(k.addr)}, Fee: bank.Coin(bank.NativeDenom, txFee)}
	raw, err := auth.SignTx(k.priv, testChain, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

// mustBlock commits one block of one tx and fails unless it succeeded.
func (c *testChainApp) mustBlock(raw []byte) *abci.ExecTxResult {
	c.t.Helper()
	r := c.block(raw)[0]
	if r.Code != 0 {
		c.t.Fatalf("tx failed: %s", r.Log)
	}
	return r
}

func (c *testChainApp) snapshot() store.Reader {
	s, err := c.tree().Snapshot(c.tree().Version())
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// solarParams: energy in Wh, at most 1 Wh per W of capacity per hour.
func solarParams() *networkv1.Params {
	return &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "energy", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1}},
		EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 5,
		MinStake: 10_000_000, UnbondingSeconds: 60, MinMoveIntervalSeconds: 30,
	}
}

type world struct {
	c      *testChainApp
	owner  testKey
	maker  testKey
	cell   uint64
	device map[string]ed25519.PrivateKey
}

// newWorld: alice owns network "solar" with maker "acme" approved.
func newWorld(t *testing.T) *world {
	return newWorldOn(t, store.NewMemTree())
}

// newWorldOn is newWorld over the given (empty) tree.
func newWorldOn(t *testing.T, tree *store.Tree) *world {
	return newWorldWith(t, tree, solarParams())
}

// newWorldWith is newWorld over tree with the given network params.
func newWorldWith(t *testing.T, tree *store.Tree, params *networkv1.Params) *world {
	alice, acme := newTestKey("alice"), newTestKey("acme")
	c := newTestChainAppOn(t, tree, bal(alice, bank.Coin("udpin", 1_000_000_000_000)))
	w := &world{c: c, owner: alice, maker: acme, device: map[string]ed25519.PrivateKey{},
		cell: uint64(uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 10))}
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: "solar", Name: "Solar", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY,
		Physical: true, RewardDenom: "usolar", Params: params}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: "solar", MakerPublicKey: acme.priv.Public().(ed25519.PublicKey), Name: "ACME"}}}))
	return w
}

func devKey(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("device " + name))
	return ed25519.NewKeyFromSeed(s[:])
}

func (w *world) cert(name string, capacity uint64) *devicev1.SignedDeviceCert {
	return w.certFor("solar", name, capacity)
}

// pop is device name's proof of possession for registering it to owner.
func pop(name string, owner crypto.Address) []byte {
	return crypto.SignPossession(devKey(name), testChain, owner)
}

func (w *world) register(name string, capacity uint64) crypto.DeviceID {
	w.c.t.Helper()
	w.c.mustBlock(w.c.tx(w.owner, registerMsg(w.owner.addr, w.cert(name, capacity), name, w.cell)))
	w.device[name] = devKey(name)
	return crypto.AddressFromPubKey(w.device[name].Public().(ed25519.PublicKey))
}

func (w *world) report(name string, seq uint64, start, end int64, wh uint64) *reportv1.SignedReport {
	return signReport(w.c.t, devKey(name), "solar", seq, start, end, &reportv1.MetricValue{Id: 1, Value: wh})
}

func signReport(t *testing.T, priv ed25519.PrivateKey, net string, seq uint64, start, end int64, ms ...*reportv1.MetricValue) *reportv1.SignedReport {
	t.Helper()
	raw, err := report.Sign(priv, testChain, &reportv1.Report{Network: net, Seq: seq, PeriodStart: start, PeriodEnd: end, Metrics: ms})
	if err != nil {
		t.Fatal(err)
	}
	d, err := report.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d.Signed
}

func (w *world) batch(reports ...*reportv1.SignedReport) *abci.ExecTxResult {
	w.c.t.Helper()
	return w.c.mustBlock(w.c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: w.owner.addr.Bytes(), Reports: reports}}}))
}

// outcomes maps batch index → reject reason (absent = accepted).
func outcomes(t *testing.T, r *abci.ExecTxResult) (accepted int, rejected map[int]string) {
	rejected = map[int]string{}
	for _, e := range r.Events {
		switch e.Type {
		case "depin.report.v1.EventReportBatch":
			for _, a := range e.Attributes {
				if a.Key != "outcomes" {
					continue
				}
				raw, err := base64.StdEncoding.DecodeString(a.Value)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range raw {
					if o == 0 {
						accepted++
					}
				}
			}
		case "depin.report.v1.EventReportRejected":
			var idx int
			reason := ""
			for _, a := range e.Attributes {
				switch a.Key {
				case "index":
					fmt.Sscan(a.Value, &idx)
				case "reason":
					reason = a.Value
				}
			}
			rejected[idx] = reason
		}
	}
	return accepted, rejected
}

func TestReportRules(t *testing.T) {
	w := newWorld(t)
	dev := w.register("a", 5000) // 5 kW: at most 5000 Wh per hour
	w.register("b", 5000)
	now := w.c.time.Unix() + 1 // the next block's time
	other := signReport(t, devKey("stranger"), "solar", 1, now-60, now-30, &reportv1.MetricValue{Id: 1, Value: 1})
	badSig := w.report("a", 1, now-600, now-300, 100)
	badSig.Signature = append([]byte(nil), badSig.Signature...)
	badSig.Signature[3] ^= 1

	cases := []struct {
		name   string
		report *reportv1.SignedReport
		reason string // "" = accepted
	}{
		{"garbage", &reportv1.SignedReport{ReportBytes: []byte{0xff, 0xff}, Signature: make([]byte, 64)}, "REJECT_REASON_MALFORMED"},
		{"bad signature", badSig, "REJECT_REASON_BAD_SIGNATURE"},
		{"unknown network", signReport(t, devKey("a"), "wind", 1, now-600, now-300, &reportv1.MetricValue{Id: 1, Value: 1}), "REJECT_REASON_UNKNOWN_NETWORK"},
		{"unknown device", other, "REJECT_REASON_UNKNOWN_DEVICE"},
		{"first report", w.report("a", 1, now-600, now-300, 400), ""},
		{"replayed", w.report("a", 1, now-600, now-300, 400), "REJECT_REASON_STALE_SEQ"},
		{"out-of-order seq", w.report("a", 0, now-290, now-280, 1), "REJECT_REASON_STALE_SEQ"},
		{"empty period", w.report("a", 2, now-200, now-200, 1), "REJECT_REASON_BAD_PERIOD"},
		{"overlapping period", w.report("a", 2, now-400, now-200, 1), "REJECT_REASON_PERIOD_OVERLAP"},
		{"future period", w.report("a", 2, now-100, now+60, 1), "REJECT_REASON_FUTURE_PERIOD"},
		{"ancient period", w.report("b", 1, now-7200, now-7000, 1), "REJECT_REASON_TOO_OLD"},
		{"unknown metric", signReport(t, devKey("a"), "solar", 2, now-300, now-200, &reportv1.MetricValue{Id: 9, Value: 1}), "REJECT_REASON_UNKNOWN_METRIC"},
		{"duplicate metric", signReport(t, devKey("a"), "solar", 2, now-300, now-200, &reportv1.MetricValue{Id: 1, Value: 1}, &reportv1.MetricValue{Id: 1, Value: 1}), "REJECT_REASON_DUPLICATE_METRIC"},
		// 5000 W over 100 s is at most 138.9 Wh.
		{"at the physical bound", w.report("a", 2, now-300, now-200, 138), ""},
		{"next report", w.report("a", 3, now-200, now-100, 50), ""},
		// Fraud: evidence is recorded and the device jailed.
		{"double report", w.report("a", 3, now-200, now-100, 49), "REJECT_REASON_EQUIVOCATION"},
		{"jailed device", w.report("a", 4, now-100, now-50, 1), "REJECT_REASON_DEVICE_INACTIVE"},
		{"impossible metric", w.report("b", 1, now-300, now-200, 139), "REJECT_REASON_IMPOSSIBLE_METRIC"},
	}
	var batch []*reportv1.SignedReport
	for _, tc := range cases {
		batch = append(batch, tc.report)
	}
	before := w.c.balance(w.owner.addr, "udpin")
	res := w.batch(batch...)
	accepted, rejected := outcomes(t, res)
	for i, tc := range cases {
		if got := rejected[i]; got != tc.reason {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.reason)
		}
	}
	if accepted != 3 {
		t.Errorf("accepted %d, want 3", accepted)
	}
	// Only the fee moved: rejected reports cost the submitter nothing more.
	if after := w.c.balance(w.owner.addr, "udpin"); before-after != txFee {
		t.Errorf("submitter paid %d, want the fee only", before-after)
	}
	// The device's accumulators hold exactly the accepted work.
	r := w.c.snapshot()
	n := network.Keeper{}.Network(r, "solar")
	epoch := network.EpochAt(n, w.c.time.Unix())
	work := report.Keeper{}.Work(r, "solar", epoch, dev)
	if len(work.Totals) != 1 || work.Totals[0].Value != 400+138+50 || work.CoveredSeconds != 300+100+100 || work.ReportsAccepted != 3 {
		t.Errorf("work record %v", work)
	}
	d := device.Keeper{}.Get(r, dev)
	if d.LastSeq != 3 || d.ReportsAccepted != 3 || d.EvidenceCount != 1 {
		t.Errorf("device after batch: seq %d accepted %d evidence %d", d.LastSeq, d.ReportsAccepted, d.EvidenceCount)
	}
	// A validly signed rejection of a known active device counts against
	// it once per seq, and only above every seq already judged: "empty
	// period" (seq 2) counts; the replays, the older seq and the later
	// rejections of seq 2 do not (anyone could submit those).
	if d.ReportsRejected != 1 || d.RepSeq != 3 {
		t.Errorf("rejected count %d (want 1), rep seq %d (want 3)", d.ReportsRejected, d.RepSeq)
	}
	// Fraud slashed 10% of each cheat's stake (no finder: the chain found
	// it) into the treasury and jailed both.
	b := device.Keeper{}.Get(r, crypto.AddressFromPubKey(devKey("b").Public().(ed25519.PublicKey)))
	stake := solarParams().MinStake
	for _, x := range []*devicev1.Device{d, b} {
		if x.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED || x.Stake != stake-stake/10 {
			t.Errorf("after fraud: status %s stake %d", x.Status, x.Stake)
		}
	}
	if got := w.c.balance(network.TreasuryAddress("solar"), "udpin"); got != 2*(stake/10) {
		t.Errorf("treasury holds %d, want %d", got, 2*(stake/10))
	}
	if err := (bank.Keeper{}).CheckInvariant(r); err != nil {
		t.Fatal(err)
	}
}

func TestBatchLimits(t *testing.T) {
	w := newWorld(t)
	w.register("a", 5000)
	now := w.c.time.Unix()
	big := make([]*reportv1.SignedReport, report.MaxBatchReports+1)
	for i := range big {
		big[i] = w.report("a", uint64(i+1), now-10, now-5, 1)
	}
	msg := &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: w.owner.addr.Bytes(), Reports: big}}}
	res := w.c.block(w.c.tx(w.owner, msg))[0]
	if res.Code != report.ErrBatchTooLarge.Code || res.Codespace != "report" {
		t.Fatalf("oversized batch: %d %s", res.Code, res.Log)
	}
	empty := &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: w.owner.addr.Bytes()}}}
	if res := w.c.block(w.c.tx(w.owner, empty))[0]; res.Code != report.ErrEmptyBatch.Code {
		t.Fatalf("empty batch: %d %s", res.Code, res.Log)
	}
	// Someone else's address as submitter.
	bob := newTestKey("bob")
	forged := &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: bob.addr.Bytes(), Reports: big[:1]}}}
	if res := w.c.block(w.c.tx(w.owner, forged))[0]; res.Code != errs.ErrUnauthorized.Code {
		t.Fatalf("forged submitter: %d %s", res.Code, res.Log)
	}
}

func TestDeviceLifecycle(t *testing.T) {
	w := newWorld(t)
	c := w.c
	alice := w.owner
	stake := solarParams().MinStake
	before := c.balance(alice.addr, "udpin")
	id := w.register("a", 5000)
	if got := before - c.balance(alice.addr, "udpin"); got != stake+txFee {
		t.Fatalf("registration cost %d, want stake + fee", got)
	}
	if c.balance(device.StakePool, "udpin") != stake {
		t.Fatal("stake not in the pool")
	}
	msg := func(m any) *txv1.Msg {
		switch m := m.(type) {
		case *devicev1.MsgRegisterDevice:
			return &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: m}}
		case *devicev1.MsgMoveDevice:
			return &txv1.Msg{Sum: &txv1.Msg_MoveDevice{MoveDevice: m}}
		case *devicev1.MsgTransferDevice:
			return &txv1.Msg{Sum: &txv1.Msg_TransferDevice{TransferDevice: m}}
		case *devicev1.MsgDeactivateDevice:
			return &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: m}}
		case *devicev1.MsgWithdrawStake:
			return &txv1.Msg{Sum: &txv1.Msg_WithdrawStake{WithdrawStake: m}}
		}
		panic("unknown")
	}
	expect := func(k testKey, m *txv1.Msg, kind *errs.Error) {
		t.Helper()
		r := c.block(c.tx(k, m))[0]
		if kind == nil && r.Code != 0 || kind != nil && (r.Code != kind.Code || r.Codespace != kind.Codespace) {
			t.Fatalf("got %s/%d %q, want %v", r.Codespace, r.Code, r.Log, kind)
		}
	}
	// Registration rules.
	forgedCert := w.cert("x", 5000)
	forgedCert.Signature[0] ^= 1
	expect(alice, msg(&devicev1.MsgRegisterDevice{Owner: alice.addr.Bytes(), Cert: forgedCert, DeviceSignature: pop("x", alice.addr), Cell: w.cell}), device.ErrInvalidCert)
	expect(alice, msg(&devicev1.MsgRegisterDevice{Owner: alice.addr.Bytes(), Cert: w.cert("a", 5000), DeviceSignature: pop("a", alice.addr), Cell: w.cell}), device.ErrDeviceExists)
	expect(alice, msg(&devicev1.MsgRegisterDevice{Owner: alice.addr.Bytes(), Cert: w.cert("y", 5000), DeviceSignature: pop("y", alice.addr), Cell: w.cell + 1}), device.ErrInvalidCell)
	coarse, _ := uh3.LatLngToCell(uh3.NewLatLng(52.5, 13.4), 3), 0
	expect(alice, msg(&devicev1.MsgRegisterDevice{Owner: alice.addr.Bytes(), Cert: w.cert("y", 5000), DeviceSignature: pop("y", alice.addr), Cell: uint64(coarse)}), device.ErrInvalidCell)
	// A maker the owner did not approve.
	rogue := newTestKey("rogue")
	priv := devKey("z")
	sc, _ := device.SignCert(rogue.priv, testChain, &devicev1.DeviceCert{Network: "solar", DevicePublicKey: priv.Public().(ed25519.PublicKey), Serial: "1", Capacity: 1, MakerPublicKey: rogue.priv.Public().(ed25519.PublicKey)})
	expect(alice, msg(&devicev1.MsgRegisterDevice{Owner: alice.addr.Bytes(), Cert: sc, DeviceSignature: pop("z", alice.addr), Cell: w.cell}), network.ErrUnknownMaker)

	// Move: registering is not a move (a newly registered device's owner
	// may correct its location at once); moves are rate limited.
	newCell := uint64(uh3.LatLngToCell(uh3.NewLatLng(48.85, 2.35), 10))
	expect(alice, msg(&devicev1.MsgMoveDevice{Owner: alice.addr.Bytes(), Device: id[:], Cell: w.cell}), nil)
	expect(alice, msg(&devicev1.MsgMoveDevice{Owner: alice.addr.Bytes(), Device: id[:], Cell: newCell}), device.ErrMoveTooSoon)
	c.time = c.time.Add(31 * time.Second)
	expect(alice, msg(&devicev1.MsgMoveDevice{Owner: alice.addr.Bytes(), Device: id[:], Cell: newCell}), nil)
	// Indices follow the device.
	r := c.snapshot()
	start, end := device.HexRange("solar", uint64(uh3.Cell(newCell).Parent(5)))
	found := 0
	it := r.Iterator(start, end)
	for ; it.Valid(); it.Next() {
		found++
	}
	it.Close()
	if found != 1 {
		t.Fatalf("%d devices in the new hex", found)
	}
	// Transfer: only the owner. Bob cannot even pay a fee yet.
	bob := newTestKey("bob")
	expect(bob, msg(&devicev1.MsgTransferDevice{Owner: bob.addr.Bytes(), Device: id[:], NewOwner: bob.addr.Bytes()}), errs.ErrInsufficientFee)
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 100_000_000)}}}}))
	expect(bob, msg(&devicev1.MsgTransferDevice{Owner: bob.addr.Bytes(), Device: id[:], NewOwner: bob.addr.Bytes()}), device.ErrNotDeviceOwner)
	expect(alice, msg(&devicev1.MsgTransferDevice{Owner: alice.addr.Bytes(), Device: id[:], NewOwner: bob.addr.Bytes()}), nil)
	expect(alice, msg(&devicev1.MsgDeactivateDevice{Owner: alice.addr.Bytes(), Device: id[:]}), device.ErrNotDeviceOwner)

	// Deactivate, wait out the unbonding, withdraw: the stake goes to the
	// owner of the day.
	expect(bob, msg(&devicev1.MsgWithdrawStake{Owner: bob.addr.Bytes(), Device: id[:]}), device.ErrWrongStatus)
	expect(bob, msg(&devicev1.MsgDeactivateDevice{Owner: bob.addr.Bytes(), Device: id[:]}), nil)
	expect(bob, msg(&devicev1.MsgWithdrawStake{Owner: bob.addr.Bytes(), Device: id[:]}), device.ErrStillBonded)
	now := c.time.Unix()
	if res := w.batch(w.report("a", 1, now-60, now-30, 1)); true {
		if _, rej := outcomes(t, res); rej[0] != "REJECT_REASON_DEVICE_INACTIVE" {
			t.Fatalf("report from a deactivated device: %v", rej)
		}
	}
	c.time = c.time.Add(61 * time.Second)
	bobBefore := c.balance(bob.addr, "udpin")
	expect(bob, msg(&devicev1.MsgWithdrawStake{Owner: bob.addr.Bytes(), Device: id[:]}), nil)
	if got := c.balance(bob.addr, "udpin") - bobBefore; got != stake-txFee {
		t.Fatalf("bob got %d back, want stake − fee", got)
	}
	if c.balance(device.StakePool, "udpin") != 0 {
		t.Fatal("stake pool not empty")
	}
	expect(bob, msg(&devicev1.MsgWithdrawStake{Owner: bob.addr.Bytes(), Device: id[:]}), device.ErrWrongStatus)
}

func TestNetworkRules(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	create := func(k testKey, id, denom string, p *networkv1.Params) *abci.ExecTxResult {
		return c.block(c.tx(k, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: k.addr.Bytes(), Id: id, Name: "N", Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, RewardDenom: denom, Params: p}}}))[0]
	}
	for name, tc := range map[string]struct {
		id, denom string
		p         *networkv1.Params
		kind      *errs.Error
	}{
		"duplicate id":    {"solar", "uother", solarParams(), network.ErrNetworkExists},
		"recreated":       {"solar", "usolar", solarParams(), network.ErrNetworkExists}, // the id is what is taken, not only its denom
		"bad id":          {"X!", "uother", solarParams(), network.ErrInvalidNetwork},
		"denom taken":     {"store", "usolar", solarParams(), network.ErrInvalidNetwork},
		"native denom":    {"store", "udpin", solarParams(), network.ErrInvalidNetwork},
		"no metrics":      {"store", "ustore", &networkv1.Params{EpochSeconds: 60, ReportWindowSeconds: 60}, network.ErrInvalidParams},
		"zero bound":      {"store", "ustore", func() *networkv1.Params { p := solarParams(); p.Metrics[0].BoundDen = 0; return p }(), network.ErrInvalidParams},
		"epoch too short": {"store", "ustore", func() *networkv1.Params { p := solarParams(); p.EpochSeconds = 1; return p }(), network.ErrInvalidParams},
	} {
		r := create(alice, tc.id, tc.denom, tc.p)
		if r.Code != tc.kind.Code || r.Codespace != tc.kind.Codespace {
			t.Errorf("%s: got %s/%d %q", name, r.Codespace, r.Code, r.Log)
		}
	}
	// Parameter changes wait for the next epoch.
	p := solarParams()
	p.MinStake = 1
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}))
	bob := newTestKey("bob")
	r := c.block(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: bob.addr.Bytes(), Network: "solar", Params: p}}}))[0]
	if r.Code != errs.ErrUnauthorized.Code {
		t.Fatalf("update by a non-signer: %d", r.Code)
	}
	stakeNow := func() uint64 {
		before := c.balance(device.StakePool, "udpin")
		w.register(fmt.Sprintf("d%d", c.height), 5000)
		return c.balance(device.StakePool, "udpin") - before
	}
	if got := stakeNow(); got != solarParams().MinStake {
		t.Fatalf("new params in force early: stake %d", got)
	}
	c.time = c.time.Add(time.Hour)
	if got := stakeNow(); got != 1 {
		t.Fatalf("new params not in force next epoch: stake %d", got)
	}
}

func TestSubmitEvidence(t *testing.T) {
	w := newWorld(t)
	c := w.c
	id := w.register("a", 1000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	now := c.time.Unix()
	evidence := func(kind reportv1.EvidenceKind, rs ...*reportv1.SignedReport) *abci.ExecTxResult {
		return c.block(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_SubmitEvidence{SubmitEvidence: &reportv1.MsgSubmitEvidence{Submitter: bob.addr.Bytes(), Kind: kind, Reports: rs}}}))[0]
	}
	double := reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT
	impossible := reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT
	r1, r2 := w.report("a", 7, now-100, now-50, 1), w.report("a", 7, now-100, now-50, 2)
	forged := w.report("a", 7, now-100, now-50, 3)
	forged.Signature = append([]byte(nil), forged.Signature...)
	forged.Signature[0] ^= 1
	tooMuch := w.report("a", 8, now-100, now-50, 1000) // 1 kW over 50 s is ≤ 13.9 Wh
	stranger := signReport(t, devKey("nobody"), "solar", 7, now-100, now-50, &reportv1.MetricValue{Id: 1, Value: 1})
	for name, tc := range map[string]struct {
		kind reportv1.EvidenceKind
		rs   []*reportv1.SignedReport
	}{
		"forged signature":       {double, []*reportv1.SignedReport{r1, forged}},
		"same report twice":      {double, []*reportv1.SignedReport{r1, r1}},
		"different seqs":         {double, []*reportv1.SignedReport{r1, w.report("a", 8, now-100, now-50, 2)}},
		"unregistered device":    {double, []*reportv1.SignedReport{stranger, stranger}},
		"one report for double":  {double, []*reportv1.SignedReport{r1}},
		"possible report":        {impossible, []*reportv1.SignedReport{r1}},
		"unspecified kind":       {reportv1.EvidenceKind_EVIDENCE_KIND_UNSPECIFIED, []*reportv1.SignedReport{r1}},
		"two reports impossible": {impossible, []*reportv1.SignedReport{tooMuch, tooMuch}},
	} {
		if r := evidence(tc.kind, tc.rs...); r.Code != report.ErrInvalidEvidence.Code || r.Codespace != "report" {
			t.Errorf("%s: got %s/%d %q", name, r.Codespace, r.Code, r.Log)
		}
	}
	bobBefore := c.balance(bob.addr, "udpin")
	stake := solarParams().MinStake
	if r := evidence(double, r1, r2); r.Code != 0 {
		t.Fatalf("double report: %s", r.Log)
	}
	// 10% of the stake slashed: a fifth of it to bob, who found it; the
	// rest to the network's treasury; the device is jailed.
	if got, want := c.balance(bob.addr, "udpin"), bobBefore-txFee+stake/10/5; got != want {
		t.Errorf("finder has %d udpin, want %d", got, want)
	}
	if got := c.balance(network.TreasuryAddress("solar"), "udpin"); got != stake/10-stake/10/5 {
		t.Errorf("treasury has %d", got)
	}
	if d := (device.Keeper{}).Get(c.snapshot(), id); d.Stake != stake-stake/10 || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED {
		t.Errorf("after slashing: stake %d status %s", d.Stake, d.Status)
	}
	if r := evidence(double, r2, r1); r.Code != report.ErrEvidenceExists.Code {
		t.Fatalf("same evidence again: %d %s", r.Code, r.Log)
	}
	if r := evidence(impossible, tooMuch); r.Code != 0 {
		t.Fatalf("impossible report: %s", r.Log)
	}
	d := device.Keeper{}.Get(c.snapshot(), id)
	if d.EvidenceCount != 2 {
		t.Fatalf("evidence count %d", d.EvidenceCount)
	}
}

// TestWorkRollsOverEpochs: a device's running work record moves to its own
// key when the device reports in a later epoch; both stay readable.
func TestWorkRollsOverEpochs(t *testing.T) {
	w := newWorld(t)
	id := w.register("a", 5000)
	now := w.c.time.Unix() + 1
	w.batch(w.report("a", 1, now-100, now-50, 10), w.report("a", 2, now-50, now-10, 20))
	n := network.Keeper{}.Network(w.c.snapshot(), "solar")
	e1 := network.EpochAt(n, w.c.time.Unix())
	w.c.time = w.c.time.Add(time.Hour)
	now = w.c.time.Unix() + 1
	w.batch(w.report("a", 3, now-30, now-20, 7))
	e2 := network.EpochAt(n, w.c.time.Unix())
	if e2 != e1+1 {
		t.Fatalf("epochs %d, %d", e1, e2)
	}
	r := w.c.snapshot()
	k := report.Keeper{Device: device.Keeper{}}
	if got := k.Work(r, "solar", e1, id); got.ReportsAccepted != 2 || got.Totals[0].Value != 30 || got.CoveredSeconds != 90 {
		t.Fatalf("epoch %d: %v", e1, got)
	}
	if r.Get(report.WorkKey("solar", e1, id)) == nil {
		t.Fatal("finished epoch not moved to its own record")
	}
	if got := k.Work(r, "solar", e2, id); got.ReportsAccepted != 1 || got.Totals[0].Value != 7 {
		t.Fatalf("epoch %d: %v", e2, got)
	}
	if got := k.Work(r, "solar", e2+1, id); got.ReportsAccepted != 0 {
		t.Fatalf("future epoch: %v", got)
	}
}

// TestReportForAnotherNetwork: a device registered in one network cannot
// have its reports counted in another.
func TestReportForAnotherNetwork(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: "grid", Name: "Grid", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY,
		RewardDenom: "ugrid", Params: solarParams()}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: "grid", MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey)}}}))
	priv := devKey("g")
	sc, err := device.SignCert(w.maker.priv, testChain, &devicev1.DeviceCert{Network: "grid", DevicePublicKey: priv.Public().(ed25519.PublicKey),
		Serial: "G1", Capacity: 5000, MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: alice.addr.Bytes(), Cert: sc, DeviceSignature: pop("g", alice.addr), Cell: w.cell}}}))
	now := c.time.Unix() + 1
	res := w.batch(
		signReport(t, priv, "solar", 1, now-60, now-30, &reportv1.MetricValue{Id: 1, Value: 1}),
		signReport(t, priv, "grid", 1, now-60, now-30, &reportv1.MetricValue{Id: 1, Value: 1}),
	)
	accepted, rejected := outcomes(t, res)
	if accepted != 1 || rejected[0] != "REJECT_REASON_WRONG_NETWORK" {
		t.Fatalf("accepted %d, rejected %v", accepted, rejected)
	}
}

// TestBatchesInOneBlockSeeEachOther: device records read ahead of the
// block must not hide what an earlier tx of the same block wrote.
func TestBatchesInOneBlockSeeEachOther(t *testing.T) {
	w := newWorld(t)
	c := w.c
	id := w.register("a", 5000)
	now := c.time.Unix() + 1
	seq := c.seq(w.owner.addr)
	batch := func(s uint64, r *reportv1.SignedReport) []byte {
		body := &txv1.TxBody{Messages: []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: w.owner.addr.Bytes(), Reports: []*reportv1.SignedReport{r}}}}},
			Signer: &txv1.SignerInfo{PublicKey: w.owner.priv.Public().(ed25519.PublicKey), Sequence: s}, Fee: bank.Coin(bank.NativeDenom, txFee)}
		raw, err := auth.SignTx(w.owner.priv, testChain, body)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	res := c.block(
		batch(seq, w.report("a", 1, now-100, now-60, 10)),
		batch(seq+1, w.report("a", 2, now-60, now-30, 20)),
		batch(seq+2, w.report("a", 2, now-60, now-30, 20)), // a replay of the second
	)
	for i, r := range res {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if _, rej := outcomes(t, res[2]); rej[0] != "REJECT_REASON_STALE_SEQ" {
		t.Fatalf("replay in the same block: %v", rej)
	}
	d := device.Keeper{}.Get(c.snapshot(), id)
	if d.ReportsAccepted != 2 || d.LastSeq != 2 || d.Work.Totals[0].Value != 30 {
		t.Fatalf("device after the block: accepted %d seq %d work %v", d.ReportsAccepted, d.LastSeq, d.Work)
	}
}

// TestCheckTxDuringBlock runs CheckTx of report batches while blocks
// execute (as CometBFT does, one lock per connection), then executes the
// batches: results and app hash must equal those of a node that never saw
// the txs in its mempool (nothing cached). Run with -race.
func TestCheckTxDuringBlock(t *testing.T) {
	worlds := []*world{newWorld(t), newWorld(t)}
	// The first world also keeps expanded device keys (from registration):
	// verification with them must judge exactly as without.
	keys := crypto.NewKeyCache(16)
	worlds[0].c.app.keys, worlds[0].c.app.device.Keys = keys, keys
	var txs [][]byte
	for i, w := range worlds {
		w.register("a", 5000)
		w.register("b", 5000)
		now := w.c.time.Unix() + 1
		bad := w.report("b", 1, now-100, now-60, 10)
		bad.Signature = append([]byte(nil), bad.Signature...)
		bad.Signature[3] ^= 1
		built := [][]byte{w.c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
			Submitter: w.owner.addr.Bytes(),
			Reports:   []*reportv1.SignedReport{w.report("a", 1, now-100, now-60, 10), bad, w.report("a", 2, now-60, now-30, 20)}}}})}
		if i == 0 {
			txs = built
		} else if string(built[0]) != string(txs[0]) {
			t.Fatal("the two worlds built different txs")
		}
	}
	a := worlds[0].c
	done := make(chan error)
	go func() {
		for _, tx := range txs {
			r, err := a.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK})
			if err == nil && r.Code != 0 {
				err = fmt.Errorf("CheckTx: %s", r.Log)
			}
			done <- err
		}
	}()
	a.block() // executes while CheckTx runs
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(txs[0])
	if a.app.preps.get(h) == nil {
		t.Fatal("CheckTx did not cache the verified batch")
	}
	if tx, ok := a.app.sigs.get(h); !ok || tx == nil {
		t.Fatal("CheckTx did not keep the decoded batch")
	}
	if keys.Len() != 2 {
		t.Fatalf("%d device keys kept, want the 2 registered", keys.Len())
	}
	worlds[1].c.block()
	var hashes [2][]byte
	var results [2]*abci.ExecTxResult
	for i, w := range worlds {
		results[i] = w.c.mustBlock(txs[0])
		hashes[i] = w.c.tree().Hash()
	}
	if acc, rej := outcomes(t, results[0]); acc != 2 || rej[1] != "REJECT_REASON_BAD_SIGNATURE" {
		t.Fatalf("with cached verification: %d accepted, rejected %v", acc, rej)
	}
	if fmt.Sprint(results[0]) != fmt.Sprint(results[1]) {
		t.Fatalf("results differ:\n%v\n%v", results[0], results[1])
	}
	if string(hashes[0]) != string(hashes[1]) {
		t.Fatalf("app hashes differ: %X vs %X", hashes[0], hashes[1])
	}
}

// TestBlockOverlapsSave: a block that executes while the previous block is
// still being saved (its save made slow here) ends exactly as one that
// waits for every save: same results, same app hashes at every height.
func TestBlockOverlapsSave(t *testing.T) {
	run := func(slowSave bool) (hashes [][]byte, results []string) {
		w := newWorld(t)
		w.c.tree() // no save running while the hook is set
		if slowSave {
			w.c.app.AfterCommit = func(int64, store.Reader) { time.Sleep(20 * time.Millisecond) }
		}
		block := func(txs ...[]byte) {
			for _, r := range w.c.block(txs...) {
				results = append(results, fmt.Sprint(r))
			}
			if !slowSave {
				w.c.tree() // waits for the save
			}
		}
		for i := range 3 {
			name := fmt.Sprintf("pv-%d", i)
			block(w.c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{
				Owner: w.owner.addr.Bytes(), Cert: w.cert(name, 5000), DeviceSignature: pop(name, w.owner.addr), Cell: w.cell}}}))
		}
		now := w.c.time.Unix()
		for seq := uint64(1); seq <= 4; seq++ {
			start, end := now+int64(seq-1)*10, now+int64(seq)*10
			// pv-0 every block, pv-1 replays seq 1, pv-2 overlaps its period.
			block(w.c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
				Submitter: w.owner.addr.Bytes(), Reports: []*reportv1.SignedReport{
					w.report("pv-0", seq, start, end, 100*seq),
					w.report("pv-1", 1, now, now+10, 5),
					w.report("pv-2", seq, now, end, 7),
				}}}}))
			hashes = append(hashes, w.c.appHash)
		}
		if got := w.c.tree().Hash(); string(got) != string(hashes[len(hashes)-1]) {
			t.Fatalf("saved tree hash %X, FinalizeBlock said %X", got, hashes[len(hashes)-1])
		}
		return hashes, results
	}
	slowH, slowR := run(true)
	waitH, waitR := run(false)
	if fmt.Sprint(slowR) != fmt.Sprint(waitR) {
		t.Fatalf("results differ:\n%v\n%v", slowR, waitR)
	}
	for i := range slowH {
		if string(slowH[i]) != string(waitH[i]) {
			t.Fatalf("block %d: app hash %X with overlapping saves, %X without", i, slowH[i], waitH[i])
		}
	}
}

// TestDoubleReportAloneInItsBatch: a conflicting report of an already
// accepted seq, alone in its batch, jails the device and slashes its
// stake in its record too, not only in the stake pool (the device
// invariant: the pool holds exactly the recorded stakes).
func TestDoubleReportAloneInItsBatch(t *testing.T) {
	w := newWorld(t)
	dev := w.register("a", 5000)
	now := w.c.time.Unix()
	if acc, rej := outcomes(t, w.batch(w.report("a", 1, now-300, now-200, 10))); acc != 1 {
		t.Fatalf("first report: %v", rej)
	}
	now = w.c.time.Unix()
	if _, rej := outcomes(t, w.batch(w.report("a", 1, now-300, now-200, 11))); rej[0] != "REJECT_REASON_EQUIVOCATION" {
		t.Fatalf("double report: %v", rej)
	}
	r := w.c.snapshot()
	d := device.Keeper{}.Get(r, dev)
	stake := solarParams().MinStake
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED || d.Stake != stake-stake/10 || d.EvidenceCount != 1 {
		t.Fatalf("after a lone double report: status %s, stake %d, evidence %d", d.Status, d.Stake, d.EvidenceCount)
	}
	if err := CheckInvariants(r); err != nil {
		t.Fatal(err)
	}
}

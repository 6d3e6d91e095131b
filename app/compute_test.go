package app

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	api "github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/compute"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
)

// computeWorld is a devnet app with a COMPUTE network "render" of 8
// providers, each of its own owner, and a funded consumer.
type computeWorld struct {
	*world
	providers []crypto.DeviceID
	owners    map[crypto.DeviceID]testKey
	consumer  testKey
}

func renderParams() *networkv1.Params {
	p := solarParams()
	p.Metrics = []*networkv1.Metric{{Id: 1, Name: "work", Unit: "units", BoundNum: 1, BoundDen: 1, Weight: 1}}
	p.Rewards = network.DefaultRewards(0)
	p.Rewards.Geo = nil
	cp := api.DefaultParams()
	cp.CommitSeconds, cp.RevealSeconds, cp.MaxDeadlineSeconds = 300, 300, 7200
	p.Compute = cp
	return p
}

func computeMsg(m any) *txv1.Msg {
	switch v := m.(type) {
	case *computev1.MsgSubmitJob:
		return &txv1.Msg{Sum: &txv1.Msg_SubmitJob{SubmitJob: v}}
	case *computev1.MsgCommitResult:
		return &txv1.Msg{Sum: &txv1.Msg_CommitResult{CommitResult: v}}
	case *computev1.MsgRevealResult:
		return &txv1.Msg{Sum: &txv1.Msg_RevealResult{RevealResult: v}}
	case *computev1.MsgCancelJob:
		return &txv1.Msg{Sum: &txv1.Msg_CancelJob{CancelJob: v}}
	}
	panic(fmt.Sprintf("%T", m))
}

func newComputeWorld(t *testing.T) *computeWorld {
	w := newWorld(t)
	c, alice := w.c, w.owner
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: "render", Name: "Render", Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE, RewardDenom: "urender", Params: renderParams()}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: "render", MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey), Name: "ACME"}}}))
	cw := &computeWorld{world: w, owners: map[crypto.DeviceID]testKey{}, consumer: newTestKey("consumer")}
	var funds []*txv1.Msg
	keys := []testKey{cw.consumer}
	for i := range 8 {
		keys = append(keys, newTestKey(fmt.Sprintf("provider-owner-%d", i)))
	}
	for _, k := range keys {
		funds = append(funds, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: k.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}})
	}
	c.mustBlock(c.tx(alice, funds...))
	for i, k := range keys[1:] {
		name := fmt.Sprintf("gpu%d", i)
		c.mustBlock(c.tx(k, registerMsg(k.addr, w.certFor("render", name, 100), name, w.cell)))
		id := deviceID(name)
		cw.providers = append(cw.providers, id)
		cw.owners[id] = k
	}
	return cw
}

// job is a valid job of tasks tasks at replicas × price.
func (cw *computeWorld) job(tasks, replicas uint32, price uint64) *computev1.MsgSubmitJob {
	module := []byte("\x00asm\x01\x00\x00\x00 a module the chain never runs")
	sum := sha256.Sum256(module)
	return &computev1.MsgSubmitJob{Consumer: cw.consumer.addr.Bytes(), Network: "render",
		Module: &computev1.Blob{Sha256: sum[:], Size: uint64(len(module)), Inline: module},
		Tasks:  tasks, Replicas: replicas, Limits: &computev1.Limits{MemoryBytes: 64 << 20, TimeoutMs: 10_000, MaxOutputBytes: 4096},
		PricePerTask: price, DeadlineSeconds: 1800}
}

func (cw *computeWorld) submit(m *computev1.MsgSubmitJob) uint64 {
	cw.c.t.Helper()
	if r := cw.c.result(cw.consumer, computeMsg(m)); r.Code != 0 {
		cw.c.t.Fatalf("submit: %s", r.Log)
	}
	cw.c.block() // the block step assigns the tasks
	id := uint64(0)
	for _, j := range state.Records[computev1.Job](cw.c.snapshot(), api.JobPrefix) {
		id = max(id, j.Id)
	}
	return id
}

func (cw *computeWorld) task(job uint64, i uint32) *computev1.Task {
	return compute.Keeper{}.Task(cw.c.snapshot(), job, i)
}

func (cw *computeWorld) jobRec(id uint64) *computev1.Job {
	return compute.Keeper{}.Job(cw.c.snapshot(), id)
}

func (cw *computeWorld) assigned(job uint64, i uint32) []crypto.DeviceID {
	var out []crypto.DeviceID
	for _, a := range cw.task(job, i).Assignments {
		id, _ := crypto.AddressFromBytes(a.Device)
		out = append(out, id)
	}
	return out
}

func salt(dev crypto.DeviceID) []byte { return bytes.Repeat(dev[:1], 16) }

func (cw *computeWorld) commitMsg(dev crypto.DeviceID, job uint64, i uint32, output []byte) *computev1.MsgCommitResult {
	h := sha256.Sum256(output)
	return &computev1.MsgCommitResult{Owner: cw.owners[dev].addr.Bytes(), Device: dev[:], Job: job, Task: i, Commitment: api.Commitment(h[:], dev, salt(dev))}
}

func (cw *computeWorld) revealMsg(dev crypto.DeviceID, job uint64, i uint32, output []byte) *computev1.MsgRevealResult {
	h := sha256.Sum256(output)
	return &computev1.MsgRevealResult{Owner: cw.owners[dev].addr.Bytes(), Device: dev[:], Job: job, Task: i, OutputHash: h[:], Salt: salt(dev), Output: output}
}

func (cw *computeWorld) ok(who testKey, m any) {
	cw.c.t.Helper()
	if r := cw.c.result(who, computeMsg(m)); r.Code != 0 {
		cw.c.t.Fatalf("%T: %s", m, r.Log)
	}
}

// run has each device commit to and reveal outputs[device].
func (cw *computeWorld) run(job uint64, i uint32, outputs map[crypto.DeviceID][]byte) {
	cw.c.t.Helper()
	for _, dev := range cw.assigned(job, i) {
		if out, ok := outputs[dev]; ok {
			cw.ok(cw.owners[dev], cw.commitMsg(dev, job, i, out))
		}
	}
	for _, dev := range cw.assigned(job, i) {
		if out, ok := outputs[dev]; ok {
			cw.ok(cw.owners[dev], cw.revealMsg(dev, job, i, out))
		}
	}
}

// TestComputeJobLifecycle: a job escrows tasks × price × (2r+1); each
// task goes to r providers of distinct owners; the two that agree are
// paid, the one they outvote is slashed, jailed and loses reputation;
// the job ends when its last task is verified and refunds the rest. The
// books balance after every block.
func TestComputeJobLifecycle(t *testing.T) {
	cw := newComputeWorld(t)
	c := cw.c
	const price = 1000
	before := c.balance(cw.consumer.addr, "udpin")
	id := cw.submit(cw.job(2, 3, price))
	escrow := uint64(2 * price * 7)
	if got := c.balance(compute.Escrow, "udpin"); got != escrow {
		t.Fatalf("escrow holds %d, want %d", got, escrow)
	}
	if got := before - c.balance(cw.consumer.addr, "udpin"); got != escrow+txFee {
		t.Fatalf("the consumer paid %d, want %d + the fee", got, escrow)
	}
	for i := uint32(0); i < 2; i++ {
		devs := cw.assigned(id, i)
		owners := map[crypto.Address]bool{}
		for _, d := range devs {
			owners[cw.owners[d].addr] = true
		}
		if len(devs) != 3 || len(owners) != 3 {
			t.Fatalf("task %d assigned to %d devices of %d owners", i, len(devs), len(owners))
		}
	}
	good, bad := []byte("tile 0: the right pixels"), []byte("tile 0: pixels of another seed")
	devs := cw.assigned(id, 0)
	cheater := devs[2]
	ownerBal := func(d crypto.DeviceID) uint64 { return c.balance(cw.owners[d].addr, "udpin") }
	b0, b1 := ownerBal(devs[0]), ownerBal(devs[1])
	stake := device.Keeper{}.Get(c.snapshot(), cheater).Stake
	treasury := c.balance(network.TreasuryAddress("render"), "udpin")

	// Commitments first: nobody may reveal before every one is in (or the
	// window closes).
	cw.ok(cw.owners[devs[0]], cw.commitMsg(devs[0], id, 0, good))
	expectErr(t, "reveal during the commit window", c.result(cw.owners[devs[0]], computeMsg(cw.revealMsg(devs[0], id, 0, good))), api.ErrWrongPhase)
	cw.ok(cw.owners[devs[1]], cw.commitMsg(devs[1], id, 0, good))
	cw.ok(cw.owners[cheater], cw.commitMsg(cheater, id, 0, bad))
	if st := cw.task(id, 0).Status; st != computev1.TaskStatus_TASK_STATUS_REVEAL {
		t.Fatalf("after every commitment the task is %s", st)
	}
	for _, d := range devs {
		out := good
		if d == cheater {
			out = bad
		}
		cw.ok(cw.owners[d], cw.revealMsg(d, id, 0, out))
	}
	task := cw.task(id, 0)
	if task.Status != computev1.TaskStatus_TASK_STATUS_VERIFIED || !bytes.Equal(task.Output, good) {
		t.Fatalf("task 0: %s, output %q", task.Status, task.Output)
	}
	// Each honest owner got the price (minus the fees of its two txs).
	if got := ownerBal(devs[0]) + 3*txFee - b0; got != price { // commit, an early reveal refused, reveal
		t.Fatalf("an honest provider's owner got %d, want %d", got, price)
	}
	if got := ownerBal(devs[1]) + 2*txFee - b1; got != price {
		t.Fatalf("an honest provider's owner got %d, want %d", got, price)
	}
	d := device.Keeper{}.Get(c.snapshot(), cheater)
	slashed := stake * 500 / 10_000
	if d.Stake != stake-slashed || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED {
		t.Fatalf("the outvoted provider: stake %d (was %d), %s", d.Stake, stake, d.Status)
	}
	if got := c.balance(network.TreasuryAddress("render"), "udpin") - treasury; got != slashed {
		t.Fatalf("the treasury got %d of the slash, want %d", got, slashed)
	}
	if st := (compute.Keeper{}).Stats(c.snapshot(), cheater); st.TasksOutvoted != 1 || st.Assigned != 1 && st.Assigned != 0 {
		t.Fatalf("the cheater's stats: %v", st)
	}
	// Task 1: everyone agrees (the jailed cheater may be among them: it is
	// still assigned, and agreeing pays).
	outs := map[crypto.DeviceID][]byte{}
	for _, d := range cw.assigned(id, 1) {
		outs[d] = []byte("tile 1")
	}
	cw.run(id, 1, outs)
	j := cw.jobRec(id)
	if j.Status != computev1.JobStatus_JOB_STATUS_DONE || j.Verified != 2 || j.Paid != 5*price || j.Refunded != escrow-5*price {
		t.Fatalf("the job: %v", j)
	}
	if got := c.balance(compute.Escrow, "udpin"); got != 0 {
		t.Fatalf("escrow left: %d", got)
	}
	if got := before - c.balance(cw.consumer.addr, "udpin"); got != 5*price+txFee {
		t.Fatalf("the consumer paid %d in all, want %d + the fee", got, 5*price)
	}
	for _, d := range cw.providers {
		if st := (compute.Keeper{}).Stats(c.snapshot(), d); st.Assigned != 0 {
			t.Fatalf("%s still has %d assignments", crypto.DeviceString(d), st.Assigned)
		}
	}
}

// TestComputeRounds: a task whose providers disagree gets a second round
// of r+1 fresh providers; a task nobody commits to goes to a second round
// when its window closes, then fails; the providers that missed lose
// reputation, not stake; the job refunds what it did not pay.
func TestComputeRounds(t *testing.T) {
	cw := newComputeWorld(t)
	c := cw.c
	const price = 1000
	id := cw.submit(cw.job(2, 3, price))
	first := cw.assigned(id, 0)
	outs := map[crypto.DeviceID][]byte{}
	for i, d := range first {
		outs[d] = []byte(fmt.Sprintf("output %d", i))
	}
	cw.run(id, 0, outs)
	task := cw.task(id, 0)
	second := cw.assigned(id, 0)
	if task.Round != 2 || task.Status != computev1.TaskStatus_TASK_STATUS_COMMIT || len(second) != 4 {
		t.Fatalf("after no majority: round %d %s, %d providers", task.Round, task.Status, len(second))
	}
	for _, d := range second {
		for _, f := range first {
			if d == f {
				t.Fatalf("%s assigned again in round 2", crypto.DeviceString(d))
			}
		}
	}
	// Round 2: three of four agree — a majority; the fourth is outvoted.
	outs = map[crypto.DeviceID][]byte{}
	for i, d := range second {
		outs[d] = []byte("agreed")
		if i == 3 {
			outs[d] = []byte("odd")
		}
	}
	cw.run(id, 0, outs)
	if task := cw.task(id, 0); task.Status != computev1.TaskStatus_TASK_STATUS_VERIFIED || task.Round != 2 {
		t.Fatalf("round 2: %s", task.Status)
	}

	// Task 1: nobody commits. The window closes: round 2; nobody again: failed.
	n := network.Keeper{}.Network(c.snapshot(), "render")
	missed := cw.assigned(id, 1)
	repBefore := device.ReputationOf(device.Keeper{}.Get(c.snapshot(), missed[0]), network.RewardsOf(n.Params))
	stake := device.Keeper{}.Get(c.snapshot(), missed[0]).Stake
	c.time = time.Unix(cw.task(id, 1).CommitDeadline, 0).UTC().Add(-time.Second)
	c.block()
	if task := cw.task(id, 1); task.Round != 2 {
		t.Fatalf("after an empty commit window: round %d %s", task.Round, task.Status)
	}
	d := device.Keeper{}.Get(c.snapshot(), missed[0])
	if rep := device.ReputationOf(d, network.RewardsOf(n.Params)); rep.Beta <= repBefore.Beta || d.Stake != stake || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		t.Fatalf("a provider that missed: reputation %v → %v, stake %d → %d, %s", repBefore, rep, stake, d.Stake, d.Status)
	}
	c.time = time.Unix(cw.task(id, 1).CommitDeadline, 0).UTC().Add(-time.Second)
	c.block()
	task = cw.task(id, 1)
	if task.Status != computev1.TaskStatus_TASK_STATUS_FAILED {
		t.Fatalf("after two empty rounds: %s", task.Status)
	}
	j := cw.jobRec(id)
	// Paid: 3 in round 2 of task 0.
	if j.Status != computev1.JobStatus_JOB_STATUS_DONE || j.Verified != 1 || j.Failed != 1 || j.Paid != 3*price || j.Refunded != j.Escrow-3*price {
		t.Fatalf("the job: %v", j)
	}
	if got := c.balance(compute.Escrow, "udpin"); got != 0 {
		t.Fatalf("escrow left: %d", got)
	}
}

// TestComputeDeadline: at a job's deadline tasks being revealed are
// judged on what was revealed, the others fail, and the rest of the
// escrow returns.
func TestComputeDeadline(t *testing.T) {
	cw := newComputeWorld(t)
	c := cw.c
	m := cw.job(2, 3, 100)
	m.DeadlineSeconds = 600
	id := cw.submit(m)
	devs := cw.assigned(id, 0)
	// Task 0: all commit, two reveal the same output: at the deadline the
	// two are a majority of three.
	for _, d := range devs {
		cw.ok(cw.owners[d], cw.commitMsg(d, id, 0, []byte("x")))
	}
	cw.ok(cw.owners[devs[0]], cw.revealMsg(devs[0], id, 0, []byte("x")))
	cw.ok(cw.owners[devs[1]], cw.revealMsg(devs[1], id, 0, []byte("x")))
	c.time = time.Unix(cw.jobRec(id).Deadline, 0).UTC().Add(-time.Second)
	c.block()
	j := cw.jobRec(id)
	if j.Status != computev1.JobStatus_JOB_STATUS_EXPIRED {
		t.Fatalf("after the deadline: %v", j)
	}
	if t0, t1 := cw.task(id, 0), cw.task(id, 1); t0.Status != computev1.TaskStatus_TASK_STATUS_VERIFIED || t1.Status != computev1.TaskStatus_TASK_STATUS_FAILED {
		t.Fatalf("tasks after the deadline: %s %s", t0.Status, t1.Status)
	}
	if j.Paid != 200 || c.balance(compute.Escrow, "udpin") != 0 {
		t.Fatalf("paid %d, escrow left %d", j.Paid, c.balance(compute.Escrow, "udpin"))
	}
}

// TestComputeRefusesBadInput: each bad job, commitment or reveal is
// refused with its error and moves no token.
func TestComputeRefusesBadInput(t *testing.T) {
	cw := newComputeWorld(t)
	c := cw.c
	id := cw.submit(cw.job(1, 3, 1000))
	devs := cw.assigned(id, 0)
	var outsider crypto.DeviceID
	for _, p := range cw.providers {
		if p != devs[0] && p != devs[1] && p != devs[2] {
			outsider = p
		}
	}
	job := func(edit func(m *computev1.MsgSubmitJob)) *computev1.MsgSubmitJob {
		m := cw.job(1, 3, 1000)
		edit(m)
		return m
	}
	p0, p1 := cw.owners[devs[0]], cw.owners[devs[1]]
	commit0 := cw.commitMsg(devs[0], id, 0, []byte("out"))
	cases := []struct {
		name string
		who  testKey
		msg  any
		kind error
	}{
		{"one replica", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Replicas = 1 }), api.ErrInvalidJob},
		{"too many replicas", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Replicas = 6 }), api.ErrInvalidJob},
		{"no tasks", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Tasks = 0 }), api.ErrInvalidJob},
		{"too many tasks", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Tasks = 257 }), api.ErrInvalidJob},
		{"escrow overflow", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.PricePerTask = 1 << 62 }), api.ErrInvalidJob},
		{"escrow overflow, many tasks", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.PricePerTask, m.Tasks = 1<<58, 256 }), api.ErrInvalidJob},
		{"price 0", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.PricePerTask = 0 }), api.ErrInvalidJob},
		{"above max_escrow", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.MaxEscrow = 6999 }), api.ErrEscrowTooHigh},
		{"more than the consumer has", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.PricePerTask = 1 << 40 }), bank.ErrInsufficientFunds},
		{"deadline shorter than the windows", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.DeadlineSeconds = 599 }), api.ErrInvalidJob},
		{"module hash mismatch", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Module.Sha256 = bytes.Repeat([]byte{1}, 32) }), api.ErrInvalidJob},
		{"module size mismatch", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Module.Size++ }), api.ErrInvalidJob},
		{"module inline and in a deal", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Module.Deal = 1 }), api.ErrInvalidJob},
		{"module in a deal without its key", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Module.Inline, m.Module.Deal = nil, 1 }), api.ErrInvalidJob},
		{"module too big to carry", cw.consumer, job(func(m *computev1.MsgSubmitJob) {
			b := make([]byte, 256<<10+1)
			s := sha256.Sum256(b)
			m.Module = &computev1.Blob{Sha256: s[:], Size: uint64(len(b)), Inline: b}
		}), api.ErrInvalidJob},
		{"input named ..", cw.consumer, job(func(m *computev1.MsgSubmitJob) {
			m.Inputs = []*computev1.Blob{{Name: "..", Sha256: m.Module.Sha256, Size: m.Module.Size, Inline: m.Module.Inline}}
		}), api.ErrInvalidJob},
		{"input named a/b", cw.consumer, job(func(m *computev1.MsgSubmitJob) {
			m.Inputs = []*computev1.Blob{{Name: "a/b", Sha256: m.Module.Sha256, Size: m.Module.Size, Inline: m.Module.Inline}}
		}), api.ErrInvalidJob},
		{"two inputs of one name", cw.consumer, job(func(m *computev1.MsgSubmitJob) {
			in := &computev1.Blob{Name: "scene", Sha256: m.Module.Sha256, Size: m.Module.Size, Inline: m.Module.Inline}
			m.Inputs = []*computev1.Blob{in, in}
		}), api.ErrInvalidJob},
		{"an argument with NUL", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Args = []string{"a\x00b"} }), api.ErrInvalidJob},
		{"no limits", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Limits = nil }), api.ErrInvalidJob},
		{"memory above the network's", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Limits.MemoryBytes = 1 << 40 }), api.ErrInvalidJob},
		{"time limit above the network's", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Limits.TimeoutMs = 1 << 40 }), api.ErrInvalidJob},
		{"output above the network's", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Limits.MaxOutputBytes = 1 << 30 }), api.ErrInvalidJob},
		{"not a compute network", cw.consumer, job(func(m *computev1.MsgSubmitJob) { m.Network = "solar" }), api.ErrNoCompute},
		{"commit: unknown job", p0, &computev1.MsgCommitResult{Owner: p0.addr.Bytes(), Device: devs[0][:], Job: 99, Task: 0, Commitment: commit0.Commitment}, api.ErrUnknownJob},
		{"commit: no such task", p0, &computev1.MsgCommitResult{Owner: p0.addr.Bytes(), Device: devs[0][:], Job: id, Task: 1, Commitment: commit0.Commitment}, api.ErrInvalidJob},
		{"commit: not assigned", cw.owners[outsider], cw.commitMsg(outsider, id, 0, []byte("out")), api.ErrNotAssigned},
		{"commit: another owner's device", p1, &computev1.MsgCommitResult{Owner: p1.addr.Bytes(), Device: devs[0][:], Job: id, Task: 0, Commitment: commit0.Commitment}, device.ErrNotDeviceOwner},
		{"commit: a short commitment", p0, &computev1.MsgCommitResult{Owner: p0.addr.Bytes(), Device: devs[0][:], Job: id, Task: 0, Commitment: []byte{1}}, api.ErrInvalidJob},
		{"reveal: before the reveal window", p0, cw.revealMsg(devs[0], id, 0, []byte("out")), api.ErrWrongPhase},
	}
	check := func(name string, who testKey, msg any, kind error) {
		t.Helper()
		escrow := c.balance(compute.Escrow, "udpin")
		r := c.result(who, computeMsg(msg))
		expectErr(t, name, r, kind)
		if got := c.balance(compute.Escrow, "udpin"); got != escrow {
			t.Fatalf("%s: the escrow moved from %d to %d", name, escrow, got)
		}
	}
	for _, tc := range cases {
		check(tc.name, tc.who, tc.msg, tc.kind)
	}
	// Commitments in; then reveals that do not hold.
	cw.ok(p0, commit0)
	check("commit: twice", p0, commit0, api.ErrWrongPhase)
	cw.ok(p1, cw.commitMsg(devs[1], id, 0, []byte("out")))
	cw.ok(cw.owners[devs[2]], cw.commitMsg(devs[2], id, 0, []byte("out")))
	check("commit: after the window", p0, commit0, api.ErrWrongPhase)
	wrongSalt := cw.revealMsg(devs[0], id, 0, []byte("out"))
	wrongSalt.Salt = bytes.Repeat([]byte{0xee}, 16)
	check("reveal: another salt", p0, wrongSalt, api.ErrBadReveal)
	otherOut := cw.revealMsg(devs[0], id, 0, []byte("other output"))
	check("reveal: another output", p0, otherOut, api.ErrBadReveal)
	lying := cw.revealMsg(devs[0], id, 0, []byte("out"))
	lying.Output = []byte("not the output hashed")
	check("reveal: output and hash differ", p0, lying, api.ErrBadReveal)
	short := cw.revealMsg(devs[0], id, 0, []byte("out"))
	short.Salt = short.Salt[:8]
	check("reveal: a short salt", p0, short, api.ErrBadReveal)
	big := cw.revealMsg(devs[0], id, 0, make([]byte, 4097))
	check("reveal: output above the job's limit", p0, big, api.ErrBadReveal)
	check("reveal: not assigned", cw.owners[outsider], cw.revealMsg(outsider, id, 0, []byte("out")), api.ErrNotAssigned)
	cw.ok(p0, cw.revealMsg(devs[0], id, 0, []byte("out")))
	check("reveal: twice", p0, cw.revealMsg(devs[0], id, 0, []byte("out")), api.ErrWrongPhase)
	// Salt and output stay private until revealed: the others' records
	// hold only their commitments.
	for _, a := range cw.task(id, 0).Assignments[1:] {
		if len(a.Salt) != 0 || len(a.OutputHash) != 0 || len(a.Output) != 0 {
			t.Fatalf("an unrevealed assignment holds %x %x %q", a.Salt, a.OutputHash, a.Output)
		}
	}
	check("cancel: a running network's job", cw.consumer, &computev1.MsgCancelJob{Consumer: cw.consumer.addr.Bytes(), Job: id}, api.ErrWrongPhase)
	check("cancel: another's job", p0, &computev1.MsgCancelJob{Consumer: p0.addr.Bytes(), Job: id}, errs.ErrUnauthorized)
	check("cancel: unknown job", cw.consumer, &computev1.MsgCancelJob{Consumer: cw.consumer.addr.Bytes(), Job: 99}, api.ErrUnknownJob)
}

// TestComputeFrozenNetwork: a compute step that fails freezes the
// network; its jobs' windows stop closing, so the consumer may cancel:
// revealed tasks are judged and paid, the rest refunded.
func TestComputeFrozenNetwork(t *testing.T) {
	cw := newComputeWorld(t)
	c := cw.c
	id := cw.submit(cw.job(2, 3, 100))
	devs := cw.assigned(id, 0)
	for _, d := range devs {
		cw.ok(cw.owners[d], cw.commitMsg(d, id, 0, []byte("x")))
	}
	cw.ok(cw.owners[devs[0]], cw.revealMsg(devs[0], id, 0, []byte("x")))
	cw.ok(cw.owners[devs[1]], cw.revealMsg(devs[1], id, 0, []byte("x")))
	// A due timer of a task that does not decode: the step fails.
	c.time = time.Unix(cw.task(id, 1).CommitDeadline, 0).UTC().Add(-time.Second)
	c.corruptNext(api.TaskKey(id, 1), []byte{0xff, 0xff})
	c.block()
	if n := (network.Keeper{}).Network(c.snapshot(), "render"); !n.Frozen {
		t.Fatal("the network is not frozen")
	}
	c.corruptNext(api.TaskKey(id, 1), state.Marshal(&computev1.Task{Job: id, Index: 1, Round: 1, Status: computev1.TaskStatus_TASK_STATUS_COMMIT}))
	c.block()
	cw.ok(cw.consumer, &computev1.MsgCancelJob{Consumer: cw.consumer.addr.Bytes(), Job: id})
	j := cw.jobRec(id)
	if j.Status != computev1.JobStatus_JOB_STATUS_EXPIRED || j.Verified != 1 || j.Failed != 1 || j.Paid != 200 {
		t.Fatalf("after the cancel: %v", j)
	}
	if got := c.balance(compute.Escrow, "udpin"); got != 0 {
		t.Fatalf("escrow left: %d", got)
	}
}

// BenchmarkSubmitJobAtTheCap: the biggest job a network can allow
// (api/compute.MaxAssignments assignments) over 64 providers: its
// submitting tx, then the blocks whose step assigns it under the budget;
// the slowest of those blocks.
//
//	go test ./app -run '^$' -bench SubmitJobAtTheCap -benchtime 5x
func BenchmarkSubmitJobAtTheCap(b *testing.B) {
	t := &testing.T{}
	w := newWorld(t)
	c, alice := w.c, w.owner
	p := renderParams()
	p.Compute.MaxTasks, p.Compute.MaxReplicas = 4096, 15
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: "render", Name: "Render", Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE, RewardDenom: "urender", Params: p}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: "render", MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey), Name: "ACME"}}}))
	cw := &computeWorld{world: w, owners: map[crypto.DeviceID]testKey{}, consumer: alice}
	for lo := 0; lo < 64; lo += 16 {
		var funds, regs []*txv1.Msg
		var keys []testKey
		for i := lo; i < lo+16; i++ {
			k := newTestKey(fmt.Sprintf("bench-owner-%d", i))
			keys = append(keys, k)
			funds = append(funds, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: k.addr.Bytes(), Amount: bank.Coins("udpin", 100_000_000)}}})
		}
		c.mustBlock(c.tx(alice, funds...))
		for j, k := range keys {
			name := fmt.Sprintf("bench-gpu%d", lo+j)
			regs = append(regs, nil)
			c.mustBlock(c.tx(k, registerMsg(k.addr, w.certFor("render", name, 100), name, w.cell)))
		}
		_ = regs
	}
	b.ResetTimer()
	var slowest time.Duration
	for i := 0; i < b.N; i++ {
		m := cw.job(273, 15, 1) // 4095 assignments
		start := time.Now()
		if r := c.result(alice, computeMsg(m)); r.Code != 0 {
			b.Fatalf("submit: %s", r.Log)
		}
		slowest = max(slowest, time.Since(start))
		for j := 0; j < 3; j++ { // the block step assigns the tasks, 2,000 units a block
			start = time.Now()
			c.block()
			slowest = max(slowest, time.Since(start))
		}
	}
	b.ReportMetric(slowest.Seconds()*1000, "slowest-block-ms")
}

// TestComputeAssignmentIsBudgeted: a job's submitting tx writes what does
// not grow with the job; the block step assigns tasks under its budget,
// oldest job first, so a block full of the biggest jobs does not make
// one block assign them all; every task is assigned in time. A job
// bigger than api/compute.MaxAssignments is refused.
func TestComputeAssignmentIsBudgeted(t *testing.T) {
	cw := newComputeWorld(t)
	c := cw.c
	c.app.compute.BlockBudget = 50
	p := renderParams()
	p.Compute.MaxTasks = 4096
	c.mustBlock(c.tx(cw.owner, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{
		Owner: cw.owner.addr.Bytes(), Network: "render", Params: p}}}))
	n := network.Keeper{}.Network(c.snapshot(), "render")
	c.time = time.Unix(network.EpochStart(n, network.EpochAt(n, c.time.Unix())+1), 0).UTC() // the params in force
	c.block()
	expectErr(t, "more than MaxAssignments", c.result(cw.consumer, computeMsg(cw.job(2049, 2, 1))), api.ErrInvalidJob)
	// Three jobs of 40 tasks × 2 in one block.
	var txs [][]byte
	for _, who := range []testKey{cw.consumer, cw.owners[cw.providers[0]], cw.owners[cw.providers[1]]} {
		m := cw.job(40, 2, 1)
		m.Consumer = who.addr.Bytes()
		txs = append(txs, c.tx(who, computeMsg(m)))
	}
	for i, r := range c.block(txs...) {
		if r.Code != 0 {
			t.Fatalf("job %d: %s", i, r.Log)
		}
	}
	assigned := func() (n uint32) {
		for id := uint64(1); id <= 3; id++ {
			n += cw.jobRec(id).Assigned
		}
		return n
	}
	c.block()
	if got := assigned(); got == 0 || got > 30 || cw.jobRec(2).Assigned != 0 {
		t.Fatalf("after one block: %d tasks assigned (job 1 %d, job 2 %d), want a budget's worth of the oldest job", got, cw.jobRec(1).Assigned, cw.jobRec(2).Assigned)
	}
	for i := 0; i < 20 && assigned() < 120; i++ {
		c.block()
	}
	if got := assigned(); got != 120 {
		t.Fatalf("%d of 120 tasks assigned after 20 blocks", got)
	}
}

package app

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	api "github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/compute"
	"github.com/depinhq/depin/x/network"
)

// TestComputeAdversarial drives the compute market with a random
// workload of every message, mostly well formed and sometimes at the
// worst values an account or the network's owner can choose (2^64−1,
// zero, windows of a second, params removed while jobs are escrowed,
// providers leaving mid-task, commitments and reveals for others'
// tasks), with time jumping past windows and deadlines. Whatever happens:
// no internal error, the network never freezes, the udpin supply never
// changes, and the harness checks every invariant (the compute escrow
// among them) after every block. DEPIN_ADVERSARIAL_SEEDS=N hunts longer.
func TestComputeAdversarial(t *testing.T) {
	seeds := uint64(4)
	if v, err := strconv.ParseUint(os.Getenv("DEPIN_ADVERSARIAL_SEEDS"), 10, 32); err == nil && v > 0 {
		seeds = v
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { computeAdversarialRun(t, seed, 200, 0) })
		// With a budget of 2 a block, windows close and tasks are assigned
		// over many blocks.
		t.Run(fmt.Sprint("seed", seed, "/budget=2"), func(t *testing.T) { computeAdversarialRun(t, seed, 200, 2) })
	}
}

func computeAdversarialRun(t *testing.T, seed uint64, steps, budget int) [][]byte {
	cw := newComputeWorld(t)
	c := cw.c
	c.app.compute.BlockBudget = budget
	rng := rand.New(rand.NewPCG(seed, 19))
	supply := bank.Keeper{}.Supply(c.snapshot(), "udpin")
	extremes := []uint64{0, 1, 2, 15, 16, 1 << 20, 1 << 32, 1 << 62, ^uint64(0)}
	val := func(small uint64) uint64 {
		if rng.IntN(4) == 0 {
			return extremes[rng.IntN(len(extremes))]
		}
		return 1 + rng.Uint64N(small)
	}
	accounts := []testKey{cw.consumer}
	for _, d := range cw.providers {
		accounts = append(accounts, cw.owners[d])
	}
	outputs := map[[3]uint64][]byte{} // (job, task, device index) → what it committed to
	jobs := uint64(0)
	ok := map[string]int{}
	for step := 0; step < steps; step++ {
		who := accounts[rng.IntN(len(accounts))]
		var m any
		switch rng.IntN(14) {
		case 12, 13: // a task played through: its providers commit (to one of two outputs) and reveal
			job, task := 1+rng.Uint64N(max(jobs, 1)), uint32(rng.IntN(4))
			tk := (compute.Keeper{}).Task(c.snapshot(), job, task)
			if tk == nil || tk.Status != computev1.TaskStatus_TASK_STATUS_COMMIT {
				continue
			}
			type answer struct {
				id  crypto.DeviceID
				out []byte
			}
			var outs []answer // in assignment order: the workload is a function of the seed
			for _, a := range tk.Assignments {
				id, _ := crypto.AddressFromBytes(a.Device)
				if rng.IntN(8) != 0 { // sometimes one stays silent
					outs = append(outs, answer{id, []byte{byte(rng.IntN(2))}})
				}
			}
			for _, x := range outs {
				id, out := x.id, x.out
				if r := c.result(cw.owners[id], computeMsg(cw.commitMsg(id, job, task, out))); r.Code == 0 {
					ok["played: commit"]++
				} else if r.Codespace == "" || r.Code == 1 {
					t.Fatalf("step %d: a commitment failed with an internal error: %s", step, r.Log)
				}
			}
			for _, x := range outs {
				id, out := x.id, x.out
				if r := c.result(cw.owners[id], computeMsg(cw.revealMsg(id, job, task, out))); r.Code == 0 {
					ok["played: reveal"]++
				} else if r.Codespace == "" || r.Code == 1 {
					t.Fatalf("step %d: a reveal failed with an internal error: %s", step, r.Log)
				}
			}
			continue
		case 0, 1: // a job, mostly well formed
			j := cw.job(uint32(1+rng.IntN(4)), uint32(2+rng.IntN(3)), 1+rng.Uint64N(5000))
			j.Consumer = who.addr.Bytes()
			switch rng.IntN(8) {
			case 0:
				j.Tasks, j.Replicas = uint32(val(300)), uint32(val(20))
			case 1:
				j.PricePerTask = val(1 << 40)
			case 2:
				j.DeadlineSeconds = val(10_000)
			case 3:
				j.Limits = &computev1.Limits{MemoryBytes: val(1 << 30), TimeoutMs: val(100_000), MaxOutputBytes: uint32(val(1 << 17))}
			case 4:
				b := bytes.Repeat([]byte{byte(step)}, int(val(300)%1024+1))
				s := sha256.Sum256(b)
				j.Inputs = []*computev1.Blob{{Name: []string{"in", "..", "a/b", ""}[rng.IntN(4)], Sha256: s[:], Size: uint64(len(b)), Inline: b}}
			case 5:
				j.Module = &computev1.Blob{Sha256: bytes.Repeat([]byte{1}, 32), Size: val(100), Deal: val(5), FileKey: bytes.Repeat([]byte{2}, 32)}
			case 6:
				j.MaxEscrow = val(100_000)
			}
			m = j
		case 2, 3, 4: // a commitment: mostly the assigned provider's, sometimes anyone's
			job, task := rng.Uint64N(jobs+2), uint32(rng.IntN(5))
			d := rng.IntN(len(cw.providers))
			if tk := (compute.Keeper{}).Task(c.snapshot(), job, task); tk != nil && len(tk.Assignments) > 0 && rng.IntN(4) != 0 {
				a := tk.Assignments[rng.IntN(len(tk.Assignments))]
				for i, p := range cw.providers {
					if bytes.Equal(p[:], a.Device) {
						d = i
					}
				}
			}
			dev := cw.providers[d]
			out := []byte{byte(rng.IntN(2))} // two possible outputs: majorities and splits both happen
			outputs[[3]uint64{job, uint64(task), uint64(d)}] = out
			msg := cw.commitMsg(dev, job, task, out)
			if rng.IntN(6) == 0 {
				msg.Commitment = bytes.Repeat([]byte{9}, int(val(40)%64))
			}
			who, m = cw.owners[dev], msg
		case 5, 6, 7: // a reveal of what was committed, or not
			job, task := rng.Uint64N(jobs+2), uint32(rng.IntN(5))
			d := rng.IntN(len(cw.providers))
			if tk := (compute.Keeper{}).Task(c.snapshot(), job, task); tk != nil && len(tk.Assignments) > 0 && rng.IntN(4) != 0 {
				a := tk.Assignments[rng.IntN(len(tk.Assignments))]
				for i, p := range cw.providers {
					if bytes.Equal(p[:], a.Device) {
						d = i
					}
				}
			}
			dev := cw.providers[d]
			out, seen := outputs[[3]uint64{job, uint64(task), uint64(d)}]
			if !seen || rng.IntN(6) == 0 {
				out = bytes.Repeat([]byte{3}, int(val(100)%5000))
			}
			who, m = cw.owners[dev], cw.revealMsg(dev, job, task, out)
		case 8: // cancel anything, as anyone
			m = &computev1.MsgCancelJob{Consumer: who.addr.Bytes(), Job: rng.Uint64N(jobs + 2)}
		case 9: // a provider leaves mid-task
			dev := cw.providers[rng.IntN(len(cw.providers))]
			c.block(c.tx(cw.owners[dev], &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{
				Owner: cw.owners[dev].addr.Bytes(), Device: dev[:]}}}))
			continue
		case 10: // the owner changes or removes the compute params while jobs are escrowed
			p := renderParams()
			switch rng.IntN(4) {
			case 0:
				p.Compute = nil
			case 1:
				p.Compute.CommitSeconds, p.Compute.RevealSeconds = 1, 1
			case 2:
				p.Compute.SlashBps, p.Compute.MinPricePerTask, p.Compute.MaxReplicas = 10_000, 1<<40, 15
			}
			c.block(c.tx(cw.owner, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{
				Owner: cw.owner.addr.Bytes(), Network: "render", Params: p}}}))
			continue
		case 11: // time passes: past windows, sometimes past deadlines
			c.time = c.time.Add(time.Duration(1+rng.IntN([]int{60, 400, 2000}[rng.IntN(3)])) * time.Second)
			c.block()
			continue
		}
		r := c.result(who, computeMsg(m))
		name := fmt.Sprintf("%T", m)
		if r.Code == 0 {
			ok[name]++
			if _, isJob := m.(*computev1.MsgSubmitJob); isJob {
				jobs++
			}
		} else if r.Codespace == "" || r.Code == 1 {
			t.Fatalf("step %d: %s failed with an internal error: %s", step, name, r.Log)
		}
		if n := (network.Keeper{}).Network(c.snapshot(), "render"); n.Frozen {
			t.Fatalf("step %d: the network froze: %s", step, n.FrozenReason)
		}
		if got := (bank.Keeper{}).Supply(c.snapshot(), "udpin"); got != supply {
			t.Fatalf("step %d: udpin supply %d, want %d", step, got, supply)
		}
	}
	// Let every job end: time past every deadline, blocks until the
	// timers are done; then nothing is left in escrow.
	c.time = c.time.Add(48 * time.Hour)
	for i := 0; i < 200 && c.balance(compute.Escrow, "udpin") != 0; i++ {
		c.block()
	}
	var running []uint64
	for id := uint64(1); id <= jobs; id++ {
		if j := (compute.Keeper{}).Job(c.snapshot(), id); j != nil && j.Status == computev1.JobStatus_JOB_STATUS_RUNNING {
			running = append(running, id)
		}
	}
	if got := c.balance(compute.Escrow, "udpin"); got != 0 || len(running) > 0 {
		n := (network.Keeper{}).Network(c.snapshot(), "render")
		t.Fatalf("after every deadline: %d left in escrow, jobs %v running (network frozen %v)", got, running, n.Frozen)
	}
	verified, failed := 0, 0
	for id := uint64(1); id <= jobs; id++ {
		if j := (compute.Keeper{}).Job(c.snapshot(), id); j != nil {
			verified, failed = verified+int(j.Verified), failed+int(j.Failed)
		}
	}
	t.Logf("succeeded %v; tasks verified %d, failed %d", ok, verified, failed)
	_ = api.JobTimer
	return c.hashes
}

// TestComputeIsDeterministic runs one adversarial workload twice on
// fresh apps: every block's app hash must be the same (Go randomizes map
// order per run, so a result that depended on it would differ).
func TestComputeIsDeterministic(t *testing.T) {
	seeds := uint64(2)
	if v, err := strconv.ParseUint(os.Getenv("DEPIN_ADVERSARIAL_SEEDS"), 10, 32); err == nil && v > 0 {
		seeds = v
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		a := computeAdversarialRun(t, seed, 150, 3)
		b := computeAdversarialRun(t, seed, 150, 3)
		if len(a) != len(b) {
			t.Fatalf("seed %d: %d blocks, then %d", seed, len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("seed %d, block %d: app hash %x, then %x", seed, i+1, a[i], b[i])
			}
		}
	}
}

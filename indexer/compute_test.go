package indexer

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// testDevice is the i-th made-up device id, as bytes and as the chain
// writes it in events.
func testDevice(i int) (crypto.DeviceID, string) {
	h := sha256.Sum256([]byte(fmt.Sprint("provider ", i)))
	id, _ := crypto.AddressFromBytes(h[:20])
	return id, crypto.DeviceString(id)
}

func testOutput(t *testing.T, o sandbox.Output) []byte {
	t.Helper()
	b, err := sandbox.EncodeOutput(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestComputeEvents: two jobs from their events and txs alone — job 1's
// task 0 verified in its first round (its output, a PNG tile, taken from
// the reveal tx), task 1 without a majority in round 1 (one provider never
// committed) and verified in round 2 over an outvoted provider; job 2
// expired before anyone committed — keep the jobs' terms, the tasks'
// rounds, results and files, every provider's part in every round, and
// providers' running totals as the chain keeps its ProviderStats.
func TestComputeEvents(t *testing.T) {
	w := testWriter(t, 20)
	w.blockTime = time.Unix(1_764_000_000, 0)
	seq := 0
	apply := func(tx *auth.Tx, evs ...proto.Message) {
		t.Helper()
		for _, ev := range evs {
			if err := w.event(0, seq, event.ToABCI(ev), tx); err != nil {
				t.Fatalf("%T: %v", ev, err)
			}
			seq++
		}
	}
	q := func(query string, args ...any) string {
		t.Helper()
		rows, err := w.tx.QueryContext(w.ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(parts, " "))
		}
		return strings.Join(out, "; ")
	}
	ids := make([]crypto.DeviceID, 5)
	dev := make([]string, 5)
	for i := range dev {
		ids[i], dev[i] = testDevice(i)
		apply(nil, &devicev1.EventDeviceRegistered{Device: dev[i], Network: "render", Owner: fmt.Sprint("depin1owner", i), Cell: 0x8a1fb46622dffff, Capacity: 100, Stake: 1})
	}
	module := []byte("\x00asm\x01\x00\x00\x00 a module")
	msum := sha256.Sum256(module)
	submit := &computev1.MsgSubmitJob{Network: "render", Module: &computev1.Blob{Sha256: msum[:], Size: uint64(len(module)), Inline: module},
		Args: []string{"--spp", "4"}, Tasks: 2, Replicas: 2, Limits: &computev1.Limits{MemoryBytes: 64 << 20, TimeoutMs: 10_000, MaxOutputBytes: 4096},
		PricePerTask: 10, DeadlineSeconds: 600}
	other := &computev1.MsgSubmitJob{Network: "render", Module: submit.Module, Tasks: 1, Replicas: 2, Limits: submit.Limits, PricePerTask: 7, DeadlineSeconds: 120}
	txOf := func(msgs ...*txv1.Msg) *auth.Tx { return &auth.Tx{Body: &txv1.TxBody{Messages: msgs}} }
	// One tx submits both jobs: each event finds its own message.
	submitTx := txOf(&txv1.Msg{Sum: &txv1.Msg_SubmitJob{SubmitJob: submit}}, &txv1.Msg{Sum: &txv1.Msg_SubmitJob{SubmitJob: other}})
	apply(submitTx,
		&computev1.EventJobSubmitted{Id: 1, Consumer: "depin1dave", Network: "render", Tasks: 2, Replicas: 2, Escrow: 100, Denom: "udpin", ModuleSha256: msum[:]},
		&computev1.EventTaskAssigned{Job: 1, Task: 0, Round: 1, Devices: []string{dev[0], dev[1]}, CommitDeadline: 1_764_000_060},
		&computev1.EventTaskAssigned{Job: 1, Task: 1, Round: 1, Devices: []string{dev[1], dev[2]}, CommitDeadline: 1_764_000_060},
		&computev1.EventJobSubmitted{Id: 2, Consumer: "depin1dave", Network: "render", Tasks: 1, Replicas: 2, Escrow: 35, Denom: "udpin", ModuleSha256: msum[:]},
		&computev1.EventTaskAssigned{Job: 2, Task: 0, Round: 1, Devices: []string{dev[2], dev[3]}, CommitDeadline: 1_764_000_060})
	if got, want := q(`SELECT id, tasks, replicas, price_per_task, escrow, status, module_sha256, module_size, inputs, args, memory_bytes, timeout_ms, max_output_bytes,
  submit_time, deadline, submitted_height FROM compute_jobs ORDER BY id`),
		fmt.Sprintf(`1 2 2 10 100 RUNNING %x %d 0 ["--spp","4"] 67108864 10000 4096 1764000000 1764000600 20; 2 1 2 7 35 RUNNING %x %d 0 [] 67108864 10000 4096 1764000000 1764000120 20`,
			msum, len(module), msum, len(module)); got != want {
		t.Fatalf("jobs:\n got %s\nwant %s", got, want)
	}

	// Task 0: both commit (the reveal window opens), both reveal the
	// same tile, both are paid: verified.
	var tile bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.NRGBA{R: 200, A: 255})
	if err := png.Encode(&tile, img); err != nil {
		t.Fatal(err)
	}
	out0 := testOutput(t, sandbox.Output{Status: sandbox.OK, Stdout: []byte("tile 0\n"), Files: []sandbox.File{{Path: "tile.png", Data: tile.Bytes()}}})
	h0 := sha256.Sum256(out0)
	apply(nil, &computev1.EventResultCommitted{Job: 1, Task: 0, Device: dev[0]})
	if got := q(`SELECT status FROM compute_tasks WHERE job = 1 AND idx = 0`); got != "COMMIT" {
		t.Fatalf("task 0 after one commitment: %s", got)
	}
	apply(nil, &computev1.EventResultCommitted{Job: 1, Task: 0, Device: dev[1]})
	if got := q(`SELECT status FROM compute_tasks WHERE job = 1 AND idx = 0`); got != "REVEAL" {
		t.Fatalf("task 0 after both commitments: %s", got)
	}
	reveal := func(i int, job uint64, task uint32, out []byte) *auth.Tx {
		h := sha256.Sum256(out)
		return txOf(&txv1.Msg{Sum: &txv1.Msg_RevealResult{RevealResult: &computev1.MsgRevealResult{Device: ids[i][:], Job: job, Task: task, OutputHash: h[:], Output: out}}})
	}
	apply(reveal(0, 1, 0, out0), &computev1.EventResultRevealed{Job: 1, Task: 0, Device: dev[0], OutputHash: h0[:]})
	if got := q(`SELECT device, revealed, output_hash, LENGTH(output) FROM compute_assignments WHERE job = 1 AND task = 0 ORDER BY device`); !strings.Contains(got,
		fmt.Sprintf("%s 1 %x %d", dev[0], h0, len(out0))) {
		t.Fatalf("a reveal keeps its output until the task is judged: %s", got)
	}
	apply(reveal(1, 1, 0, out0), &computev1.EventResultRevealed{Job: 1, Task: 0, Device: dev[1], OutputHash: h0[:]},
		&computev1.EventProviderPaid{Job: 1, Task: 0, Device: dev[0], Owner: "depin1owner0", Amount: 10, Denom: "udpin"},
		&computev1.EventProviderPaid{Job: 1, Task: 0, Device: dev[1], Owner: "depin1owner1", Amount: 10, Denom: "udpin"},
		&computev1.EventTaskVerified{Job: 1, Task: 0, OutputHash: h0[:], Agreed: 2, Round: 1})

	// Task 1: provider 2 never commits; 1 reveals alone: no majority, a
	// second round of 0, 3 and 4, where 4 is outvoted.
	out1 := testOutput(t, sandbox.Output{Status: sandbox.ExitNonZero, ExitCode: 3, Stdout: []byte("bad \x00 byte \xff")})
	h1 := sha256.Sum256(out1)
	wrong := testOutput(t, sandbox.Output{Status: sandbox.OK})
	hw := sha256.Sum256(wrong)
	apply(nil, &computev1.EventResultCommitted{Job: 1, Task: 1, Device: dev[1]})
	apply(reveal(1, 1, 1, wrong), &computev1.EventResultRevealed{Job: 1, Task: 1, Device: dev[1], OutputHash: hw[:]},
		&computev1.EventProviderPenalized{Job: 1, Task: 1, Device: dev[2], Reason: "no commitment"},
		&computev1.EventTaskAssigned{Job: 1, Task: 1, Round: 2, Devices: []string{dev[0], dev[3], dev[4]}, CommitDeadline: 1_764_000_200})
	for _, i := range []int{0, 3, 4} {
		apply(nil, &computev1.EventResultCommitted{Job: 1, Task: 1, Device: dev[i]})
	}
	apply(reveal(0, 1, 1, out1), &computev1.EventResultRevealed{Job: 1, Task: 1, Device: dev[0], OutputHash: h1[:]})
	apply(reveal(4, 1, 1, wrong), &computev1.EventResultRevealed{Job: 1, Task: 1, Device: dev[4], OutputHash: hw[:]})
	// Provider 3's reveal comes in a tx the index could not decode: the
	// output is still there, from provider 0's.
	apply(nil, &computev1.EventResultRevealed{Job: 1, Task: 1, Device: dev[3], OutputHash: h1[:]},
		&computev1.EventProviderPaid{Job: 1, Task: 1, Device: dev[0], Owner: "depin1owner0", Amount: 10, Denom: "udpin"},
		&computev1.EventProviderPaid{Job: 1, Task: 1, Device: dev[3], Owner: "depin1owner3", Amount: 10, Denom: "udpin"},
		&computev1.EventProviderPenalized{Job: 1, Task: 1, Device: dev[4], Reason: "outvoted", Slashed: 50},
		&computev1.EventTaskVerified{Job: 1, Task: 1, OutputHash: h1[:], Agreed: 2, Round: 2},
		&computev1.EventJobFinished{Id: 1, Status: computev1.JobStatus_JOB_STATUS_DONE, Verified: 2, Failed: 0, Paid: 40, Refunded: 60})
	// Job 2 expires with nothing committed.
	apply(nil, &computev1.EventTaskFailed{Job: 2, Task: 0, Reason: "the job's deadline passed"},
		&computev1.EventJobFinished{Id: 2, Status: computev1.JobStatus_JOB_STATUS_EXPIRED, Failed: 1, Refunded: 35})

	for _, c := range []struct{ name, query, want string }{
		{"jobs", `SELECT id, status, verified, failed, paid, refunded, finished_height FROM compute_jobs ORDER BY id`,
			"1 DONE 2 0 40 60 20; 2 EXPIRED 0 1 0 35 20"},
		{"tasks", `SELECT job, idx, round, status, output_hash, output_size, agreed, reason, result, exit_code, stdout, stdout_size, files, png_path, png_width, png_height
FROM compute_tasks ORDER BY job, idx`, fmt.Sprintf("1 0 1 VERIFIED %x %d 2  ok 0 tile 0\n 7 1 tile.png 4 3; 1 1 2 VERIFIED %x %d 2  exit-non-zero 3 bad \uFFFD byte \uFFFD 12 0  0 0; "+
			"2 0 1 FAILED  0 0 the job's deadline passed  0  0 0  0 0", h0, len(out0), h1, len(out1))},
		{"outputs", `SELECT job, idx, output = $1, output = $2 FROM compute_tasks WHERE output IS NOT NULL ORDER BY job, idx`, "1 0 1 0; 1 1 0 1"},
		{"files", `SELECT job, task, idx, path, size FROM compute_files`, fmt.Sprintf("1 0 0 tile.png %d", tile.Len())},
		{"assignments", `SELECT job, task, round, device, open, committed, revealed, outcome, paid, slashed, output IS NULL FROM compute_assignments ORDER BY job, task, round, device`,
			strings.Join(sortedRows([]string{
				fmt.Sprintf("1 0 1 %s 0 1 1 AGREED 10 0 1", dev[0]), fmt.Sprintf("1 0 1 %s 0 1 1 AGREED 10 0 1", dev[1]),
				fmt.Sprintf("1 1 1 %s 0 1 1 NO_MAJORITY 0 0 1", dev[1]), fmt.Sprintf("1 1 1 %s 0 0 0 NO_COMMITMENT 0 0 1", dev[2]),
				fmt.Sprintf("1 1 2 %s 0 1 1 AGREED 10 0 1", dev[0]), fmt.Sprintf("1 1 2 %s 0 1 1 AGREED 10 0 1", dev[3]),
				fmt.Sprintf("1 1 2 %s 0 1 1 OUTVOTED 0 50 1", dev[4]),
				fmt.Sprintf("2 0 1 %s 0 0 0 EXPIRED 0 0 1", dev[2]), fmt.Sprintf("2 0 1 %s 0 0 0 EXPIRED 0 0 1", dev[3]),
			}), "; ")},
		{"providers", `SELECT device, network, assigned, agreed, outvoted, missed, earned, slashed FROM compute_providers ORDER BY device`,
			strings.Join(sortedRows([]string{
				dev[0] + " render 0 2 0 0 20 0", dev[1] + " render 0 1 0 0 10 0", dev[2] + " render 0 0 0 1 0 0",
				dev[3] + " render 0 1 0 0 10 0", dev[4] + " render 0 0 1 0 0 50",
			}), "; ")},
		{"payments", `SELECT job, task, device, amount, network FROM compute_payments ORDER BY seq`,
			fmt.Sprintf("1 0 %s 10 render; 1 0 %s 10 render; 1 1 %s 10 render; 1 1 %s 10 render", dev[0], dev[1], dev[0], dev[3])},
		{"penalties", `SELECT job, task, device, reason, slashed, network FROM compute_penalties ORDER BY seq`,
			fmt.Sprintf("1 1 %s no commitment 0 render; 1 1 %s outvoted 50 render", dev[2], dev[4])},
	} {
		var got string
		if c.name == "outputs" {
			got = q(c.query, out0, out1)
		} else {
			got = q(c.query)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// sortedRows sorts rows as the queries order them (by their text, which
// starts with the ordering columns).
func sortedRows(rows []string) []string { return slices.Sorted(slices.Values(rows)) }

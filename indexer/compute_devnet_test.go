package indexer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	uh3 "github.com/uber/h3-go/v4"
	"google.golang.org/protobuf/proto"

	api "github.com/depinhq/depin/api/compute"
	apidevice "github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/compute/tiles"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
)

// ComputeDevnet is a devnet with a compute market formed through the
// chain: network "render" (COMPUTE, api/compute.DefaultParams) with three
// providers in three cities, owned by alice, bob and carol. Dave submits
// job 1, the render example's shape: 16 tasks, 3 replicas, each task
// writing /out/tile.png, a 64×64 tile of a 256×256 picture (4×4,
// row-major by task index); every provider commits and reveals
// sandbox-encoded outputs, carol's last tile is another picture's, so she
// is outvoted (slashed) on task 15. Then job 2: one task of 2 replicas
// whose providers disagree, with no fresh provider for a second round:
// it fails.
type ComputeDevnet struct {
	t         testing.TB
	C         *client.Client
	Keys      map[string]*keystore.Key
	Providers []crypto.DeviceID // alice's, bob's, carol's
	owners    map[crypto.DeviceID]*keystore.Key
	// Tiles are job 1's verified tiles in task order; Picture is what
	// they make (tiles.JoinPNGTiles).
	Tiles   [][]byte
	Picture []byte
	// Job is the render job, Failed the job whose task failed.
	Job, Failed uint64
}

// computeNetworkParams are render's params.
func computeNetworkParams() *networkv1.Params {
	return &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "work", Unit: "units", BoundNum: 1, BoundDen: 1, Weight: 1}},
		EpochSeconds: network.MinEpochSeconds, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
		MinStake: 1_000_000, UnbondingSeconds: 3600, MinMoveIntervalSeconds: 3600, Compute: api.DefaultParams(),
	}
}

// RenderPicture is the 256×256 picture job 1 renders (seed 0), or the one
// a cheater's tile comes from (seed 1): smooth gradients and rings, so
// every tile differs.
func RenderPicture(seed int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	for y := range 256 {
		for x := range 256 {
			dx, dy := x-128, y-128
			ring := uint8((dx*dx + dy*dy) / (64 + 32*seed))
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: uint8(y) ^ ring, B: uint8(255-x) + uint8(seed*90), A: 255})
		}
	}
	return img
}

// tileOutput is task i's canonical output: a 64×64 tile of picture
// as /out/tile.png.
func tileOutput(t testing.TB, picture *image.NRGBA, i int) (output, tile []byte) {
	t.Helper()
	x, y := i%4*64, i/4*64
	sub := picture.SubImage(image.Rect(x, y, x+64, y+64))
	var b bytes.Buffer
	if err := png.Encode(&b, sub); err != nil {
		t.Fatal(err)
	}
	out, err := sandbox.EncodeOutput(sandbox.Output{Status: sandbox.OK, Stdout: []byte(fmt.Sprintf("tile %d\n", i)),
		Files: []sandbox.File{{Path: "tile.png", Data: b.Bytes()}}})
	if err != nil {
		t.Fatal(err)
	}
	return out, b.Bytes()
}

// NewComputeDevnet forms render and its providers on the devnet at home.
func NewComputeDevnet(t testing.TB, c *client.Client, home string) *ComputeDevnet {
	t.Helper()
	ctx := context.Background()
	ks := keystore.Open(node.KeysDir(home))
	cd := &ComputeDevnet{t: t, C: c, Keys: map[string]*keystore.Key{}, owners: map[crypto.DeviceID]*keystore.Key{}}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		k, err := ks.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		cd.Keys[name] = k
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	alice := cd.Keys["alice"]
	makerSeed := sha256.Sum256([]byte("render maker"))
	maker := ed25519.NewKeyFromSeed(makerSeed[:])
	cd.send(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.Address.Bytes(), Id: "render", Name: "Render", Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE, RewardDenom: "urender",
		Params: computeNetworkParams()}}},
		&txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: alice.Address.Bytes(), Network: "render", MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "GPU Co"}}})
	cities := []uh3.LatLng{{Lat: 59.3293, Lng: 18.0686}, {Lat: 50.0755, Lng: 14.4378}, {Lat: 38.7223, Lng: -9.1393}}
	for i, owner := range []string{"alice", "bob", "carol"} {
		k := cd.Keys[owner]
		seed := sha256.Sum256([]byte(fmt.Sprint("render gpu ", i)))
		dev := ed25519.NewKeyFromSeed(seed[:])
		cert, err := apidevice.SignCert(maker, chainID, &devicev1.DeviceCert{Network: "render", DevicePublicKey: dev.Public().(ed25519.PublicKey),
			Model: "GPU 1", Serial: fmt.Sprint("g", i), Capacity: 100, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		id := crypto.AddressFromPubKey(dev.Public().(ed25519.PublicKey))
		cd.send(k, client.RegisterDeviceMsg(chainID, k.Address, cert, dev, uint64(uh3.LatLngToCell(cities[i], 10))))
		cd.Providers = append(cd.Providers, id)
		cd.owners[id] = k
	}
	return cd
}

func (cd *ComputeDevnet) send(k *keystore.Key, msgs ...*txv1.Msg) {
	cd.t.Helper()
	r, err := cd.C.SendTx(context.Background(), k.Private, msgs, client.TxOptions{})
	if err != nil {
		cd.t.Fatalf("%T: %v", msgs[0].Sum, err)
	}
	if r.Code != 0 {
		cd.t.Fatalf("%T: code %d: %s", msgs[0].Sum, r.Code, r.Log)
	}
}

// submit has dave submit a job of tasks × replicas and returns its id.
func (cd *ComputeDevnet) submit(tasks, replicas uint32) uint64 {
	cd.t.Helper()
	module := []byte("\x00asm\x01\x00\x00\x00 the render example's tile module (the chain never runs it)")
	sum := sha256.Sum256(module)
	dave := cd.Keys["dave"]
	cd.send(dave, &txv1.Msg{Sum: &txv1.Msg_SubmitJob{SubmitJob: &computev1.MsgSubmitJob{Consumer: dave.Address.Bytes(), Network: "render",
		Module: &computev1.Blob{Sha256: sum[:], Size: uint64(len(module)), Inline: module}, Args: []string{"--spp", "4"},
		Tasks: tasks, Replicas: replicas, Limits: &computev1.Limits{MemoryBytes: 64 << 20, TimeoutMs: 10_000, MaxOutputBytes: 64 << 10},
		PricePerTask: 1000, DeadlineSeconds: 600}}})
	var last uint64
	job := &computev1.Job{}
	for {
		j := &computev1.Job{}
		if ok, err := cd.C.GetProto(context.Background(), api.JobKey(last+1), j); err != nil {
			cd.t.Fatal(err)
		} else if !ok {
			break
		}
		last++
		job = j
	}
	// The chain's compute step assigns the tasks in the blocks after.
	for deadline := time.Now().Add(30 * time.Second); job.Assigned < job.Tasks; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			cd.t.Fatalf("job %d: %d of %d tasks assigned after 30 s", last, job.Assigned, job.Tasks)
		}
		if _, err := cd.C.GetProto(context.Background(), api.JobKey(last), job); err != nil {
			cd.t.Fatal(err)
		}
	}
	return last
}

// Task is a task's record on chain.
func (cd *ComputeDevnet) Task(job uint64, i uint32) *computev1.Task {
	cd.t.Helper()
	var t computev1.Task
	if ok, err := cd.C.GetProto(context.Background(), api.TaskKey(job, i), &t); err != nil || !ok {
		cd.t.Fatalf("job %d task %d on chain: %v %v", job, i, ok, err)
	}
	return &t
}

func salt(dev crypto.DeviceID) []byte { return bytes.Repeat(dev[:2], 8) }

// run has every provider of job commit to and then reveal outputs[task][device]
// (a provider without one stays silent), one tx of each kind per owner,
// in the order of cd.Providers.
func (cd *ComputeDevnet) run(job uint64, outputs map[uint32]map[crypto.DeviceID][]byte) {
	cd.t.Helper()
	for _, reveal := range []bool{false, true} {
		for _, dev := range cd.Providers {
			owner := cd.owners[dev]
			var msgs []*txv1.Msg
			for task := uint32(0); task < uint32(len(outputs)); task++ {
				out, ok := outputs[task][dev]
				if !ok {
					continue
				}
				h := sha256.Sum256(out)
				if reveal {
					msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_RevealResult{RevealResult: &computev1.MsgRevealResult{Owner: owner.Address.Bytes(), Device: dev[:],
						Job: job, Task: task, OutputHash: h[:], Salt: salt(dev), Output: out}}})
				} else {
					msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_CommitResult{CommitResult: &computev1.MsgCommitResult{Owner: owner.Address.Bytes(), Device: dev[:],
						Job: job, Task: task, Commitment: api.Commitment(h[:], dev, salt(dev))}}})
				}
			}
			if len(msgs) > 0 {
				cd.send(owner, msgs...)
			}
		}
	}
}

// RunScenario runs job 1 (carol's device cheats on task 15) and job 2
// (its two providers disagree) to their end.
func (cd *ComputeDevnet) RunScenario() {
	cd.t.Helper()
	good, other := RenderPicture(0), RenderPicture(1)
	cd.Job = cd.submit(16, 3)
	cheater := cd.Providers[2]
	outputs := map[uint32]map[crypto.DeviceID][]byte{}
	for i := range 16 {
		out, tile := tileOutput(cd.t, good, i)
		cd.Tiles = append(cd.Tiles, tile)
		outputs[uint32(i)] = map[crypto.DeviceID][]byte{}
		for _, a := range cd.Task(cd.Job, uint32(i)).Assignments {
			dev, _ := crypto.AddressFromBytes(a.Device)
			outputs[uint32(i)][dev] = out
			if i == 15 && dev == cheater {
				outputs[uint32(i)][dev], _ = tileOutput(cd.t, other, i)
			}
		}
	}
	cd.run(cd.Job, outputs)
	pic, err := tiles.JoinPNGTiles(cd.Tiles, 4)
	if err != nil {
		cd.t.Fatal(err)
	}
	cd.Picture = pic
	if j := cd.job(cd.Job); j.Status != computev1.JobStatus_JOB_STATUS_DONE || j.Verified != 16 {
		cd.t.Fatalf("job %d after every reveal: %s, %d verified", cd.Job, j.Status, j.Verified)
	}
	// Job 2: the chain draws two of the providers not jailed; they disagree.
	cd.Failed = cd.submit(1, 2)
	outputs = map[uint32]map[crypto.DeviceID][]byte{0: {}}
	for k, a := range cd.Task(cd.Failed, 0).Assignments {
		dev, _ := crypto.AddressFromBytes(a.Device)
		outputs[0][dev], _ = tileOutput(cd.t, []*image.NRGBA{good, other}[k], 0)
	}
	cd.run(cd.Failed, outputs)
	if j := cd.job(cd.Failed); j.Status != computev1.JobStatus_JOB_STATUS_DONE || j.Failed != 1 {
		cd.t.Fatalf("job %d after its reveals: %s, %d failed", cd.Failed, j.Status, j.Failed)
	}
}

func (cd *ComputeDevnet) job(id uint64) *computev1.Job {
	cd.t.Helper()
	var j computev1.Job
	if ok, err := cd.C.GetProto(context.Background(), api.JobKey(id), &j); err != nil || !ok {
		cd.t.Fatalf("job %d on chain: %v %v", id, ok, err)
	}
	return &j
}

// CheckComputeIndex compares the index with the chain at the index's
// height, after RunScenario: both jobs' books, every task's state, round
// and verified output (byte for byte), every provider's record.
func CheckComputeIndex(t *testing.T, db *DB, cd *ComputeDevnet) {
	ctx := context.Background()
	h, err := db.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := func(key []byte, m proto.Message) {
		t.Helper()
		r, err := cd.C.QueryKey(ctx, key, client.QueryOptions{Height: h})
		if err != nil || r.Value == nil {
			t.Fatalf("chain %x at %d: %v", key, h, err)
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []uint64{cd.Job, cd.Failed} {
		var j computev1.Job
		at(api.JobKey(id), &j)
		var status, escrow, paid, refunded, price string
		var verified, failed, tasks int
		if err := db.QueryRow(`SELECT status, escrow, paid, refunded, price_per_task, verified, failed, tasks FROM compute_jobs WHERE id = $1`, int64(id)).
			Scan(&status, &escrow, &paid, &refunded, &price, &verified, &failed, &tasks); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintln(status, escrow, paid, refunded, price, verified, failed, tasks)
		if want := fmt.Sprintln("DONE", j.Escrow, j.Paid, j.Refunded, j.PricePerTask, j.Verified, j.Failed, j.Tasks); got != want || j.Status != computev1.JobStatus_JOB_STATUS_DONE {
			t.Errorf("job %d (status, escrow, paid, refunded, price, verified, failed, tasks): index %s, chain %s (%s)", id, got, want, j.Status)
		}
		for i := uint32(0); i < j.Tasks; i++ {
			var task computev1.Task
			at(api.TaskKey(id, i), &task)
			var st, hash, reason string
			var round int
			var out []byte
			if err := db.QueryRow(`SELECT status, round, output_hash, reason, output FROM compute_tasks WHERE job = $1 AND idx = $2`, int64(id), int64(i)).
				Scan(&st, &round, &hash, &reason, &out); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintln(task.Status.String()[len("TASK_STATUS_"):], task.Round, hex.EncodeToString(task.OutputHash), task.Reason)
			if got := fmt.Sprintln(st, round, hash, reason); got != want || !bytes.Equal(out, task.Output) {
				t.Errorf("job %d task %d (status, round, hash, reason): index %s, chain %s; outputs equal %v", id, i, got, want, bytes.Equal(out, task.Output))
			}
		}
	}
	for i, id := range cd.Providers {
		var st computev1.ProviderStats
		at(api.StatsKey(id), &st)
		var assigned, agreed, outvoted, missed int64
		var earned string
		if err := db.QueryRow(`SELECT assigned, agreed, outvoted, missed, earned FROM compute_providers WHERE device = $1`, crypto.DeviceString(id)).
			Scan(&assigned, &agreed, &outvoted, &missed, &earned); err != nil {
			t.Fatalf("provider %d: %v", i, err)
		}
		got := fmt.Sprint(assigned, " ", agreed, " ", outvoted, " ", missed, " ", earned)
		if want := fmt.Sprint(st.Assigned, " ", st.TasksAgreed, " ", st.TasksOutvoted, " ", st.TasksMissed, " ", st.Earned); got != want {
			t.Errorf("provider %d (assigned, agreed, outvoted, missed, earned): index %s, chain %s", i, got, want)
		}
	}
	// Carol's device was outvoted on task 15, once.
	var device, reason, slashed string
	if err := db.QueryRow(`SELECT device, reason, slashed FROM compute_penalties WHERE job = $1`, int64(cd.Job)).Scan(&device, &reason, &slashed); err != nil {
		t.Fatal(err)
	}
	if device != crypto.DeviceString(cd.Providers[2]) || reason != "outvoted" || slashed == "0" {
		t.Errorf("job 1's penalty: %s %s %s", device, reason, slashed)
	}
}

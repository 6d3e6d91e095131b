package computeclient_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/computeclient"
	"github.com/depinhq/depin/computenet"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/examples/render"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
)

// TestBadModulesAreVerifiedFailures: modules that loop for ever, eat
// memory, dial out, read a host file, are not WebAssembly, or do not hash
// to what the job says each end as a verified outcome that names what
// happened (every honest provider reaches the same one); the providers
// are paid and unharmed, the consumer pays for the verified failure.
func TestBadModulesAreVerifiedFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet, storage nodes and compute providers")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	module, err := render.BuildWasip1(ctx, "./testdata/misbehave")
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	chain, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.UseAPI(n.APIURL()); err != nil {
		t.Fatal(err)
	}
	alice := devKey(t, n, "alice").Private
	sc := storagenet.DefaultConfig()
	sc.Nodes, sc.Dir, sc.Funder = 4, t.TempDir(), alice
	sn, err := storagenet.Start(ctx, chain, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.Close)
	storageFor := func(key []byte) *storageclient.Client {
		c := storageclient.DefaultConfig()
		c.Key = key
		s, err := storageclient.New(chain, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cc := computenet.DefaultConfig()
	cc.Funder = alice
	cc.Provider = func(i int, c *computenode.Config) {
		c.Blobs = computeclient.StorageBlobs{Storage: storageFor(c.OwnerKey)}
	}
	cn, err := computenet.Start(ctx, chain, cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cn.Close)
	bob := devKey(t, n, "bob").Private
	cl := computeclient.New(chain, bob, storageFor(bob), nil)

	// One job whose tasks misbehave in turn (5 tasks: the last behaves).
	sub, err := cl.Submit(ctx, computeclient.Job{Network: "render", Module: module, Tasks: 5, Replicas: 3, Price: 100,
		Deadline: 10 * time.Minute, Memory: 64 << 20, Timeout: 3 * time.Second, Output: 4096})
	if err != nil {
		t.Fatal(err)
	}
	st, err := cl.Wait(ctx, sub.ID, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := computeclient.Outputs(st)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status sandbox.Status
		code   uint32
	}{{sandbox.Timeout, 0}, {sandbox.OutOfMemory, 0}, {sandbox.ExitNonZero, 3}, {sandbox.ExitNonZero, 4}, {sandbox.OK, 0}}
	for i, w := range want {
		if outs[i] == nil || outs[i].Status != w.status || outs[i].ExitCode != w.code {
			t.Fatalf("task %d: %+v, want %s (exit %d)", i, outs[i], w.status, w.code)
		}
	}
	if st.Job.Verified != 5 || st.Job.Paid != 5*3*100 {
		t.Fatalf("job: %d verified, paid %d", st.Job.Verified, st.Job.Paid)
	}

	// Not WebAssembly (carried inline: the chain checks its hash), and a
	// module in storage whose bytes are not what the job's hash says.
	junk := []byte("\x00asm but not really a module")
	for _, tc := range []struct {
		name string
		job  func() (uint64, error)
	}{
		{"not wasm", func() (uint64, error) {
			s, err := cl.Submit(ctx, computeclient.Job{Network: "render", Module: junk, Tasks: 1, Replicas: 3, Price: 100, Deadline: 10 * time.Minute})
			if err != nil {
				return 0, err
			}
			return s.ID, nil
		}},
		{"hash mismatch", func() (uint64, error) {
			put, err := storageFor(bob).Put(ctx, bytes.NewReader(module), uint64(len(module)), storageclient.PutOptions{K: 2, N: 4, Duration: time.Hour})
			if err != nil {
				return 0, err
			}
			key, err := storageFor(bob).FileKey(put.FileID)
			if err != nil {
				return 0, err
			}
			wrong := sha256.Sum256(append(module, 0))
			m := &computev1.MsgSubmitJob{Consumer: cl.Owner().Bytes(), Network: "render",
				Module: &computev1.Blob{Sha256: wrong[:], Size: uint64(len(module)), Deal: put.Deal, FileKey: key},
				Tasks:  1, Replicas: 3, Limits: &computev1.Limits{MemoryBytes: 64 << 20, TimeoutMs: 1000, MaxOutputBytes: 4096},
				PricePerTask: 100, DeadlineSeconds: 600}
			if _, err := chain.SendTx(ctx, bob, []*txv1.Msg{{Sum: &txv1.Msg_SubmitJob{SubmitJob: m}}}, client.TxOptions{}); err != nil {
				return 0, err
			}
			jobs, err := chain.JobsOf(ctx, cl.Owner())
			if err != nil {
				return 0, err
			}
			return jobs[len(jobs)-1].Id, nil
		}},
	} {
		id, err := tc.job()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		st, err := cl.Wait(ctx, id, 200*time.Millisecond, nil)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := computeclient.Outputs(st)
		if err != nil {
			t.Fatal(err)
		}
		if st.Job.Verified != 1 || outs[0] == nil || outs[0].Status != sandbox.InvalidModule {
			t.Fatalf("%s: %d verified, outcome %+v", tc.name, st.Job.Verified, outs[0])
		}
	}
	// Nobody was outvoted, slashed or jailed.
	for i := range cc.Providers {
		s, err := chain.ProviderStats(ctx, cn.ID(i))
		if err != nil {
			t.Fatal(err)
		}
		d, err := chain.Device(ctx, cn.ID(i), client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s.TasksOutvoted != 0 || s.TasksMissed != 0 || s.TasksAgreed != 7 || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
			t.Fatalf("provider %d: %v, %s", i, s, d.Status)
		}
	}
}

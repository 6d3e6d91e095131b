package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/computeclient"
	"github.com/depinhq/depin/computenet"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/examples/render"
	"github.com/depinhq/depin/examples/render/tracer"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
)

// ComputeConfig is what 'depin bench compute' runs.
type ComputeConfig struct {
	Providers int
	Replicas  uint32
	Samples   int // per pixel: the work of the render job
	Dir       string
	Funder    ed25519.PrivateKey // creates the networks and funds their devices' owners
	Consumer  ed25519.PrivateKey // submits the job
	Progress  io.Writer
	// Module is the render example's tile module (render.BuildTileModule).
	Module []byte
	// Logger, if set, logs the providers' work.
	Logger *slog.Logger
}

// DefaultComputeConfig: 3 providers, 2 replicas, 128 samples per pixel
// (12–14 s of wasm work on one core of a 2-vCPU EPYC: the goal is
// for jobs of at least 10 s of work).
func DefaultComputeConfig() ComputeConfig {
	return ComputeConfig{Providers: 3, Replicas: 2, Samples: 128}
}

// ComputeResult is what 'depin bench compute' measured.
type ComputeResult struct {
	Tasks     int     `json:"tasks"`
	Replicas  uint32  `json:"replicas"`
	Providers int     `json:"providers"`
	Samples   int     `json:"samples_per_pixel"`
	Cores     int     `json:"cores"`
	Module    int     `json:"module_bytes"`
	Native    float64 `json:"native_seconds"`       // the whole image, natively, one core
	Compile   float64 `json:"compile_seconds"`      // wazero compiling the module once
	Direct    float64 `json:"direct_wasm_seconds"`  // every task once, one after another, in one process (compiled)
	Ideal     float64 `json:"ideal_seconds"`        // replicas × direct / cores
	Pipeline  float64 `json:"pipeline_seconds"`     // submit (module already stored) → every task verified
	Store     float64 `json:"store_module_seconds"` // putting the module in the storage network
	Ratio     float64 `json:"pipeline_over_ideal"`  // goal ≤ 1.5
	// PipelineCPU is the CPU the whole process (providers, chain, storage
	// nodes) used while the job ran: against replicas × direct, what the
	// pipeline costs beyond the work itself.
	PipelineCPU float64 `json:"pipeline_cpu_seconds"`
	Fixed       float64 `json:"fixed_seconds_per_task"` // a 1-task job of almost no work: submit → verified
	Identical   bool    `json:"image_identical"`        // the stitched tiles equal the native render
}

// Compute runs the render example's job through the whole pipeline on an
// in-process storage network (for the module) and compute network, and
// in the same run the same work directly: natively, and in wazero in one
// process.
func Compute(ctx context.Context, c *client.Client, cfg ComputeConfig) (*ComputeResult, error) {
	say := func(format string, a ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format, a...)
		}
	}
	if cfg.Funder == nil || cfg.Consumer == nil || len(cfg.Module) == 0 || cfg.Dir == "" {
		return nil, errors.New("bench compute: funder, consumer, module and directory are required")
	}
	const tasks = 16
	res := &ComputeResult{Tasks: tasks, Replicas: cfg.Replicas, Providers: cfg.Providers, Samples: cfg.Samples, Cores: runtime.NumCPU(), Module: len(cfg.Module)}
	args := []string{"-samples", strconv.Itoa(cfg.Samples)}

	say("native render (%d samples per pixel)…\n", cfg.Samples)
	scene := tracer.DemoScene()
	scene.Samples = cfg.Samples
	start := time.Now()
	scene.Render(image.Rect(0, 0, scene.Width, scene.Height))
	res.Native = time.Since(start).Seconds()

	say("the %d tasks in wazero, one after another…\n", tasks)
	runner, err := sandbox.NewRunner(ctx, sandbox.DefaultConfig())
	if err != nil {
		return nil, err
	}
	limits := sandbox.Limits{MemoryBytes: 64 << 20, Timeout: 10 * time.Minute, MaxOutputBytes: 64 << 10, MaxOutputFiles: 4, MaxStdoutBytes: 64 << 10}
	start = time.Now()
	if _, err := runner.Run(ctx, sandbox.Task{Module: cfg.Module, Args: []string{"-samples", "1"}, Index: 0}, limits); err != nil {
		runner.Close(ctx)
		return nil, err
	}
	res.Compile = time.Since(start).Seconds() // compiling, and a tile of one sample
	start = time.Now()
	for i := range tasks {
		r, err := runner.Run(ctx, sandbox.Task{Module: cfg.Module, Args: args, Index: uint32(i), Seed: computenode.TaskSeed(0)}, limits)
		if err != nil || r.Status != sandbox.OK {
			runner.Close(ctx)
			return nil, fmt.Errorf("task %d directly: %v %s", i, err, r.Reason)
		}
	}
	res.Direct = time.Since(start).Seconds()
	runner.Close(ctx)
	res.Ideal = float64(cfg.Replicas) * res.Direct / float64(res.Cores)

	if err := WaitForHeight(ctx, c, 2, 30*time.Second); err != nil {
		return nil, err
	}
	say("starting 4 storage nodes and %d providers…\n", cfg.Providers)
	sc := storagenet.DefaultConfig()
	sc.Network, sc.Nodes, sc.Dir, sc.Funder = "bench-vault", 4, filepath.Join(cfg.Dir, "storage"), cfg.Funder
	sn, err := storagenet.Start(ctx, c, sc)
	if err != nil {
		return nil, err
	}
	defer sn.Close()
	storageFor := func(key ed25519.PrivateKey) (*storageclient.Client, error) {
		s := storageclient.DefaultConfig()
		s.Key = key
		return storageclient.New(c, s)
	}
	cc := computenet.DefaultConfig()
	cc.Network, cc.Providers, cc.Funder, cc.Logger = "bench-render", cfg.Providers, cfg.Funder, cfg.Logger
	var serr error
	cc.Provider = func(_ int, pc *computenode.Config) {
		s, err := storageFor(pc.OwnerKey)
		if err != nil {
			serr = err
		}
		pc.Blobs = computeclient.StorageBlobs{Storage: s}
	}
	cn, err := computenet.Start(ctx, c, cc)
	if err != nil {
		return nil, err
	}
	defer cn.Close()
	if serr != nil {
		return nil, serr
	}
	consumerStorage, err := storageFor(cfg.Consumer)
	if err != nil {
		return nil, err
	}
	cl := computeclient.New(c, cfg.Consumer, consumerStorage, nil)

	// The fixed cost: a job of one task with almost no work.
	say("a 1-task job of one sample per pixel (the fixed cost)…\n")
	job := computeclient.Job{Network: cc.Network, Module: cfg.Module, Args: []string{"-samples", "1"}, Tasks: 1, Replicas: cfg.Replicas, Price: 1000,
		Deadline: 30 * time.Minute, Memory: 64 << 20, Timeout: time.Minute, Output: 64 << 10}
	start = time.Now()
	sub, err := cl.Submit(ctx, job)
	if err != nil {
		return nil, err
	}
	if _, err := cl.Wait(ctx, sub.ID, 100*time.Millisecond, nil); err != nil {
		return nil, err
	}
	res.Fixed = time.Since(start).Seconds()

	say("the render job: %d tasks × %d replicas on %d providers…\n", tasks, cfg.Replicas, cfg.Providers)
	job.Tasks, job.Args = tasks, args
	// The module is stored once more for this job: timed apart, up to
	// the moment the job's tx is sent.
	var submitted time.Time
	job.Progress = func(s string) {
		if strings.HasPrefix(s, "submitting") {
			submitted = time.Now()
		}
	}
	start = time.Now()
	sub, err = cl.Submit(ctx, job)
	if err != nil {
		return nil, err
	}
	cpu0 := processCPU()
	st, err := cl.Wait(ctx, sub.ID, 100*time.Millisecond, nil)
	if err != nil {
		return nil, err
	}
	res.Pipeline = time.Since(submitted).Seconds()
	res.PipelineCPU = (processCPU() - cpu0).Seconds()
	res.Store = submitted.Sub(start).Seconds()
	res.Ratio = res.Pipeline / res.Ideal
	if st.Job.Verified != tasks {
		var why []string
		for _, t := range st.Tasks {
			if t.Reason != "" {
				why = append(why, fmt.Sprintf("task %d: %s", t.Index, t.Reason))
			}
		}
		return nil, fmt.Errorf("bench compute: %d of %d tasks verified (%s)", st.Job.Verified, tasks, strings.Join(why, "; "))
	}
	img, err := computeclient.JoinPNGTiles(st, 0)
	if err != nil {
		return nil, err
	}
	want, err := render.ReferenceWith(cfg.Samples)
	if err != nil {
		return nil, err
	}
	res.Identical = bytes.Equal(img, want)
	return res, nil
}

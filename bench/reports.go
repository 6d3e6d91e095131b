package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/wire"
	"github.com/uber/h3-go/v4"
)

// ReportsConfig configures Reports.
type ReportsConfig struct {
	Devices          int                  // registered devices
	ReportsPerDevice int                  // signed reports each device sends
	BatchSize        int                  // reports per ReportBatch tx
	Funders          []ed25519.PrivateKey // register devices and submit batches, in parallel
	Progress         io.Writer
	Timeout          time.Duration
	// Profile, if set, receives a CPU profile of the submission phase only
	// (the process must be the node too: --in-process).
	Profile io.Writer
}

// DefaultReportsConfig: 100k devices, one report each, batches of 5000.
func DefaultReportsConfig() ReportsConfig {
	return ReportsConfig{Devices: 100_000, ReportsPerDevice: 1, BatchSize: 5000, Timeout: 30 * time.Minute}
}

// ReportsResult is what the chain verified and committed.
type ReportsResult struct {
	Devices       int     `json:"devices"`
	Reports       int     `json:"reports"`
	Accepted      int     `json:"accepted"`
	Rejected      int     `json:"rejected"`
	Blocks        int     `json:"blocks"`
	ChainSeconds  float64 `json:"chain_seconds"`
	ReportsPerSec float64 `json:"reports_per_second"` // accepted / chain seconds
	// WallSeconds is submission start to the last batch seen committed;
	// WallPerSec = accepted / WallSeconds includes the submitters' own
	// pace (signing is done before), so it is the conservative figure.
	WallSeconds    float64 `json:"wall_seconds"`
	WallPerSec     float64 `json:"wall_reports_per_second"`
	SignedBytes    int     `json:"signed_report_bytes"`
	SetupSeconds   float64 `json:"setup_seconds"`
	VerifyLimit    Limit   `json:"verify_limit"`
	LimitShare     float64 `json:"share_of_batched_limit"`            // WallPerSec / VerifyLimit.BatchedAllCores (the end-to-end figure)
	ChainShare     float64 `json:"block_time_share_of_batched_limit"` // ReportsPerSec / VerifyLimit.BatchedAllCores (block pipeline only)
	MaxBlockTxs    int     `json:"max_block_txs"`
	RegisterPerSec float64 `json:"registrations_per_second"`
}

// Limit is the raw ed25519 verification rate of this machine, measured in
// the same run.
type Limit struct {
	Cores           int     `json:"cores"`
	SingleAllCores  float64 `json:"single_all_cores_per_second"`
	BatchedAllCores float64 `json:"batched_all_cores_per_second"`
}

// MeasureVerifyLimit verifies signatures on every core for about d each,
// one by one and in batches of 1024.
func MeasureVerifyLimit(d time.Duration) Limit {
	const n = 1024
	entries := make([]crypto.BatchEntry, n)
	for i := range entries {
		seed := sha256.Sum256([]byte(fmt.Sprintf("limit %d", i)))
		priv := ed25519.NewKeyFromSeed(seed[:])
		msg := seed[:]
		entries[i] = crypto.BatchEntry{PubKey: priv.Public().(ed25519.PublicKey), Message: msg, Sig: ed25519.Sign(priv, msg)}
	}
	cores := runtime.GOMAXPROCS(0)
	run := func(batch bool) float64 {
		var wg sync.WaitGroup
		counts := make([]int, cores)
		deadline := time.Now().Add(d)
		start := time.Now()
		for c := 0; c < cores; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if batch {
						crypto.BatchVerify(entries)
						counts[c] += n
					} else {
						for i := 0; i < 64; i++ {
							e := entries[i]
							if !crypto.VerifyRaw(e.PubKey, e.Message, e.Sig) {
								panic("bench: invalid fixture signature")
							}
						}
						counts[c] += 64
					}
				}
			}()
		}
		wg.Wait()
		total := 0
		for _, c := range counts {
			total += c
		}
		return float64(total) / time.Since(start).Seconds()
	}
	return Limit{Cores: cores, SingleAllCores: run(false), BatchedAllCores: run(true)}
}

// Reports registers cfg.Devices devices in a fresh network, has each send
// cfg.ReportsPerDevice signed reports in ReportBatch txs, and measures the
// verified reports the chain commits per second of block time.
func Reports(ctx context.Context, c *client.Client, cfg ReportsConfig) (*ReportsResult, error) {
	if cfg.Devices <= 0 || cfg.ReportsPerDevice <= 0 || cfg.BatchSize <= 0 || cfg.BatchSize > report.MaxBatchReports || len(cfg.Funders) == 0 {
		return nil, errors.New("devices, reports per device and batch size (≤ 10000) must be positive, and a funder given")
	}
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format, args...)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	res := &ReportsResult{Devices: cfg.Devices, Reports: cfg.Devices * cfg.ReportsPerDevice}
	progress("measuring the ed25519 verification limit on %d cores…\n", runtime.GOMAXPROCS(0))
	res.VerifyLimit = MeasureVerifyLimit(2 * time.Second)
	progress("  one by one: %.0f/s, batched: %.0f/s\n", res.VerifyLimit.SingleAllCores, res.VerifyLimit.BatchedAllCores)

	if err := WaitForHeight(ctx, c, 2, time.Minute); err != nil {
		return nil, err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	setup := time.Now()
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	netID := fmt.Sprintf("bench-%x", tag)
	owner := cfg.Funders[0]
	ownerAddr := addrOf(owner)
	maker := ed25519.NewKeyFromSeed(sha256.New().Sum(tag[:])[:32])
	params := &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "work", Unit: "unit", BoundNum: 1, BoundDen: 1, Weight: 1}},
		EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30, UnbondingSeconds: 60, MinMoveIntervalSeconds: 60,
	}
	progress("creating network %s and approving a maker…\n", netID)
	if _, err := c.SendTx(ctx, owner, []*txv1.Msg{
		{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{Owner: ownerAddr.Bytes(), Id: netID, Name: "bench", Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE, RewardDenom: "u" + strings.ReplaceAll(netID, "-", ""), Params: params}}},
		{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{Owner: ownerAddr.Bytes(), Network: netID, MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "bench maker"}}},
	}, client.TxOptions{}); err != nil {
		return nil, fmt.Errorf("create network: %w", err)
	}

	// Device keys and certificates, in parallel.
	progress("generating and certifying %d devices…\n", cfg.Devices)
	devs := make([]ed25519.PrivateKey, cfg.Devices)
	certs := make([]*devicev1.SignedDeviceCert, cfg.Devices)
	parallel(cfg.Devices, func(i int) {
		var seed [32]byte
		copy(seed[:], tag[:])
		binary.BigEndian.PutUint64(seed[8:], uint64(i))
		s := sha256.Sum256(seed[:])
		devs[i] = ed25519.NewKeyFromSeed(s[:])
		certs[i], _ = device.SignCert(maker, chainID, &devicev1.DeviceCert{
			Network: netID, DevicePublicKey: devs[i].Public().(ed25519.PublicKey), Model: "bench",
			Serial: fmt.Sprint(i), Capacity: 1000, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
	})
	cell := uint64(h3.LatLngToCell(h3.NewLatLng(52.52, 13.405), 9))
	regStart := time.Now()
	err = c.SubmitChunked(ctx, cfg.Funders, cfg.Devices, 60, func(f ed25519.PrivateKey, lo, hi int) []*txv1.Msg {
		msgs := make([]*txv1.Msg, 0, hi-lo)
		for i := lo; i < hi; i++ {
			msgs = append(msgs, client.RegisterDeviceMsg(chainID, addrOf(f), certs[i], devs[i], cell))
		}
		return msgs
	}, progress, "registered")
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	res.RegisterPerSec = float64(cfg.Devices) / time.Since(regStart).Seconds()

	// Reports: device i's k-th report covers [t0+10k, t0+10k+10).
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	t0 := st.SyncInfo.LatestBlockTime.Unix() - 600
	progress("signing %d reports…\n", res.Reports)
	signed := make([]*reportv1.SignedReport, res.Reports)
	parallel(res.Reports, func(n int) {
		i, k := n%cfg.Devices, n/cfg.Devices
		raw, err := wire.Sign(devs[i], chainID, &reportv1.Report{
			Network: netID, Seq: uint64(k + 1), PeriodStart: t0 + int64(10*k), PeriodEnd: t0 + int64(10*k+10),
			Metrics: []*reportv1.MetricValue{{Id: 1, Value: 5000 + uint64(i%1000)}},
		})
		if err != nil {
			panic(err)
		}
		var s reportv1.SignedReport
		if err := proto.Unmarshal(raw, &s); err != nil {
			panic(err)
		}
		signed[n] = &s
	})
	res.SignedBytes = proto.Size(signed[0])
	res.SetupSeconds = time.Since(setup).Seconds()

	st, err = c.Status(ctx)
	if err != nil {
		return nil, err
	}
	startHeight := st.SyncInfo.LatestBlockHeight
	progress("submitting in batches of %d…\n", cfg.BatchSize)
	// Collect the setup's garbage first, as go test -bench does, so a
	// collection of it does not land in the timed window by chance; the
	// window's own allocations are collected when they add up.
	runtime.GC()
	submitStart := time.Now()
	if cfg.Profile != nil {
		if err := pprof.StartCPUProfile(cfg.Profile); err != nil {
			return nil, err
		}
	}
	// Round k holds every device's k-th report; a device's reports go out
	// in the same chunk of each round, so one submitter sends them in seq
	// order. Rounds follow each other without waiting for commits, as a
	// gateway streams batches.
	err = c.SubmitRounds(ctx, cfg.Funders, cfg.ReportsPerDevice, cfg.Devices, cfg.BatchSize, func(f ed25519.PrivateKey, k, lo, hi int) []*txv1.Msg {
		round := signed[k*cfg.Devices : (k+1)*cfg.Devices]
		return []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: addrOf(f).Bytes(), Reports: round[lo:hi]}}}}
	}, progress, "reports submitted")
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	res.WallSeconds = time.Since(submitStart).Seconds()
	if cfg.Profile != nil {
		pprof.StopCPUProfile()
	}
	// Measure from the blocks.
	st, err = c.Status(ctx)
	if err != nil {
		return nil, err
	}
	var first, last time.Time
	for h := startHeight + 1; h <= st.SyncInfo.LatestBlockHeight; h++ {
		br, err := c.BlockResults(ctx, h)
		if err != nil {
			return nil, err
		}
		txs := 0
		for _, r := range br.TxResults {
			for _, e := range r.Events {
				if e.Type != eventReportBatch {
					continue
				}
				m, err := event.FromABCI(e)
				if err != nil {
					return nil, fmt.Errorf("block %d: %w", h, err)
				}
				b := m.(*reportv1.EventReportBatch)
				txs++
				res.Accepted += int(b.Accepted)
				res.Rejected += int(b.Rejected)
			}
		}
		if txs == 0 {
			continue
		}
		b, err := c.Block(ctx, h)
		if err != nil {
			return nil, err
		}
		if first.IsZero() {
			prev := h - 1
			pb, err := c.Block(ctx, prev)
			if err != nil {
				return nil, err
			}
			first = pb.Block.Time
		}
		last = b.Block.Time
		res.Blocks++
		res.MaxBlockTxs = max(res.MaxBlockTxs, txs)
	}
	res.ChainSeconds = last.Sub(first).Seconds()
	if res.ChainSeconds > 0 {
		res.ReportsPerSec = float64(res.Accepted) / res.ChainSeconds
	}
	if res.WallSeconds > 0 {
		res.WallPerSec = float64(res.Accepted) / res.WallSeconds
	}
	if res.VerifyLimit.BatchedAllCores > 0 {
		res.LimitShare = res.WallPerSec / res.VerifyLimit.BatchedAllCores
		res.ChainShare = res.ReportsPerSec / res.VerifyLimit.BatchedAllCores
	}
	return res, nil
}

func addrOf(k ed25519.PrivateKey) crypto.Address {
	return crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// parallel runs fn(0..n-1) on every core.
func parallel(n int, fn func(i int)) {
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < n; i += w {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// eventReportBatch is the type of the event that carries a batch's
// per-report verdicts, read typed through api/event.
var eventReportBatch = string((&reportv1.EventReportBatch{}).ProtoReflect().Descriptor().FullName())

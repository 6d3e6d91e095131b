package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/klauspost/reedsolomon"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
	"github.com/depinhq/depin/storagenode"
)

// StorageConfig configures Storage.
type StorageConfig struct {
	Size        uint64 // bytes of the file
	K, N        uint32
	Nodes       int
	SegmentSize uint64
	Funder      ed25519.PrivateKey // creates the network and funds the nodes' owners
	Uploader    ed25519.PrivateKey // stores the file
	Dir         string             // the nodes' data and the raw copy's file
	Progress    io.Writer
}

// DefaultStorageConfig: a 256 MiB file, k=4 of n=8, on 8 nodes.
func DefaultStorageConfig() StorageConfig {
	return StorageConfig{Size: 256 << 20, K: 4, N: 8, Nodes: 8, SegmentSize: storageclient.DefaultSegmentSize}
}

// StorageResult is what Storage measured. Rates are of the file's bytes
// (10^6 bytes per second); a put moves n/k times as many.
type StorageResult struct {
	Bytes            uint64  `json:"bytes"`
	K                uint32  `json:"k"`
	N                uint32  `json:"n"`
	Nodes            int     `json:"nodes"`
	Segments         uint32  `json:"segments"`
	PutSeconds       float64 `json:"put_seconds"`
	UploadSeconds    float64 `json:"upload_seconds"`  // of PutSeconds: until every piece was stored
	DealSeconds      float64 `json:"deal_tx_seconds"` // of PutSeconds: the deal's tx, to its block
	PutMBps          float64 `json:"put_mb_per_second"`
	GetSeconds       float64 `json:"get_seconds"`
	GetMBps          float64 `json:"get_mb_per_second"`
	GetHedged        int     `json:"get_pieces_hedged"`     // pieces asked for because others were late
	RawPutMBps       float64 `json:"raw_put_mb_per_second"` // one HTTP PUT of the file over loopback, written and fsynced
	RawGetMBps       float64 `json:"raw_get_mb_per_second"` // one HTTP GET of it back
	RawPutCPUSeconds float64 `json:"raw_put_cpu_seconds"`   // CPU the process used for the raw PUT
	RawGetCPUSeconds float64 `json:"raw_get_cpu_seconds"`
	PutShare         float64 `json:"put_share_of_raw"`
	GetShare         float64 `json:"get_share_of_raw"`
	PutCPUSeconds    float64 `json:"put_cpu_seconds"` // CPU used by the whole process (client, nodes, chain) during the put
	GetCPUSeconds    float64 `json:"get_cpu_seconds"`
	// Where the time goes: each stage alone on one core, per byte of the
	// file (hashing: of the n/k times as many bytes of pieces).
	EncryptMBps float64 `json:"encrypt_mb_per_second"`
	EncodeMBps  float64 `json:"encode_mb_per_second"`
	HashMBps    float64 `json:"hash_mb_per_second"`
	DecodeMBps  float64 `json:"decode_mb_per_second"` // rebuilding from parity pieces only (the worst case)

	// When the block before the deal's was committed, from the end of the
	// upload (its successor's header time, the validators' clocks): near
	// 0 when that block could not finish until the upload had (its fsyncs
	// and goroutines waited behind the nodes' writes and the client's
	// work), so the deal's block came a whole timeout_commit later; and
	// how long that block took, from its predecessor's commit (~0.9 s of
	// timeout_commit when nothing delays it).
	DealPrevBlockAfterUpload float64 `json:"deal_prev_block_after_upload_seconds"`
	DealPrevBlockInterval    float64 `json:"deal_prev_block_interval_seconds"`
}

// Storage starts a storage network of in-process nodes on chain c, puts
// a random file of cfg.Size bytes and gets it back, and in the same run
// copies the same bytes over loopback HTTP with nothing in between (the
// limit) and times each stage of the pipeline alone.
func Storage(ctx context.Context, c *client.Client, cfg StorageConfig) (*StorageResult, error) {
	say := func(format string, a ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format, a...)
		}
	}
	if cfg.Size == 0 || cfg.Funder == nil || cfg.Uploader == nil || cfg.Dir == "" {
		return nil, errors.New("bench storage: size, funder, uploader and directory are required")
	}
	data := make([]byte, cfg.Size)
	if _, err := rand.Read(data); err != nil {
		return nil, err
	}
	res := &StorageResult{Bytes: cfg.Size, K: cfg.K, N: cfg.N, Nodes: cfg.Nodes}

	say("raw loopback HTTP copy of %d MiB…\n", cfg.Size>>20)
	if err := rawCopy(ctx, data, cfg.Dir, res); err != nil {
		return nil, err
	}
	say("  PUT %.0f MB/s (%.2f s of CPU), GET %.0f MB/s (%.2f s of CPU)\n", res.RawPutMBps, res.RawPutCPUSeconds, res.RawGetMBps, res.RawGetCPUSeconds)
	say("stages alone, one core…\n")
	if err := stages(data, cfg, res); err != nil {
		return nil, err
	}
	say("  encrypt %.0f MB/s, encode %.0f MB/s, hash %.0f MB/s, decode %.0f MB/s\n", res.EncryptMBps, res.EncodeMBps, res.HashMBps, res.DecodeMBps)

	nc := storagenet.DefaultConfig()
	nc.Network, nc.Nodes, nc.Funder, nc.Dir = "bench-storage", cfg.Nodes, cfg.Funder, filepath.Join(cfg.Dir, "nodes")
	nc.CapacityGB = max(1, 4*cfg.Size/1e9+1)
	// The nodes read the chain as deployed nodes do (storagenet's test
	// settings poll 5 times a second and collect garbage 3 times: CPU
	// taken from the put and get being measured).
	nc.Node = func(_ int, c *storagenode.Config) {
		d := storagenode.DefaultConfig()
		c.PollInterval, c.GCInterval, c.GCGrace = d.PollInterval, d.GCInterval, d.GCGrace
	}
	if err := WaitForHeight(ctx, c, 2, 30*time.Second); err != nil { // a new devnet: its first block committed
		return nil, err
	}
	say("starting %d storage nodes…\n", cfg.Nodes)
	net, err := storagenet.Start(ctx, c, nc)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	sc := storageclient.DefaultConfig()
	sc.Key = cfg.Uploader
	cl, err := storageclient.New(c, sc)
	if err != nil {
		return nil, err
	}
	say("put…\n")
	cpu0, putStart := processCPU(), time.Now()
	put, err := cl.Put(ctx, bytes.NewReader(data), cfg.Size, storageclient.PutOptions{Network: nc.Network, K: cfg.K, N: cfg.N,
		Duration: time.Hour, SegmentSize: cfg.SegmentSize})
	if err != nil {
		return nil, err
	}
	res.Segments = put.Layout.Segments
	res.PutSeconds, res.UploadSeconds = put.Elapsed.Seconds(), put.Uploaded.Seconds()
	res.DealSeconds = res.PutSeconds - res.UploadSeconds
	res.PutMBps = mbps(cfg.Size, put.Elapsed)
	res.PutCPUSeconds = (processCPU() - cpu0).Seconds()
	if at, took, err := prevBlock(ctx, c, put.Height); err == nil {
		res.DealPrevBlockAfterUpload, res.DealPrevBlockInterval = at.Sub(putStart.Add(put.Uploaded)).Seconds(), took.Seconds()
	}
	say("  %.2f s (%.2f s uploading, %.2f s for the deal's block): %.0f MB/s; %.2f s of CPU (%.1f cores busy)\n",
		res.PutSeconds, res.UploadSeconds, res.DealSeconds, res.PutMBps, res.PutCPUSeconds, res.PutCPUSeconds/res.PutSeconds)
	say("get…\n")
	out := &sameBytes{want: data}
	cpu0 = processCPU()
	got, err := cl.Get(ctx, put.Deal, out, storageclient.GetOptions{})
	if err != nil {
		return nil, err
	}
	if out.differ || len(out.want) != 0 {
		return nil, errors.New("bench storage: get returned other bytes")
	}
	res.GetSeconds, res.GetMBps, res.GetHedged = got.Elapsed.Seconds(), mbps(cfg.Size, got.Elapsed), got.Hedged
	res.GetCPUSeconds = (processCPU() - cpu0).Seconds()
	say("  %.2f s: %.0f MB/s; %.2f s of CPU (%.1f cores busy)\n", res.GetSeconds, res.GetMBps, res.GetCPUSeconds, res.GetCPUSeconds/res.GetSeconds)
	res.PutShare, res.GetShare = res.PutMBps/res.RawPutMBps, res.GetMBps/res.RawGetMBps
	if _, err := cl.Remove(ctx, put.Deal); err != nil {
		say("removing the deal: %v\n", err)
	}
	return res, nil
}

// prevBlock is when the block before height h was committed (the time in
// h's header: the median of its precommits' timestamps) and how long it
// came after its own predecessor's commit.
func prevBlock(ctx context.Context, c *client.Client, h int64) (time.Time, time.Duration, error) {
	b, err := c.Block(ctx, h)
	if err != nil {
		return time.Time{}, 0, err
	}
	a, err := c.Block(ctx, h-1)
	if err != nil {
		return time.Time{}, 0, err
	}
	return b.Block.Time, b.Block.Time.Sub(a.Block.Time), nil
}

// sameBytes is a writer that checks what is written against want, in
// order, and keeps nothing: the get is checked without a copy of the file
// in memory (the raw GET it is compared with discards what it reads).
type sameBytes struct {
	want   []byte // what is still to come
	differ bool
}

func (w *sameBytes) Write(p []byte) (int, error) {
	if len(p) > len(w.want) || !bytes.Equal(p, w.want[:len(p)]) {
		w.differ = true
		return 0, errors.New("bench storage: get returned other bytes")
	}
	w.want = w.want[len(p):]
	return len(p), nil
}

// processCPU is the CPU time (user and system) this process has used:
// the client, the nodes and the chain alike, as they share the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mbps(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

// rawCopy PUTs data to a loopback HTTP server that writes it to a file
// and fsyncs it (as a node stores a piece), then GETs it back.
func rawCopy(ctx context.Context, data []byte, dir string, res *StorageResult) error {
	path := filepath.Join(dir, "raw-copy")
	defer os.Remove(path)
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /raw", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Create(path)
		if err == nil {
			_, err = io.Copy(f, r.Body)
			if err == nil {
				err = f.Sync()
			}
			f.Close()
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /raw", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, path) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/raw"
	start, cpu0 := time.Now(), processCPU()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(data))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	r.Body.Close()
	res.RawPutMBps, res.RawPutCPUSeconds = mbps(uint64(len(data)), time.Since(start)), (processCPU() - cpu0).Seconds()
	start, cpu0 = time.Now(), processCPU()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if r, err = http.DefaultClient.Do(req); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if err != nil || n != int64(len(data)) {
		return fmt.Errorf("raw GET: %d bytes: %v", n, err)
	}
	res.RawGetMBps, res.RawGetCPUSeconds = mbps(uint64(len(data)), time.Since(start)), (processCPU() - cpu0).Seconds()
	return nil
}

// stages times encryption, erasure coding, Merkle hashing of the pieces
// and decoding from parity alone, one segment after another on one core.
func stages(data []byte, cfg StorageConfig, res *StorageResult) error {
	seg := int(min(cfg.SegmentSize, cfg.Size))
	key := make([]byte, chacha20poly1305.KeySize)
	aead, _ := chacha20poly1305.NewX(key)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rs, err := reedsolomon.New(int(cfg.K), int(cfg.N-cfg.K))
	if err != nil {
		return err
	}
	var tEnc, tCode, tHash, tDec time.Duration
	ct := make([]byte, 0, seg+chacha20poly1305.Overhead)
	for off := 0; off < len(data); off += seg {
		plain := data[off:min(off+seg, len(data))]
		t := time.Now()
		ct = aead.Seal(ct[:0], nonce, plain, nil)
		tEnc += time.Since(t)
		size := (len(ct) + int(cfg.K) - 1) / int(cfg.K)
		buf := make([]byte, size*int(cfg.N))
		copy(buf, ct)
		shards := make([][]byte, cfg.N)
		for i := range shards {
			shards[i] = buf[i*size : (i+1)*size]
		}
		t = time.Now()
		if err := rs.Encode(shards); err != nil {
			return err
		}
		tCode += time.Since(t)
		t = time.Now()
		for _, s := range shards {
			storage.MerkleRoot(s, storage.DefaultParams().LeafSize)
		}
		tHash += time.Since(t)
		for i := range cfg.K {
			shards[i] = nil
		}
		t = time.Now()
		if err := rs.ReconstructData(shards); err != nil {
			return err
		}
		tDec += time.Since(t)
	}
	res.EncryptMBps, res.EncodeMBps = mbps(cfg.Size, tEnc), mbps(cfg.Size, tCode)
	res.HashMBps, res.DecodeMBps = mbps(cfg.Size, tHash), mbps(cfg.Size, tDec)
	return nil
}

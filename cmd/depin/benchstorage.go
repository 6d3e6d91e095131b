package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/bench"
)

// newBenchStorageCmd is 'depin bench storage'.
func newBenchStorageCmd(g *globals) *cobra.Command {
	cfg := bench.DefaultStorageConfig()
	var from, uploader, size, segment string
	var target benchTarget
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Measure storing and fetching a file on a storage network, against a raw loopback HTTP copy",
		Long: `Start --nodes storage nodes in this process (a network "bench-storage"
funded by --from), store a random file of --size with 'storage put' (k of
n), fetch it back with 'storage get', and in the same run copy the same
bytes over loopback HTTP with nothing in between (one PUT written and
fsynced, one GET): the limit. Each stage of the pipeline (encryption,
erasure coding, Merkle hashing, decoding) is also timed alone on one core,
to say where the time goes.`,
		Example: "  depin bench storage --in-process --size 256MiB",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.Size, err = parseSize(size); err != nil || cfg.Size == 0 {
				return usageError{fmt.Errorf("--size %q: want a size such as 256MiB", size)}
			}
			if cfg.SegmentSize, err = parseSize(segment); err != nil {
				return usageError{fmt.Errorf("--segment-size %q: %v", segment, err)}
			}
			c, home, stop, err := target.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer stop()
			sub := *g
			sub.home = home
			fk, err := sub.loadKey(from, "")
			if err != nil {
				return err
			}
			uk, err := sub.loadKey(uploader, "")
			if err != nil {
				return err
			}
			cfg.Funder, cfg.Uploader, cfg.Progress = fk.Private, uk.Private, os.Stderr
			if cfg.Dir, err = os.MkdirTemp("", "depin-bench-storage-"); err != nil {
				return err
			}
			defer os.RemoveAll(cfg.Dir)
			res, err := bench.Storage(cmd.Context(), c, cfg)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), textView{res, func(w io.Writer) {
				fmt.Fprintf(w, "file of %d MiB, k=%d of n=%d, %d segments, %d nodes\n", res.Bytes>>20, res.K, res.N, res.Segments, res.Nodes)
				fmt.Fprintf(w, "put: %.0f MB/s (%.2f s: %.2f s uploading, %.2f s for the deal's block; %.2f s of CPU) = %.0f%% of a raw loopback PUT (%.0f MB/s; %.2f s of CPU)\n",
					res.PutMBps, res.PutSeconds, res.UploadSeconds, res.DealSeconds, res.PutCPUSeconds, 100*res.PutShare, res.RawPutMBps, res.RawPutCPUSeconds)
				fmt.Fprintf(w, "get: %.0f MB/s (%.2f s; %.2f s of CPU) = %.0f%% of a raw loopback GET (%.0f MB/s; %.2f s of CPU)\n",
					res.GetMBps, res.GetSeconds, res.GetCPUSeconds, 100*res.GetShare, res.RawGetMBps, res.RawGetCPUSeconds)
				fmt.Fprintf(w, "stages alone, one core, MB of file per second: encrypt %.0f, encode %.0f, hash pieces %.0f, decode from parity %.0f\n",
					res.EncryptMBps, res.EncodeMBps, res.HashMBps, res.DecodeMBps)
			}})
		},
	}
	f := cmd.Flags()
	f.StringVar(&size, "size", "256MiB", "the file's size")
	f.StringVar(&segment, "segment-size", "16MiB", "plaintext bytes per segment")
	f.Uint32Var(&cfg.K, "k", cfg.K, "pieces of a segment that restore it")
	f.Uint32Var(&cfg.N, "n", cfg.N, "pieces per segment")
	f.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "storage nodes to start")
	f.StringVar(&from, "from", "alice", "key that creates the network and funds the nodes' owners")
	f.StringVar(&uploader, "uploader", "bob", "key that stores the file")
	target.register(cmd)
	return cmd
}

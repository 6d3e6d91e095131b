package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/depinhq/depin/agent"
	apinetwork "github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
	"github.com/depinhq/depin/storagenode"
)

// newStorageCmd is 'depin storage': run storage nodes, store files.
func newStorageCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Store files on a storage network (encrypted, erasure-coded, audited on chain), and run storage nodes",
		Long: `Files are encrypted on this machine with a key only your account key
derives, cut into segments, erasure-coded into n pieces of which any k
restore each segment, and stored on n storage nodes of distinct owners;
a storage deal on chain commits to every piece's Merkle root and pays the
nodes per proven byte-second from your escrow while they pass the
chain's audits.`,
		Example: `  depin storage put photos.tar --from bob --k 4 --n 8 --duration 30d
  depin storage ls --from bob
  depin storage get 1 -o photos.tar --from bob
  depin storage rm 1 --from bob
  depin storage repair --from carol --once`,
	}
	cmd.AddCommand(newStorageNodeCmd(g), newStoragePutCmd(g), newStorageGetCmd(g), newStorageLsCmd(g), newStorageRmCmd(g),
		newStorageInfoCmd(g), newStorageNodesCmd(g), newStorageCreateNetworkCmd(g), newStorageLocalnetCmd(g), newStorageRepairCmd(g))
	return cmd
}

// storageClient opens the chain and a storage client acting as from.
func (g *globals) storageClient(cmd *cobra.Command, from, passFile string) (*storageclient.Client, error) {
	key, err := g.loadKey(from, passFile)
	if err != nil {
		return nil, err
	}
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	lg, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	cfg := storageclient.DefaultConfig()
	cfg.Key, cfg.Logger = key.Private, lg.With("component", "storage")
	if g.logLevel == "info" {
		cfg.Logger = nil // the progress bar and the result say it; warnings still show with --log-level warn
	}
	return storageclient.New(c, cfg)
}

// progress is a progress bar of bytes (rate, ETA) on a terminal's
// stderr for text output, else nothing.
func (g *globals) progress(cmd *cobra.Command, what string) (func(done, total uint64), func()) {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if g.output == "json" || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	return func(done, total uint64) {
			if bar == nil {
				bar = progressbar.NewOptions64(int64(total), progressbar.OptionSetWriter(f), progressbar.OptionShowBytes(true),
					progressbar.OptionSetDescription(what), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth(),
					progressbar.OptionClearOnFinish())
			}
			_ = bar.Set64(int64(done))
		}, func() {
			if bar != nil {
				_ = bar.Finish()
			}
		}
}

func newStoragePutCmd(g *globals) *cobra.Command {
	var from, passFile, network, duration, segment string
	var k, n uint32
	cmd := &cobra.Command{
		Use:   "put FILE",
		Short: "Store a file: encrypt, erasure-code, upload to n nodes, open the deal",
		Long: `put encrypts FILE with a key derived from your account key
(XChaCha20-Poly1305; the nodes and the chain never see plaintext), cuts it
into segments, codes each into n pieces of which any k restore it, uploads
them to n storage nodes picked from the chain (distinct owners, distinct
regions where possible, weighted by reputation and free capacity), checks
each node's signed receipt, and opens a deal that escrows the price of the
pieces' bytes for the duration plus a repair budget.`,
		Example: `  depin storage put backup.tar --from bob
  depin storage put backup.tar --from bob --k 6 --n 10 --duration 90d --network vault -o json`,
		Args: argsExactly(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dur, err := parseDays(duration)
			if err != nil {
				return usageError{fmt.Errorf("--duration %q: %v", duration, err)}
			}
			segSize, err := parseSize(segment)
			if err != nil {
				return usageError{fmt.Errorf("--segment-size %q: %v", segment, err)}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			if !st.Mode().IsRegular() {
				return usageError{fmt.Errorf("%s is not a regular file", args[0])}
			}
			if st.Size() == 0 {
				return usageError{fmt.Errorf("%s: %w", args[0], storageclient.ErrEmptyFile)}
			}
			if k == 0 || k >= n || n > storage.MaxN {
				return usageError{fmt.Errorf("--k %d --n %d: any k of n pieces restore a segment, so 1 ≤ k < n ≤ %d", k, n, storage.MaxN)}
			}
			sc, err := g.storageClient(cmd, from, passFile)
			if err != nil {
				return err
			}
			prog, done := g.progress(cmd, "storing")
			res, err := sc.Put(cmd.Context(), f, uint64(st.Size()), storageclient.PutOptions{Network: network, K: k, N: n,
				Duration: dur, SegmentSize: segSize, Progress: prog})
			done()
			if err != nil {
				return storageError(err)
			}
			return g.render(cmd.OutOrStdout(), newStoragePutView(args[0], res))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the account that owns and pays for the file (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	cmd.Flags().StringVar(&network, "network", "", "the storage network (default: the chain's only one)")
	cmd.Flags().Uint32Var(&k, "k", 4, "pieces of a segment that restore it")
	cmd.Flags().Uint32Var(&n, "n", 8, "pieces per segment, each on a node of another owner")
	cmd.Flags().StringVar(&duration, "duration", "30d", "how long the deal runs (e.g. 30d, 12h)")
	cmd.Flags().StringVar(&segment, "segment-size", "16MiB", "plaintext bytes per segment (more if the network's max_pieces asks)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newStorageGetCmd(g *globals) *cobra.Command {
	var from, passFile, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get DEAL -o FILE",
		Short: "Fetch a stored file: any k pieces per segment, each checked against its root on chain",
		Long: `get downloads any k pieces of each segment of the deal's file in parallel
(asking another node when one fails or is slow, cancelling the rest once
k have arrived), checks every piece against its Merkle root on chain — a
node serving other bytes is skipped and reported, never used — decodes
and decrypts it into FILE. Here -o names the file ('-' for stdout); --json
prints the result as JSON.`,
		Example: `  depin storage get 1 -o backup.tar --from bob
  depin storage get 1 -o - --from bob | tar x`,
		Args: argsExactly(1, "DEAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("DEAL", args[0])
			if err != nil {
				return err
			}
			if asJSON {
				g.output = "json"
			}
			sc, err := g.storageClient(cmd, from, passFile)
			if err != nil {
				return err
			}
			// Into a temp file next to FILE, renamed when whole: a failed
			// get never leaves half a file under FILE's name.
			var w io.Writer = cmd.OutOrStdout()
			var tmp *os.File
			if out != "-" {
				if tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".part-*"); err != nil {
					return err
				}
				defer os.Remove(tmp.Name())
				defer tmp.Close()
				w = tmp
			}
			prog, done := g.progress(cmd, "fetching")
			res, err := sc.Get(cmd.Context(), id, w, storageclient.GetOptions{Progress: prog})
			done()
			if err != nil {
				return storageError(err)
			}
			if tmp != nil {
				if err := tmp.Sync(); err != nil {
					return err
				}
				if err := tmp.Close(); err != nil {
					return err
				}
				if err := os.Rename(tmp.Name(), out); err != nil {
					return err
				}
			}
			rw := cmd.OutOrStdout()
			if out == "-" {
				rw = cmd.ErrOrStderr()
			}
			return g.render(rw, newStorageGetView(out, res))
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the file to write ('-': stdout) (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON (-o names the file here)")
	cmd.Flags().StringVar(&from, "from", "", "the deal's owner: only its key decrypts the file (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	_ = cmd.MarkFlagRequired("output")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newStorageLsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls [ACCOUNT]",
		Short:   "List an account's storage deals (a key name or an address; default: --from)",
		Example: "  depin storage ls bob\n  depin storage ls depin1…",
		Args:    cobra.MaximumNArgs(1),
	}
	var from string
	cmd.Flags().StringVar(&from, "from", "", "the account (a key name or an address)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		who := from
		if len(args) == 1 {
			who = args[0]
		}
		if who == "" {
			return usageError{errors.New("whose deals? give an account or --from")}
		}
		owner, err := g.resolveAddress(who)
		if err != nil {
			return err
		}
		c, err := g.client()
		if err != nil {
			return err
		}
		deals, err := c.DealsOf(cmd.Context(), owner)
		if err != nil {
			return err
		}
		var out dealList
		for _, d := range deals {
			out = append(out, newDealView(d))
		}
		return g.render(cmd.OutOrStdout(), out)
	}
	return cmd
}

func newStorageRmCmd(g *globals) *cobra.Command {
	var from, passFile string
	cmd := &cobra.Command{
		Use:   "rm DEAL",
		Short: "Close a deal (the rest of the escrow comes back) and have the nodes delete its pieces",
		Args:  argsExactly(1, "DEAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("DEAL", args[0])
			if err != nil {
				return err
			}
			sc, err := g.storageClient(cmd, from, passFile)
			if err != nil {
				return err
			}
			r, err := sc.Remove(cmd.Context(), id)
			if err != nil {
				return storageError(err)
			}
			return g.render(cmd.OutOrStdout(), storageRmView{Deal: r.Deal, Closed: r.Closed, Refunded: r.Refunded, Denom: r.Denom,
				Deleted: uint32(r.Deleted), Left: uint32(r.Left)})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the deal's owner (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newStorageInfoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info DEAL",
		Short: "Show a storage deal: its file, coding, term, escrow and each node's pieces",
		Args:  argsExactly(1, "DEAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("DEAL", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.Deal(cmd.Context(), id, client.QueryOptions{})
			if err != nil {
				return err
			}
			if d == nil {
				return fmt.Errorf("%w: there is no deal %d (list yours with 'depin storage ls --from KEY')", storage.ErrUnknownDeal, id)
			}
			return g.render(cmd.OutOrStdout(), newDealView(d))
		},
	}
}

func newStorageNodesCmd(g *globals) *cobra.Command {
	var network string
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "List a storage network's nodes: endpoint, used and certified capacity, audits, earnings",
		Args:  argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if network == "" {
				sc := storageclient.DefaultConfig()
				sc.Key = make([]byte, 64) // reads only
				r, err := storageclient.New(c, sc)
				if err != nil {
					return err
				}
				if network, err = r.DefaultNetwork(cmd.Context()); err != nil {
					return usageError{fmt.Errorf("%w (--network)", err)}
				}
			}
			nodes, err := c.StorageNodes(cmd.Context(), network)
			if err != nil {
				return err
			}
			var out storageNodeList
			for _, n := range nodes {
				out = append(out, newStorageNodeView(n))
			}
			return g.render(cmd.OutOrStdout(), out)
		},
	}
	cmd.Flags().StringVar(&network, "network", "", "the storage network (default: the chain's only one)")
	return cmd
}

func newStorageNodeCmd(g *globals) *cobra.Command {
	cfg := storagenode.DefaultConfig()
	var deviceKey, owner, passFile, capacity string
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a storage node: serve pieces over HTTP, announce the endpoint, answer the chain's audits",
		Long: `node runs a storage node for a device registered in a storage network:
it serves pieces over HTTP to uploaders with signed orders (written
atomically under --data, never beyond --capacity), announces --url (or
http://LISTEN) on chain, answers every epoch's audit challenges with
Merkle proofs, and deletes pieces no deal references. The device owner's
account key (--owner, from the key store in --home) signs the endpoint
and the audit answers; without it the node is disqualified.`,
		Example: `  depin storage node --device-key node1.key --owner bob --data ./node1 --capacity 50GB
  depin storage node --device-key node1.key --owner bob --data /srv/depin --capacity 2TB --listen 0.0.0.0:7777 --url https://store.example.com`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.Capacity, err = parseSize(capacity); err != nil || cfg.Capacity == 0 {
				return usageError{fmt.Errorf("--capacity %q: give a size such as 50GB or 500GiB", capacity)}
			}
			if cfg.DeviceKey, err = agent.LoadKey(deviceKey); err != nil {
				return err
			}
			key, err := g.loadKey(owner, passFile)
			if err != nil {
				return err
			}
			cfg.OwnerKey = key.Private
			if cfg.Logger, err = g.logger(cmd.ErrOrStderr()); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			n, err := storagenode.New(ctx, cfg, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "storage node %s serving %s at %s (data in %s)\n", crypto.DeviceString(n.ID()), n.Network(), n.URL(), cfg.DataDir)
			return n.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&deviceKey, "device-key", "", "the device's key file ('depin device keygen') (required)")
	f.StringVar(&owner, "owner", "", "the device owner's key (name or address in --home's key store): signs the endpoint and audit answers (required)")
	f.StringVar(&passFile, "passphrase-file", "", "file with the owner key's passphrase ($DEPIN_PASSPHRASE)")
	f.StringVar(&cfg.DataDir, "data", "", "directory of the pieces (required)")
	f.StringVar(&capacity, "capacity", "", "most bytes of pieces to store, e.g. 50GB or 500GiB (required)")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "HTTP listen address")
	f.StringVar(&cfg.PublicURL, "url", "", "the URL to announce on chain (default http:// and --listen)")
	f.DurationVar(&cfg.PollInterval, "poll", cfg.PollInterval, "how often to read the chain's challenges")
	f.DurationVar(&cfg.GCGrace, "gc-grace", cfg.GCGrace, "how long a piece may wait for a deal after its upload")
	for _, name := range []string{"device-key", "owner", "data", "capacity"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newStorageCreateNetworkCmd(g *globals) *cobra.Command {
	var from, epoch, price string
	var tf txFlags
	var leaf, challenges uint32
	cmd := &cobra.Command{
		Use:   "create-network ID",
		Short: "Launch a storage network (class storage, with a storage market); you become its owner",
		Long: `create-network launches a network of resource class storage whose
devices are storage nodes: deals pay --price per GiB-month of pieces,
audits prove one leaf of --leaf-size bytes of --challenges pieces per node
and epoch. Approve makers with 'depin tx network approve-maker'; change
the params with 'depin tx network update-params'.`,
		Example: "  depin storage create-network vault --from alice --epoch 1h --price 1dpin",
		Args:    argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ep, err := parseDays(epoch)
			if err != nil || ep < time.Duration(apinetwork.MinEpochSeconds)*time.Second {
				return usageError{fmt.Errorf("--epoch %q: at least %d s", epoch, apinetwork.MinEpochSeconds)}
			}
			sp := storage.DefaultParams()
			if sp.PricePerGibMonth, err = g.parseDpinAmount("--price", price); err != nil {
				return err
			}
			sp.LeafSize, sp.ChallengesPerNode = leaf, challenges
			p := storagenet.Params(uint64(ep/time.Second), sp)
			if err := apinetwork.ValidateParams(p); err != nil {
				return usageError{err}
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &tf, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
				Owner: owner.Bytes(), Id: args[0], Name: args[0], Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE,
				RewardDenom: "u" + strings.ReplaceAll(args[0], "-", ""), Params: p}}})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the network's owner (required)")
	tf.register(cmd)
	cmd.Flags().StringVar(&epoch, "epoch", "1h", "epoch length: audits are answered and nodes paid once per epoch")
	cmd.Flags().StringVar(&price, "price", "1dpin", "what a GiB of pieces costs per 30 days")
	cmd.Flags().Uint32Var(&leaf, "leaf-size", storage.DefaultParams().LeafSize, "bytes per Merkle leaf (what an audit proves)")
	cmd.Flags().Uint32Var(&challenges, "challenges", storage.DefaultParams().ChallengesPerNode, "pieces audited per node and epoch")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newStorageLocalnetCmd(g *globals) *cobra.Command {
	cfg := storagenet.DefaultConfig()
	var from, passFile string
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a storage network of in-process nodes on loopback against the node (for trying storage on a devnet)",
		Long: `localnet creates the storage network --network if it does not exist
(10-second epochs), registers --nodes storage nodes, each with a new owner
funded by --from, and runs them on loopback until interrupted. Their keys
are made up and kept in memory: for devnets only.`,
		Example: "  depin storage localnet --from alice --nodes 8 --dir /tmp/vault",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := g.loadKey(from, passFile)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if cfg.Logger, err = g.logger(cmd.ErrOrStderr()); err != nil {
				return err
			}
			if cfg.Dir == "" {
				if cfg.Dir, err = os.MkdirTemp("", "depin-storage-"); err != nil {
					return err
				}
			}
			cfg.Funder = key.Private
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			net, err := storagenet.Start(ctx, c, cfg)
			if err != nil {
				return err
			}
			defer net.Close()
			for i := range cfg.Nodes {
				fmt.Fprintf(cmd.ErrOrStderr(), "node %d: %s at %s\n", i, crypto.DeviceString(net.ID(i)), net.Node(i).URL())
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "storage network %s: %d nodes running (data in %s); Ctrl-C stops them\n", cfg.Network, cfg.Nodes, cfg.Dir)
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "funds the node owners and owns a network it creates (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	cmd.Flags().StringVar(&cfg.Network, "network", cfg.Network, "the storage network's id")
	cmd.Flags().IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "how many nodes")
	cmd.Flags().StringVar(&cfg.Dir, "dir", "", "directory of the nodes' data (default: a new temporary one)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// storageError adds what to do to the storage client's errors.
func storageError(err error) error {
	switch {
	case errors.Is(err, storageclient.ErrEmptyFile), errors.Is(err, storageclient.ErrCoding), errors.Is(err, storageclient.ErrDuration):
		return usageError{err}
	case errors.Is(err, storageclient.ErrNotEnoughNodes):
		return fmt.Errorf("%w (see 'depin storage nodes'; a smaller --n needs fewer)", err)
	case errors.Is(err, storageclient.ErrNoNetwork):
		return usageError{fmt.Errorf("%w (--network)", err)}
	}
	return err
}

// parseDays is a duration that may also be given in days ("30d").
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(d, 10, 16)
		if err != nil {
			return 0, errors.New("want a whole number of days, e.g. 30d, or a duration such as 12h")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want days (30d) or a duration such as 12h or 90m")
	}
	return d, nil
}

// parseSize is a byte count with an optional unit: B, kB/KB, MB, GB, TB
// (powers of 10, as disks and the chain's capacities count) or KiB, MiB,
// GiB, TiB (powers of 2).
func parseSize(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult := map[string]float64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 || v*mult >= 1<<63 {
		return 0, errors.New("want a size such as 4MiB, 50GB or 2TB")
	}
	return uint64(v * mult), nil
}

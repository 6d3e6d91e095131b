package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/compute"
	apinetwork "github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/computeclient"
	"github.com/depinhq/depin/computenet"
	"github.com/depinhq/depin/computenode"
	"github.com/depinhq/depin/crypto"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/storageclient"
)

// newComputeCmd is 'depin compute': submit WebAssembly jobs, run providers.
func newComputeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compute",
		Short: "Run WebAssembly jobs on a compute network (verified by replication and commit-reveal), and run providers",
		Long: `A job is a deterministic WebAssembly module (WASI preview 1: e.g.
GOOS=wasip1 GOARCH=wasm go build) split into tasks; each task gets its
index as its last argument and in DEPIN_TASK_INDEX, its inputs read-only
under /in, and writes its result under /out. The chain gives each task to
--replicas providers of distinct owners; each commits to a hash of its
output, then reveals it; the output a majority agrees on is the task's
verified result and its providers are paid from the job's escrow, the
outvoted are slashed. Modules and inputs bigger than the network carries
in a job are stored in the storage network first. Jobs, their inputs and
their results are public.`,
		Example: `  depin compute submit --module render.wasm --tasks 16 --replicas 3 --price 2000udpin --from bob --wait
  depin compute status 1
  depin compute result 1 -o out/ --join png-tiles
  depin compute node --device-key gpu1.key --owner carol`,
	}
	cmd.AddCommand(newComputeSubmitCmd(g), newComputeStatusCmd(g), newComputeResultCmd(g), newComputeNodeCmd(g),
		newComputeProvidersCmd(g), newComputeCreateNetworkCmd(g), newComputeLocalnetCmd(g))
	return cmd
}

// computeClient opens the chain and a compute client acting as from (with
// a storage client for big modules and inputs).
func (g *globals) computeClient(cmd *cobra.Command, from, passFile string) (*computeclient.Client, *client.Client, error) {
	key, err := g.loadKey(from, passFile)
	if err != nil {
		return nil, nil, err
	}
	c, err := g.client()
	if err != nil {
		return nil, nil, err
	}
	lg, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, nil, err
	}
	cfg := storageclient.DefaultConfig()
	cfg.Key = key.Private
	if g.logLevel == "info" {
		lg = nil // the progress lines and the result say it; warnings still show with --log-level warn
	} else {
		lg = lg.With("component", "compute")
	}
	sc, err := storageclient.New(c, cfg)
	if err != nil {
		return nil, nil, err
	}
	return computeclient.New(c, key.Private, sc, lg), c, nil
}

func newComputeSubmitCmd(g *globals) *cobra.Command {
	var from, passFile, network, module, price, deadline, memory, output string
	var inputs, args, argList []string
	var tasks, replicas uint32
	var timeout time.Duration
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit --module FILE.wasm --tasks N --price AMOUNT",
		Short: "Submit a WebAssembly job: escrow its price, have its tasks run and verified",
		Long: `submit sends a job of --tasks tasks of --module (WASI preview 1
WebAssembly) to a compute network: the chain assigns each task to
--replicas providers of distinct owners, each paid --price when its output
is the majority's. It escrows tasks × price × (2 × replicas + 1) — enough
for a second round of replicas+1 providers where the first finds no
majority — and returns what was not paid when the job ends. --input
NAME=FILE (or FILE, named by its base name) mounts a file read-only at
/in/NAME. With --wait it follows the job until it ends.`,
		Example: `  depin compute submit --module render.wasm --tasks 16 --replicas 3 --price 2000udpin --from bob --wait
  depin compute submit --module wc.wasm --input words.txt --tasks 1 --price 1000udpin --deadline 30m --from bob -o json`,
		Args: argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			mod, err := os.ReadFile(module)
			if err != nil {
				return usageError{fmt.Errorf("--module: %v", err)}
			}
			if len(mod) < 8 || string(mod[:4]) != "\x00asm" {
				return usageError{fmt.Errorf("--module %s: not WebAssembly (a .wasm file starts with \\0asm)", module)}
			}
			in := map[string][]byte{}
			for _, spec := range inputs {
				name, path, ok := strings.Cut(spec, "=")
				if !ok {
					name, path = filepath.Base(spec), spec
				}
				if err := compute.ValidateName(name); err != nil {
					return usageError{fmt.Errorf("--input %s: %v", spec, err)}
				}
				if _, dup := in[name]; dup {
					return usageError{fmt.Errorf("--input %s: two inputs named %s", spec, name)}
				}
				if in[name], err = os.ReadFile(path); err != nil {
					return usageError{fmt.Errorf("--input %s: %v", spec, err)}
				}
			}
			dl, err := parseDays(deadline)
			if err != nil {
				return usageError{fmt.Errorf("--deadline %q: %v", deadline, err)}
			}
			mem, err := parseSize(memory)
			if err != nil {
				return usageError{fmt.Errorf("--memory %q: %v", memory, err)}
			}
			outBytes, err := parseSize(output)
			if err != nil || outBytes > compute.MaxOutputCap {
				return usageError{fmt.Errorf("--output %q: a size up to 1MiB", output)}
			}
			if replicas < compute.MinReplicas {
				return usageError{fmt.Errorf("--replicas %d: results are verified by a majority, so at least %d", replicas, compute.MinReplicas)}
			}
			cc, chain, err := g.computeClient(cmd, from, passFile)
			if err != nil {
				return err
			}
			p, err := g.parseCoin(cmd.Context(), "--price", price)
			if err != nil {
				return err
			}
			args = append(args, argList...)
			j := computeclient.Job{Network: network, Module: mod, Inputs: in, Args: args, Tasks: tasks, Replicas: replicas, Price: p.Amount,
				Deadline: dl, Memory: mem, Timeout: timeout, Output: uint32(outBytes)}
			if g.output != "json" {
				j.Progress = func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) }
			}
			if j.Network == "" {
				if j.Network, err = cc.DefaultNetwork(cmd.Context()); err != nil {
					return err
				}
			}
			cp, err := chain.ComputeParams(cmd.Context(), j.Network)
			if err != nil {
				return err
			}
			if p.Denom != cp.Denom {
				return usageError{fmt.Errorf("--price %s: network %s is paid in %s", price, j.Network, cp.Denom)}
			}
			sub, err := cc.Submit(cmd.Context(), j)
			if err != nil {
				return err
			}
			v := computeSubmitView{Job: sub.ID, Network: sub.Network, Tasks: tasks, Replicas: replicas, Escrow: sub.Escrow, Denom: sub.Denom,
				TxHash: sub.TxHash, StoredDeals: sub.Stored}
			if !wait {
				return g.render(cmd.OutOrStdout(), v)
			}
			if g.output != "json" {
				v.writeText(cmd.ErrOrStderr())
			}
			st, err := cc.Wait(cmd.Context(), sub.ID, time.Second, func(s *computeclient.Status) {
				if g.output != "json" {
					fmt.Fprintf(cmd.ErrOrStderr(), "job %d: %d of %d tasks verified, %d failed\n", s.Job.Id, s.Job.Verified, s.Job.Tasks, s.Job.Failed)
				}
			})
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newComputeStatusView(st))
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the account that submits and pays (required)")
	f.StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	f.StringVar(&network, "network", "", "the compute network (default: the chain's only one)")
	f.StringVar(&module, "module", "", "the WebAssembly module (WASI preview 1) (required)")
	f.StringArrayVar(&inputs, "input", nil, "NAME=FILE or FILE: mounted read-only at /in/NAME (repeat)")
	f.StringArrayVar(&args, "arg", nil, "an argument for every task, before its index (repeat)")
	f.StringSliceVar(&argList, "args", nil, "arguments for every task, comma-separated (after the --arg ones)")
	f.Uint32Var(&tasks, "tasks", 1, "how many tasks (each gets its index)")
	f.Uint32Var(&replicas, "replicas", 3, "providers per task; a strict majority of them verifies a result")
	f.StringVar(&price, "price", "", "paid per task to each provider of the majority, e.g. 2000udpin (required)")
	f.StringVar(&deadline, "deadline", "10m", "when the job ends, done or not (e.g. 10m, 2h)")
	f.StringVar(&memory, "memory", "256MiB", "wasm memory per task")
	f.DurationVar(&timeout, "timeout", time.Minute, "run time per task (set it well above the expected time: a task near its limit may time out on a slow provider)")
	f.StringVar(&output, "output-limit", "64KiB", "bytes of output per task (files and stdout, encoded)")
	f.BoolVar(&wait, "wait", false, "follow the job until it ends and print its status")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("module")
	_ = cmd.MarkFlagRequired("price")
	return cmd
}

func newComputeStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "status JOB",
		Short:   "Show a job and each task's state (round, providers, verified output hash)",
		Example: "  depin compute status 1\n  depin compute status 1 -o json",
		Args:    argsExactly(1, "JOB"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("JOB", args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := computeclient.New(c, nil, nil, nil).Status(cmd.Context(), id)
			if err != nil {
				return err
			}
			return g.render(cmd.OutOrStdout(), newComputeStatusView(st))
		},
	}
}

func newComputeResultCmd(g *globals) *cobra.Command {
	var out, join string
	var cols int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "result JOB -o DIR",
		Short: "Write each verified task's output files under DIR/<task>/ (or stitch image tiles)",
		Long: `result reads the job's verified outputs from the chain (each checked
against its verified hash) and writes every task's files as DIR/<task>/PATH
(and what it printed as DIR/<task>/stdout). With --join png-tiles it
stitches the one PNG of every task, in task order, into DIR/image.png
(--cols tiles per row; default: a square). Here -o names the directory;
--json prints the result as JSON.`,
		Example: "  depin compute result 1 -o out/\n  depin compute result 1 -o out/ --join png-tiles",
		Args:    argsExactly(1, "JOB"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCount("JOB", args[0])
			if err != nil {
				return err
			}
			if asJSON {
				g.output = "json"
			} else {
				g.output = "text"
			}
			if join != "" && join != "png-tiles" {
				return usageError{fmt.Errorf("--join %q: the one way to join is png-tiles", join)}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := computeclient.New(c, nil, nil, nil).Status(cmd.Context(), id)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			v := computeResultView{Job: id, Verified: st.Job.Verified, Failed: st.Job.Failed, Tasks: st.Job.Tasks}
			if join != "" {
				png, err := computeclient.JoinPNGTiles(st, cols)
				if err != nil {
					return err
				}
				p := filepath.Join(out, "image.png")
				if err := os.WriteFile(p, png, 0o644); err != nil {
					return err
				}
				v.Files = []string{p}
			} else {
				if v.Files, err = computeclient.WriteResults(st, out); err != nil {
					return err
				}
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the directory to write to (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON (-o names the directory here)")
	cmd.Flags().StringVar(&join, "join", "", "png-tiles: stitch the tasks' PNG tiles into one image")
	cmd.Flags().IntVar(&cols, "cols", 0, "tiles per row with --join (default: a square)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func newComputeNodeCmd(g *globals) *cobra.Command {
	cfg := computenode.DefaultConfig()
	var deviceKey, owner, passFile string
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a compute provider: run assigned tasks in the sandbox, commit and reveal their outputs",
		Long: `node runs a compute provider for a device registered in a compute
network: it reads the tasks the chain assigns the device, fetches each
job's module and inputs (from the job, or from the storage network with
the key the job carries) and checks their SHA-256, runs the task with
wazero (no network, no host files, a fixed clock, seeded randomness,
the job's memory and time limits), commits to its output and reveals it
when the reveal window opens. The device owner's account key (--owner)
signs the commitments and reveals: the device's earnings go to its owner.`,
		Example: "  depin compute node --device-key gpu1.key --owner carol --workers 4",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
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
			sc := storageclient.DefaultConfig()
			sc.Key = key.Private
			s, err := storageclient.New(c, sc)
			if err != nil {
				return err
			}
			cfg.Blobs = computeclient.StorageBlobs{Storage: s}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			n, err := computenode.New(ctx, cfg, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "compute provider %s running with %d workers\n", crypto.DeviceString(n.ID()), cfg.Workers)
			return n.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&deviceKey, "device-key", "", "the device's key file ('depin device keygen') (required)")
	f.StringVar(&owner, "owner", "", "the device owner's key (name or address in --home's key store): signs commitments and reveals (required)")
	f.StringVar(&passFile, "passphrase-file", "", "file with the owner key's passphrase ($DEPIN_PASSPHRASE)")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "tasks run at once")
	f.DurationVar(&cfg.PollInterval, "poll", cfg.PollInterval, "how often to read the device's assignments")
	f.Uint64Var(&cfg.MaxMemoryBytes, "max-memory", cfg.MaxMemoryBytes, "bytes of wasm memory for all running tasks together")
	_ = cmd.MarkFlagRequired("device-key")
	_ = cmd.MarkFlagRequired("owner")
	return cmd
}

func newComputeProvidersCmd(g *globals) *cobra.Command {
	var network string
	cmd := &cobra.Command{
		Use:     "providers",
		Short:   "List a compute network's providers: status, tasks agreed, outvoted, missed, earned",
		Example: "  depin compute providers --network render",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if network == "" {
				if network, err = computeclient.New(c, nil, nil, nil).DefaultNetwork(cmd.Context()); err != nil {
					return err
				}
			}
			ids, err := c.Devices(cmd.Context(), client.DeviceFilter{Network: network})
			if err != nil {
				return err
			}
			var v computeProvidersView
			for _, id := range ids {
				d, err := c.Device(cmd.Context(), id, client.QueryOptions{})
				if err != nil || d == nil {
					return err
				}
				s, err := c.ProviderStats(cmd.Context(), id)
				if err != nil {
					return err
				}
				v = append(v, computeProviderView{Device: crypto.DeviceString(id), Owner: addrString(d.Owner), Status: strings.TrimPrefix(d.Status.String(), "DEVICE_STATUS_"),
					Capacity: d.Capacity, Agreed: s.TasksAgreed, Outvoted: s.TasksOutvoted, Missed: s.TasksMissed, Assigned: s.Assigned, Earned: s.Earned})
			}
			return g.render(cmd.OutOrStdout(), v)
		},
	}
	cmd.Flags().StringVar(&network, "network", "", "the compute network (default: the chain's only one)")
	return cmd
}

func newComputeCreateNetworkCmd(g *globals) *cobra.Command {
	var from, minPrice string
	var tf txFlags
	var replicas, tasks uint32
	var commit, reveal time.Duration
	cmd := &cobra.Command{
		Use:   "create-network ID",
		Short: "Launch a compute network (class compute, with a compute market); you become its owner",
		Long: `create-network launches a network of resource class compute whose
devices are providers: jobs of up to --max-tasks tasks, each replicated on
up to --max-replicas providers who have --commit to commit to their output
and --reveal to reveal it. Approve makers with 'depin tx network
approve-maker'; change the params with 'depin tx network update-params'.`,
		Example: "  depin compute create-network render --from alice",
		Args:    argsExactly(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cp := compute.DefaultParams()
			var err error
			if cp.MinPricePerTask, err = g.parseDpinAmount("--min-price", minPrice); err != nil {
				return err
			}
			cp.MaxReplicas, cp.MaxTasks = replicas, tasks
			cp.CommitSeconds, cp.RevealSeconds = uint64(commit/time.Second), uint64(reveal/time.Second)
			p := computenet.Params(cp)
			if err := apinetwork.ValidateParams(p); err != nil {
				return usageError{err}
			}
			owner, err := g.resolveAddress(from)
			if err != nil {
				return err
			}
			return g.sendMsgs(cmd, from, &tf, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
				Owner: owner.Bytes(), Id: args[0], Name: args[0], Class: networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE,
				RewardDenom: "u" + strings.ReplaceAll(args[0], "-", ""), Params: p}}})
		},
	}
	d := compute.DefaultParams()
	cmd.Flags().StringVar(&from, "from", "", "the network's owner (required)")
	tf.register(cmd)
	cmd.Flags().StringVar(&minPrice, "min-price", "1udpin", "the least a job may pay per task and provider")
	cmd.Flags().Uint32Var(&replicas, "max-replicas", d.MaxReplicas, "most providers per task")
	cmd.Flags().Uint32Var(&tasks, "max-tasks", d.MaxTasks, "most tasks per job")
	cmd.Flags().DurationVar(&commit, "commit", time.Duration(d.CommitSeconds)*time.Second, "how long a task's providers have to commit")
	cmd.Flags().DurationVar(&reveal, "reveal", time.Duration(d.RevealSeconds)*time.Second, "how long they then have to reveal")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newComputeLocalnetCmd(g *globals) *cobra.Command {
	cfg := computenet.DefaultConfig()
	var from, passFile string
	var dishonest []int
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a compute network of in-process providers against the node (for trying compute on a devnet)",
		Long: `localnet creates the compute network --network if it does not exist,
registers --providers providers, each with a new owner funded by --from,
and runs them until interrupted; they read big modules from the chain's
storage network. --dishonest I makes provider I return made-up results
(to watch verification catch it). Their keys are made up and kept in
memory: for devnets only.`,
		Example: "  depin compute localnet --from alice --providers 3\n  depin compute localnet --from alice --providers 4 --dishonest 3",
		Args:    argsExactly(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			for _, i := range dishonest {
				if i < 0 || i >= cfg.Providers {
					return usageError{fmt.Errorf("--dishonest %d: providers are numbered 0..%d", i, cfg.Providers-1)}
				}
			}
			cfg.Funder = key.Private
			cfg.Provider = func(i int, pc *computenode.Config) {
				sc := storageclient.DefaultConfig()
				sc.Key = pc.OwnerKey
				if s, err := storageclient.New(c, sc); err == nil {
					pc.Blobs = computeclient.StorageBlobs{Storage: s}
				}
				for _, d := range dishonest {
					pc.Dishonest = pc.Dishonest || d == i
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			net, err := computenet.Start(ctx, c, cfg)
			if err != nil {
				return err
			}
			defer net.Close()
			for i := range cfg.Providers {
				fmt.Fprintf(cmd.ErrOrStderr(), "provider %d: %s\n", i, crypto.DeviceString(net.ID(i)))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "compute network %s: %d providers running; Ctrl-C stops them\n", cfg.Network, cfg.Providers)
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "funds the provider owners and owns a network it creates (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "file with the key's passphrase ($DEPIN_PASSPHRASE)")
	cmd.Flags().StringVar(&cfg.Network, "network", cfg.Network, "the compute network's id")
	cmd.Flags().IntVar(&cfg.Providers, "providers", cfg.Providers, "how many providers")
	cmd.Flags().IntSliceVar(&dishonest, "dishonest", nil, "providers (by number) that return made-up results")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// Views.

type computeSubmitView struct {
	Job         uint64   `json:"job,string"`
	Network     string   `json:"network"`
	Tasks       uint32   `json:"tasks"`
	Replicas    uint32   `json:"replicas"`
	Escrow      uint64   `json:"escrow,string"`
	Denom       string   `json:"denom"`
	TxHash      string   `json:"tx_hash"`
	StoredDeals []uint64 `json:"stored_deals"` // storage deals holding the module or inputs
}

func (v computeSubmitView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Submitted job %d to %s: %d tasks × %d replicas; escrowed %s (what is not paid returns when the job ends).\n",
		v.Job, v.Network, v.Tasks, v.Replicas, formatCoin(v.Denom, v.Escrow))
	if len(v.StoredDeals) > 0 {
		fmt.Fprintf(w, "Big blobs went to the storage network: deals %v.\n", v.StoredDeals)
	}
	fmt.Fprintf(w, "Follow it with: depin compute status %d\n", v.Job)
}

type computeTaskView struct {
	Index      uint32   `json:"index"`
	Status     string   `json:"status"`
	Round      uint32   `json:"round"`
	Providers  []string `json:"providers"`
	OutputHash string   `json:"output_hash,omitempty"`
	// Outcome is how the verified run ended: ok, exit-non-zero (with
	// ExitCode), trap, out-of-memory, timeout, output-too-large,
	// invalid-module or invalid-task — a failure is a verified result too.
	Outcome  string `json:"outcome,omitempty"`
	Agreed   uint32 `json:"agreed"` // providers of the round whose output was the verified one
	ExitCode uint32 `json:"exit_code,omitempty"`
	Reason   string `json:"reason,omitempty"` // why a task failed (no majority, deadline)
}

type computeStatusView struct {
	Job      uint64            `json:"job,string"`
	Network  string            `json:"network"`
	Consumer string            `json:"consumer"`
	Status   string            `json:"status"`
	Tasks    uint32            `json:"tasks"`
	Replicas uint32            `json:"replicas"`
	Verified uint32            `json:"verified"`
	Failed   uint32            `json:"failed"`
	Escrow   uint64            `json:"escrow,string"`
	Paid     uint64            `json:"paid,string"`
	Refunded uint64            `json:"refunded,string"`
	Denom    string            `json:"denom"`
	Deadline uint64            `json:"deadline,string"`
	Module   string            `json:"module_sha256"`
	TaskList []computeTaskView `json:"task_list"`
}

func newComputeStatusView(s *computeclient.Status) computeStatusView {
	j := s.Job
	v := computeStatusView{Job: j.Id, Network: j.Network, Consumer: addrString(j.Consumer), Status: strings.ToLower(strings.TrimPrefix(j.Status.String(), "JOB_STATUS_")),
		Tasks: j.Tasks, Replicas: j.Replicas, Verified: j.Verified, Failed: j.Failed, Escrow: j.Escrow, Paid: j.Paid, Refunded: j.Refunded,
		Denom: j.Denom, Deadline: uint64(max(j.Deadline, 0)), Module: fmt.Sprintf("%x", j.Module.GetSha256()), TaskList: []computeTaskView{}}
	for _, t := range s.Tasks {
		tv := computeTaskView{Index: t.Index, Status: strings.ToLower(strings.TrimPrefix(t.Status.String(), "TASK_STATUS_")), Round: t.Round, Reason: t.Reason, Providers: []string{}}
		if len(t.OutputHash) > 0 {
			tv.OutputHash = fmt.Sprintf("%x", t.OutputHash)
			if o, err := sandbox.DecodeOutput(t.Output); err == nil {
				tv.Outcome, tv.ExitCode = o.Status.String(), o.ExitCode
			}
		}
		for _, a := range t.Assignments {
			tv.Providers = append(tv.Providers, devString(a.Device))
			if len(t.OutputHash) > 0 && string(a.OutputHash) == string(t.OutputHash) {
				tv.Agreed++
			}
		}
		v.TaskList = append(v.TaskList, tv)
	}
	return v
}

func (v computeStatusView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Job %d on %s by %s: %s, %d of %d tasks verified, %d failed (%d replicas each).\n",
		v.Job, v.Network, v.Consumer, v.Status, v.Verified, v.Tasks, v.Failed, v.Replicas)
	fmt.Fprintf(w, "Escrow %s, paid %s, refunded %s; deadline %s.\n", formatCoin(v.Denom, v.Escrow), formatCoin(v.Denom, v.Paid),
		formatCoin(v.Denom, v.Refunded), time.Unix(int64(v.Deadline), 0).UTC().Format(time.RFC3339))
	tw := newTable(w)
	fmt.Fprintln(tw, "TASK\tSTATUS\tROUND\tOUTCOME\tOUTPUT\tAGREED")
	for _, t := range v.TaskList {
		out := t.OutputHash
		if len(out) > 16 {
			out = out[:16]
		}
		if out == "" {
			out = t.Reason
		}
		outcome := t.Outcome
		if t.ExitCode != 0 {
			outcome = fmt.Sprintf("%s (%d)", outcome, t.ExitCode)
		}
		if outcome == "" {
			outcome = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%d of %d\n", t.Index, t.Status, t.Round, outcome, out, t.Agreed, len(t.Providers))
	}
	tw.Flush()
}

type computeResultView struct {
	Job      uint64   `json:"job,string"`
	Tasks    uint32   `json:"tasks"`
	Verified uint32   `json:"verified"`
	Failed   uint32   `json:"failed"`
	Files    []string `json:"files"`
}

func (v computeResultView) writeText(w io.Writer) {
	fmt.Fprintf(w, "Job %d: %d of %d tasks verified, %d failed; wrote %d files:\n", v.Job, v.Verified, v.Tasks, v.Failed, len(v.Files))
	for _, f := range v.Files {
		fmt.Fprintln(w, "  "+f)
	}
}

type computeProviderView struct {
	Device   string `json:"device"`
	Owner    string `json:"owner"`
	Status   string `json:"status"`
	Capacity uint64 `json:"capacity,string"`
	Agreed   uint64 `json:"agreed,string"`
	Outvoted uint64 `json:"outvoted,string"`
	Missed   uint64 `json:"missed,string"`
	Assigned uint64 `json:"assigned,string"`
	Earned   uint64 `json:"earned,string"`
}

type computeProvidersView []computeProviderView

func (v computeProvidersView) writeText(w io.Writer) {
	tw := newTable(w)
	fmt.Fprintln(tw, "DEVICE\tSTATUS\tAGREED\tOUTVOTED\tMISSED\tASSIGNED\tEARNED")
	for _, p := range v {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", p.Device, strings.ToLower(p.Status), p.Agreed, p.Outvoted, p.Missed, p.Assigned, p.Earned)
	}
	tw.Flush()
}

func devString(b []byte) string {
	a, err := crypto.AddressFromBytes(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	return crypto.DeviceString(a)
}

func addrString(b []byte) string {
	a, err := crypto.AddressFromBytes(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	return a.String()
}

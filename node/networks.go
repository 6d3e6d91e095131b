package node

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/depinhq/depin/app"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/x/bank"
)

// DevAccounts are the funded accounts of every devnet and testnet.
var DevAccounts = []string{"alice", "bob", "carol", "dave", "eve"}

// DevBalance is each dev account's genesis balance: 1,000,000 DPIN.
const DevBalance uint64 = 1_000_000 * 1_000_000

// DevSeed is the deterministic seed of a dev account: the same addresses
// on every devnet, so docs and scripts can name them. Never use them for
// anything of value.
func DevSeed(name string) []byte {
	s := sha256.Sum256([]byte("depin devnet key: " + name))
	return s[:]
}

// DevnetChainID is the default devnet chain id.
const DevnetChainID = "depin-devnet"

// Ports are the listen addresses of one node. Zero values keep defaults.
type Ports struct {
	P2P, RPC, API string // host:port
}

// FreePorts picks n free loopback ports.
func FreePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	out := make([]int, n)
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}

// FreeLoopbackPorts picks free 127.0.0.1 ports for one node.
func FreeLoopbackPorts() (Ports, error) {
	p, err := FreePorts(3)
	if err != nil {
		return Ports{}, err
	}
	return Ports{
		P2P: fmt.Sprintf("127.0.0.1:%d", p[0]),
		RPC: fmt.Sprintf("127.0.0.1:%d", p[1]),
		API: fmt.Sprintf("127.0.0.1:%d", p[2]),
	}, nil
}

// DevnetOptions configure SetupDevnet.
type DevnetOptions struct {
	Home    string
	ChainID string
	// Reset deletes an existing devnet in Home first.
	Reset bool
	Ports Ports
	// TimeoutCommit overrides the block interval (0 keeps ~1 s).
	TimeoutCommit time.Duration
	// ExtraBalances are funded at genesis besides the dev accounts.
	ExtraBalances []*bankv1.Balance
}

// SetupDevnet prepares a single-validator devnet in opts.Home unless one is
// already there. It reports whether it created a new one.
func SetupDevnet(opts DevnetOptions) (bool, error) {
	if opts.ChainID == "" {
		opts.ChainID = DevnetChainID
	}
	if opts.Reset {
		if err := removeNodeHome(opts.Home); err != nil {
			return false, err
		}
	}
	if Initialized(opts.Home) {
		return false, nil
	}
	c := DefaultCometConfig(opts.Home)
	c.Moniker = "devnet"
	ac := DefaultAppConfig()
	applyPorts(c, &ac, opts.Ports)
	if opts.TimeoutCommit > 0 {
		c.Consensus.TimeoutCommit = opts.TimeoutCommit
	}
	id, err := Init(opts.Home, InitOptions{Comet: c, App: &ac})
	if err != nil {
		return false, err
	}
	balances, err := writeDevKeys(KeysDir(opts.Home))
	if err != nil {
		return false, err
	}
	gen := app.DefaultGenesis(append(balances, opts.ExtraBalances...)...)
	err = WriteGenesis(opts.Home, GenesisOptions{
		ChainID:     opts.ChainID,
		GenesisTime: time.Now(),
		Validators:  []cmttypes.GenesisValidator{{Name: "devnet", PubKey: id.ValidatorPubKey, Power: 100}},
		AppState:    gen,
	})
	return err == nil, err
}

func applyPorts(c *cmtcfg.Config, ac *AppConfig, p Ports) {
	if p.P2P != "" {
		c.P2P.ListenAddress = "tcp://" + p.P2P
	}
	if p.RPC != "" {
		c.RPC.ListenAddress = "tcp://" + p.RPC
	}
	if p.API != "" {
		ac.APIAddress = p.API
	}
}

// writeDevKeys stores the dev accounts' keys (unencrypted, marked as such)
// and returns their genesis balances.
func writeDevKeys(dir string) ([]*bankv1.Balance, error) {
	ks := keystore.Open(dir)
	var out []*bankv1.Balance
	for _, name := range DevAccounts {
		k, err := ks.ImportSeed(name, DevSeed(name), nil)
		if errors.Is(err, keystore.ErrExists) {
			info, err2 := ks.Show(name)
			if err2 != nil {
				return nil, err2
			}
			k = &keystore.Key{Info: info}
		} else if err != nil {
			return nil, err
		}
		out = append(out, &bankv1.Balance{Address: k.Address.String(), Coins: []*bankv1.Coin{bank.Coin(bank.NativeDenom, DevBalance)}})
	}
	return out, nil
}

// removeNodeHome deletes a node home, refusing anything that does not look
// like one (so a mistyped --home never wipes an unrelated directory).
func removeNodeHome(home string) error {
	entries, err := os.ReadDir(home)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 && !Initialized(home) {
		return fmt.Errorf("refusing to reset %s: it is not empty and holds no depin node (no config/config.toml)", home)
	}
	for _, sub := range []string{"config", "data", "keys"} {
		if err := os.RemoveAll(filepath.Join(home, sub)); err != nil {
			return err
		}
	}
	return nil
}

// TestnetOptions configure WriteTestnet.
type TestnetOptions struct {
	Output     string
	Validators int
	ChainID    string
	// BasePort: node k listens on p2p BasePort+10k, RPC +1, REST API +2.
	// 0 picks free ports.
	BasePort      int
	TimeoutCommit time.Duration
	// FullNodes adds this many nodes (after the validators) that have a
	// consensus key but are not in the genesis validator set: they can
	// become validators by staking.
	FullNodes int
	// App is every node's app.toml (api_address is replaced by the node's
	// port); nil means DefaultAppConfig.
	App *AppConfig
	// ExtraBalances are funded at genesis besides the dev accounts.
	ExtraBalances []*bankv1.Balance
}

// TestnetNode describes one written node.
type TestnetNode struct {
	Home   string
	NodeID string
	Ports  Ports
}

// WriteTestnet writes N validator homes (Output/node0 … nodeN-1) sharing a
// genesis, with persistent peers wired on loopback.
func WriteTestnet(opts TestnetOptions) ([]TestnetNode, error) {
	if opts.Validators < 1 || opts.Validators > 64 || opts.FullNodes < 0 || opts.FullNodes > 64 {
		return nil, fmt.Errorf("validators must be 1..64 and full nodes 0..64, got %d and %d", opts.Validators, opts.FullNodes)
	}
	total := opts.Validators + opts.FullNodes
	if opts.ChainID == "" {
		opts.ChainID = "depin-testnet"
	}
	var ports []int
	if opts.BasePort == 0 {
		var err error
		if ports, err = FreePorts(3 * total); err != nil {
			return nil, err
		}
	} else {
		for k := 0; k < total; k++ {
			b := opts.BasePort + 10*k
			ports = append(ports, b, b+1, b+2)
		}
	}
	nodes := make([]TestnetNode, total)
	var vals []cmttypes.GenesisValidator
	cfgs := make([]*cmtcfg.Config, total)
	for k := range nodes {
		home := filepath.Join(opts.Output, fmt.Sprintf("node%d", k))
		p := Ports{
			P2P: fmt.Sprintf("127.0.0.1:%d", ports[3*k]),
			RPC: fmt.Sprintf("127.0.0.1:%d", ports[3*k+1]),
			API: fmt.Sprintf("127.0.0.1:%d", ports[3*k+2]),
		}
		c := DefaultCometConfig(home)
		c.Moniker = fmt.Sprintf("node%d", k)
		c.P2P.AddrBookStrict = false // loopback peers
		c.P2P.AllowDuplicateIP = true
		c.P2P.PexReactor = false // peers are wired explicitly
		if opts.TimeoutCommit > 0 {
			c.Consensus.TimeoutCommit = opts.TimeoutCommit
		}
		ac := DefaultAppConfig()
		if opts.App != nil {
			ac = *opts.App
		}
		applyPorts(c, &ac, p)
		cfgs[k] = c
		id, err := Init(home, InitOptions{Comet: c, App: &ac})
		if err != nil {
			return nil, err
		}
		nodes[k] = TestnetNode{Home: home, NodeID: id.NodeID, Ports: p}
		if k < opts.Validators {
			vals = append(vals, cmttypes.GenesisValidator{Name: c.Moniker, PubKey: id.ValidatorPubKey, Power: 10})
		}
	}
	// Wire peers and rewrite each config.
	for k, n := range nodes {
		var peers []string
		for j, m := range nodes {
			if j != k {
				peers = append(peers, m.NodeID+"@"+m.Ports.P2P)
			}
		}
		cfgs[k].P2P.PersistentPeers = strings.Join(peers, ",")
		cmtcfg.WriteConfigFile(filepath.Join(n.Home, "config", "config.toml"), cfgs[k])
	}
	var balances []*bankv1.Balance
	genesisTime := time.Now()
	for _, n := range nodes {
		b, err := writeDevKeys(KeysDir(n.Home))
		if err != nil {
			return nil, err
		}
		balances = b
	}
	for _, n := range nodes {
		err := WriteGenesis(n.Home, GenesisOptions{ChainID: opts.ChainID, GenesisTime: genesisTime, Validators: vals, AppState: app.DefaultGenesis(append(balances, opts.ExtraBalances...)...)})
		if err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

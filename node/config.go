package node

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/viper"
)

// AppConfig is depin's own node configuration (config/app.toml).
type AppConfig struct {
	// APIAddress is where the JSON REST API listens ("" disables it).
	APIAddress string `toml:"api_address" comment:"JSON REST API listen address (host:port); empty disables it"`
	// KeepRecent is how many recent state versions to keep (0 = all).
	KeepRecent int64 `toml:"keep_recent" comment:"state versions kept for queries and proofs (at least 2); 0 keeps all"`
	// StateCacheNodes is how many IAVL nodes stay in memory (~0.5 KB each).
	// The default holds the whole tree of a chain with ~100k devices (five
	// leaves each) plus a few blocks of new nodes; with 1M, a 100k-device
	// chain read a third of its tree writes' nodes back from disk (block
	// tree writes 520–610 ms vs 260–340 ms for 55k reports). It fills only
	// as the state grows (~1.5 GB when full).
	StateCacheNodes int `toml:"state_cache_nodes" comment:"IAVL nodes kept in memory (about 0.5 KB each); more means fewer disk reads per write"`
	// DeviceKeyCache is how many device public keys stay decompressed in
	// memory (~1.5 KiB each): a report signed by one of them verifies with
	// ~30% less CPU. Filled as devices register and report.
	DeviceKeyCache int `toml:"device_key_cache" comment:"device public keys kept decompressed for faster report verification (about 1.5 KiB each); 0 disables"`
	// CheckInvariants makes the node verify every module's books
	// (app.CheckInvariants) against the committed state after every block.
	// A violation is logged at error level ("invariant violated") and
	// appended to <home>/data/invariant-violations.log; the node keeps
	// running. The check reads the whole state, so its cost grows with it:
	// meant for test networks and soaks (`depin chaos` turns it on), not
	// for production nodes.
	CheckInvariants bool `toml:"check_invariants" comment:"verify every module's books after every block (slow on a large state: for tests and soaks); violations go to the log and data/invariant-violations.log"`
}

// DefaultAppConfig listens on loopback, keeps the last 10000 versions and
// caches up to 3M tree nodes and 250k device keys.
func DefaultAppConfig() AppConfig {
	return AppConfig{APIAddress: "127.0.0.1:1317", KeepRecent: 10000, StateCacheNodes: 3_000_000, DeviceKeyCache: 250_000}
}

// Validate checks an AppConfig.
func (c AppConfig) Validate() error {
	if c.KeepRecent < 0 {
		return fmt.Errorf("app config: keep_recent must be ≥ 0, got %d", c.KeepRecent)
	}
	if c.StateCacheNodes < 0 || c.StateCacheNodes > 100_000_000 {
		return fmt.Errorf("app config: state_cache_nodes must be 0..100000000, got %d", c.StateCacheNodes)
	}
	if c.DeviceKeyCache < 0 || c.DeviceKeyCache > 10_000_000 {
		return fmt.Errorf("app config: device_key_cache must be 0..10000000, got %d", c.DeviceKeyCache)
	}
	if c.APIAddress != "" {
		if _, _, err := net.SplitHostPort(c.APIAddress); err != nil {
			return fmt.Errorf("app config: api_address %q: %w", c.APIAddress, err)
		}
	}
	return nil
}

// maxConfigBytes bounds config files we parse.
const maxConfigBytes = 1 << 20

// ParseAppConfig decodes app.toml strictly: unknown keys are errors.
func ParseAppConfig(data []byte) (AppConfig, error) {
	c := DefaultAppConfig()
	if len(data) > maxConfigBytes {
		return c, fmt.Errorf("app config: %d bytes, max %d", len(data), maxConfigBytes)
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("app config: %w", err)
	}
	return c, c.Validate()
}

// Paths under a home directory.
func appConfigPath(home string) string { return filepath.Join(home, "config", "app.toml") }

// KeysDir is the key store directory of a home.
func KeysDir(home string) string { return filepath.Join(home, "keys") }

// LoadAppConfig reads config/app.toml (defaults if it does not exist).
func LoadAppConfig(home string) (AppConfig, error) {
	data, err := os.ReadFile(appConfigPath(home))
	if errors.Is(err, os.ErrNotExist) {
		return DefaultAppConfig(), nil
	}
	if err != nil {
		return AppConfig{}, err
	}
	c, err := ParseAppConfig(data)
	if err != nil {
		return c, fmt.Errorf("%s: %w", appConfigPath(home), err)
	}
	return c, nil
}

// WriteAppConfig writes config/app.toml.
func WriteAppConfig(home string, c AppConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := toml.Marshal(c)
	if err != nil {
		return err
	}
	header := "# depin node configuration (the CometBFT part is in config.toml)\n\n"
	return os.WriteFile(appConfigPath(home), append([]byte(header), data...), 0o644)
}

// DefaultCometConfig is CometBFT's default adjusted for depin: every
// listener on loopback, ~1 s blocks, room for multi-megabyte report batches.
func DefaultCometConfig(home string) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = "depin-node"
	c.P2P.ListenAddress = "tcp://127.0.0.1:26656"
	c.RPC.ListenAddress = "tcp://127.0.0.1:26657"
	c.RPC.MaxBodyBytes = 16 << 20
	c.RPC.TimeoutBroadcastTxCommit = 15 * time.Second
	c.Mempool.Size = 20000
	c.Mempool.MaxTxBytes = 4 << 20
	c.Mempool.MaxTxsBytes = 256 << 20
	c.Consensus.TimeoutCommit = 900 * time.Millisecond
	c.Instrumentation.Prometheus = false
	c.Instrumentation.PrometheusListenAddr = "127.0.0.1:26660"
	return c
}

// LoadCometConfig reads config/config.toml over CometBFT's defaults.
func LoadCometConfig(home string) (*cmtcfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no node at %s (%v): run 'depin init --home %s' or 'depin devnet'", home, err, home)
	}
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := DefaultCometConfig(home)
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// rpcHostPort turns "tcp://127.0.0.1:26657" into "127.0.0.1:26657".
func rpcHostPort(laddr string) string {
	_, hp, ok := strings.Cut(laddr, "://")
	if !ok {
		return laddr
	}
	return hp
}

package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/depinhq/depin/app"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
)

// ErrHomeExists is returned by Init when the home already holds a node.
var ErrHomeExists = errors.New("home already initialized")

// Identity is a node's public identity after Init.
type Identity struct {
	NodeID          string
	ValidatorPubKey cmtcrypto.PubKey
}

// InitOptions configure Init.
type InitOptions struct {
	Moniker string
	// Comet and App are the configs to write; nil/zero means defaults for
	// the home.
	Comet *cmtcfg.Config
	App   *AppConfig
}

// Initialized reports whether home holds a node config.
func Initialized(home string) bool {
	_, err := os.Stat(filepath.Join(home, "config", "config.toml"))
	return err == nil
}

// Init creates a node home: config files, node key and validator key. It
// writes no genesis (see WriteGenesis). It refuses to touch an existing
// node home.
func Init(home string, opts InitOptions) (Identity, error) {
	if Initialized(home) {
		return Identity{}, fmt.Errorf("%w: %s", ErrHomeExists, home)
	}
	c := opts.Comet
	if c == nil {
		c = DefaultCometConfig(home)
	}
	c.SetRoot(home)
	if opts.Moniker != "" {
		c.Moniker = opts.Moniker
	}
	ac := DefaultAppConfig()
	if opts.App != nil {
		ac = *opts.App
	}
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return Identity{}, err
		}
	}
	if err := c.ValidateBasic(); err != nil {
		return Identity{}, err
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), c)
	if err := WriteAppConfig(home, ac); err != nil {
		return Identity{}, err
	}
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return Identity{}, err
	}
	pv, err := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile(), func() (cmtcrypto.PrivKey, error) {
		return ed25519.GenPrivKey(), nil
	})
	if err != nil {
		return Identity{}, err
	}
	pv.Save()
	pub, err := pv.GetPubKey()
	if err != nil {
		return Identity{}, err
	}
	return Identity{NodeID: string(nk.ID()), ValidatorPubKey: pub}, nil
}

// GenesisOptions describe a new chain.
type GenesisOptions struct {
	ChainID     string
	GenesisTime time.Time
	Validators  []cmttypes.GenesisValidator
	AppState    *appv1.GenesisState
}

// ConsensusParams are depin's defaults: blocks up to 8 MiB so that large
// report batches fit.
func ConsensusParams() *cmttypes.ConsensusParams {
	p := cmttypes.DefaultConsensusParams()
	p.Block.MaxBytes = 8 << 20
	p.Block.MaxGas = -1
	return p
}

// WriteGenesis writes config/genesis.json.
func WriteGenesis(home string, opts GenesisOptions) error {
	js, err := app.MarshalGenesis(opts.AppState)
	if err != nil {
		return err
	}
	if _, err := app.ParseGenesis(js); err != nil {
		return err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime:     opts.GenesisTime.UTC(),
		ChainID:         opts.ChainID,
		InitialHeight:   1,
		ConsensusParams: ConsensusParams(),
		Validators:      opts.Validators,
		AppState:        json.RawMessage(js),
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	return doc.SaveAs(filepath.Join(home, "config", "genesis.json"))
}

// LoadGenesis reads config/genesis.json.
func LoadGenesis(home string) (*cmttypes.GenesisDoc, error) {
	return cmttypes.GenesisDocFromFile(filepath.Join(home, "config", "genesis.json"))
}

package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protojson"

	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/staking"
)

// MaxGenesisBytes bounds the app_state the app will parse.
const MaxGenesisBytes = 256 << 20

// ParseGenesis decodes and validates the genesis app_state JSON.
func ParseGenesis(js []byte) (*appv1.GenesisState, error) {
	if len(js) > MaxGenesisBytes {
		return nil, fmt.Errorf("genesis app_state is %d bytes, max %d", len(js), MaxGenesisBytes)
	}
	g := &appv1.GenesisState{}
	if err := protojson.Unmarshal(js, g); err != nil {
		return nil, fmt.Errorf("genesis app_state: %w", err)
	}
	if g.Auth == nil || g.Bank == nil {
		return nil, fmt.Errorf("genesis app_state: auth and bank sections are required")
	}
	if err := auth.ValidateGenesis(g.Auth); err != nil {
		return nil, err
	}
	if err := bank.ValidateGenesis(g.Bank); err != nil {
		return nil, err
	}
	if g.Staking != nil {
		if err := staking.ValidateParams(g.Staking.Params); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// InitChain implements abci.Application: it writes the genesis state into
// the working tree (committed with the first block).
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	if req.ChainId != a.cfg.ChainID {
		return nil, fmt.Errorf("InitChain: chain id %q, app configured for %q", req.ChainId, a.cfg.ChainID)
	}
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	a.tree.Rollback()
	kv := store.NewCache(a.tree)
	ctx := state.Context{KV: kv, ChainID: a.cfg.ChainID, Height: req.InitialHeight, Time: req.Time, Events: &state.Events{}}
	if err := a.auth.InitGenesis(ctx, g.Auth); err != nil {
		return nil, err
	}
	if err := a.bank.InitGenesis(ctx, g.Bank); err != nil {
		return nil, err
	}
	vals := make([]staking.GenesisValidator, len(req.Validators))
	for i, v := range req.Validators {
		vals[i] = staking.GenesisValidator{PubKey: v.PubKeyBytes, Power: v.Power}
	}
	if err := a.staking.InitGenesis(ctx, g.Staking, vals); err != nil {
		return nil, err
	}
	kv.Write()
	a.log.Info("genesis loaded", "chain_id", req.ChainId, "accounts", len(g.Bank.Balances), "validators", len(req.Validators))
	return &abci.InitChainResponse{AppHash: a.tree.WorkingHash()}, nil
}

package app

import (
	"google.golang.org/protobuf/encoding/protojson"

	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
)

// DefaultGenesis returns the default app_state with the given balances.
func DefaultGenesis(balances ...*bankv1.Balance) *appv1.GenesisState {
	return &appv1.GenesisState{
		Auth: &authv1.GenesisState{Params: auth.DefaultParams()},
		Bank: &bankv1.GenesisState{Params: bank.DefaultParams(), Balances: balances},
	}
}

// MarshalGenesis encodes an app_state as JSON for the genesis file.
func MarshalGenesis(g *appv1.GenesisState) ([]byte, error) {
	return protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true}.Marshal(g)
}

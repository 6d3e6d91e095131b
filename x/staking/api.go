package staking

import (
	api "github.com/depinhq/depin/api/staking"
	"github.com/depinhq/depin/crypto"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/staking, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	DelegPrefix         = api.DelegPrefix
	ErrInvalidAmount    = api.ErrInvalidAmount
	ErrInvalidValidator = api.ErrInvalidValidator
	ErrNoValidator      = api.ErrNoValidator
	ErrNotDelegated     = api.ErrNotDelegated
	ErrNotJailed        = api.ErrNotJailed
	ErrTombstoned       = api.ErrTombstoned
	ErrValidatorExists  = api.ErrValidatorExists
	ParamsKey           = api.ParamsKey
	SeqKey              = api.SeqKey
	UnbondPrefix        = api.UnbondPrefix
	ValidatorPrefix     = api.ValidatorPrefix
)

// DelegationKey: see api/staking.DelegationKey.
func DelegationKey(delegator crypto.Address, cons []byte) []byte {
	return api.DelegationKey(delegator, cons)
}

// ValidatorKey: see api/staking.ValidatorKey.
func ValidatorKey(cons []byte) []byte { return api.ValidatorKey(cons) }

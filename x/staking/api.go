package staking

import api "github.com/depinhq/depin/api/staking"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/staking, which clients import instead of
// this one; these names keep the module's API whole with one definition.

var (
	DelegPrefix         = api.DelegPrefix
	DelegationKey       = api.DelegationKey
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
	ValidatorKey        = api.ValidatorKey
	ValidatorPrefix     = api.ValidatorPrefix
)

package staking

import (
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Errors.
var (
	ErrValidatorExists  = errs.Register("staking", 2, "validator already exists")
	ErrNoValidator      = errs.Register("staking", 3, "no such validator")
	ErrInvalidAmount    = errs.Register("staking", 4, "invalid amount")
	ErrNotDelegated     = errs.Register("staking", 5, "unbonding more than bonded")
	ErrNotJailed        = errs.Register("staking", 6, "validator cannot be unjailed")
	ErrTombstoned       = errs.Register("staking", 7, "validator is tombstoned")
	ErrInvalidValidator = errs.Register("staking", 8, "invalid validator")
)

// State layout.
var (
	ParamsKey       = []byte("staking/p")  // → Params
	SeqKey          = []byte("staking/n")  // → the next unbonding sequence number
	ValidatorPrefix = []byte("staking/v/") // + cons address → Validator
	DelegPrefix     = []byte("staking/d/") // + delegator + cons address → Delegation
	UnbondPrefix    = []byte("staking/u/") // + complete time (8) + seq (8) → Unbonding
)

// ValidatorKey is where a validator lives, by consensus address.
func ValidatorKey(cons []byte) []byte { return keys.New(ValidatorPrefix).Bytes(cons) }

// DelegationKey is where a delegation lives.
func DelegationKey(delegator crypto.Address, cons []byte) []byte {
	return keys.New(DelegPrefix).Bytes(delegator[:]).Bytes(cons)
}

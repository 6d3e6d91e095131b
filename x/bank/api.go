package bank

import api "github.com/depinhq/depin/api/bank"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/bank, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	NativeDenom      = api.NativeDenom
	NativeDisplay    = api.NativeDisplay
	NativeExponent   = api.NativeExponent
	ShareDenomPrefix = api.ShareDenomPrefix
)

var (
	AccountBalancesPrefix = api.AccountBalancesPrefix
	AddUint64             = api.AddUint64
	BalanceKey            = api.BalanceKey
	BalancePrefix         = api.BalancePrefix
	Coin                  = api.Coin
	DecodeAmount          = api.DecodeAmount
	DecodeBalances        = api.DecodeBalances
	ErrDenomExists        = api.ErrDenomExists
	ErrInsufficientFunds  = api.ErrInsufficientFunds
	ErrInvalidAmount      = api.ErrInvalidAmount
	ErrInvalidDenom       = api.ErrInvalidDenom
	ErrModuleAccount      = api.ErrModuleAccount
	ErrReservedDenom      = api.ErrReservedDenom
	ErrSelfSend           = api.ErrSelfSend
	ErrSupplyOverflow     = api.ErrSupplyOverflow
	ErrUnknownDenom       = api.ErrUnknownDenom
	FormatCoins           = api.FormatCoins
	ParamsKey             = api.ParamsKey
	SupplyKey             = api.SupplyKey
	SupplyPrefix          = api.SupplyPrefix
	ValidateCoins         = api.ValidateCoins
	ValidateDenom         = api.ValidateDenom
	ValidateUserDenom     = api.ValidateUserDenom
)

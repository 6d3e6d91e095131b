package bank

import (
	api "github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

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
	BalancePrefix        = api.BalancePrefix
	ErrDenomExists       = api.ErrDenomExists
	ErrInsufficientFunds = api.ErrInsufficientFunds
	ErrInvalidAmount     = api.ErrInvalidAmount
	ErrInvalidDenom      = api.ErrInvalidDenom
	ErrModuleAccount     = api.ErrModuleAccount
	ErrReservedDenom     = api.ErrReservedDenom
	ErrSelfSend          = api.ErrSelfSend
	ErrSupplyOverflow    = api.ErrSupplyOverflow
	ErrUnknownDenom      = api.ErrUnknownDenom
	ParamsKey            = api.ParamsKey
	SupplyPrefix         = api.SupplyPrefix
	DenomPrefix          = api.DenomPrefix
)

// DenomKey: see api/bank.DenomKey.
func DenomKey(denom string) []byte { return api.DenomKey(denom) }

// AccountBalancesPrefix: see api/bank.AccountBalancesPrefix.
func AccountBalancesPrefix(addr crypto.Address) []byte { return api.AccountBalancesPrefix(addr) }

// BalanceKey: see api/bank.BalanceKey.
func BalanceKey(addr crypto.Address, denom string) []byte { return api.BalanceKey(addr, denom) }

// Coin: see api/bank.Coin.
func Coin(denom string, amount uint64) *bankv1.Coin { return api.Coin(denom, amount) }

// Coins: see api/bank.Coins.
func Coins(denom string, amount uint64) []*bankv1.Coin { return api.Coins(denom, amount) }

// DecodeAmount: see api/bank.DecodeAmount.
func DecodeAmount(v []byte) uint64 { return api.DecodeAmount(v) }

// DecodeBalances: see api/bank.DecodeBalances.
func DecodeBalances(addr crypto.Address, pairs []*appv1.KVPair) []*bankv1.Coin {
	return api.DecodeBalances(addr, pairs)
}

// FormatCoins: see api/bank.FormatCoins.
func FormatCoins(coins []*bankv1.Coin) string { return api.FormatCoins(coins) }

// SupplyKey: see api/bank.SupplyKey.
func SupplyKey(denom string) []byte { return api.SupplyKey(denom) }

// ValidateCoins: see api/bank.ValidateCoins.
func ValidateCoins(coins []*bankv1.Coin) error { return api.ValidateCoins(coins) }

// ValidateDenom: see api/bank.ValidateDenom.
func ValidateDenom(d string) error { return api.ValidateDenom(d) }

// ValidateUserDenom: see api/bank.ValidateUserDenom.
func ValidateUserDenom(d string) error { return api.ValidateUserDenom(d) }

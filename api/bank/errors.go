package bank

import "github.com/depinhq/depin/errs"

// Error kinds of the bank module (codespace "bank").
var (
	// ErrInsufficientFunds: the sender holds less than the amount.
	ErrInsufficientFunds = errs.Register("bank", 2, "insufficient funds")
	// ErrInvalidAmount: zero, duplicate or unsorted coins, or a sum that
	// overflows uint64.
	ErrInvalidAmount = errs.Register("bank", 3, "invalid amount")
	// ErrUnknownDenom: the denom is not registered on the chain.
	ErrUnknownDenom = errs.Register("bank", 4, "unknown denom")
	// ErrInvalidDenom: the denom is not well formed.
	ErrInvalidDenom = errs.Register("bank", 5, "invalid denom")
	// ErrSupplyOverflow: minting would push supply past 2^64-1.
	ErrSupplyOverflow = errs.Register("bank", 6, "supply overflow")
	// ErrSelfSend: from and to are the same account.
	ErrSelfSend = errs.Register("bank", 7, "send to self")
	// ErrDenomExists: a token with this denom already exists.
	ErrDenomExists = errs.Register("bank", 8, "denom already exists")
	// ErrReservedDenom: the denom is in a namespace only the chain mints
	// (the native token, share/…, any denom with '/' or ':').
	ErrReservedDenom = errs.Register("bank", 9, "reserved denom")
	// ErrModuleAccount: the recipient is a module's escrow or pool, which
	// only its module pays into.
	ErrModuleAccount = errs.Register("bank", 10, "recipient is a module account")
)

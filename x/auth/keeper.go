package auth

import (
	"fmt"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/fixed"
)

// FeeCollector receives every fee.
var FeeCollector = crypto.ModuleAddress("fee_collector")

// Keeper manages accounts and runs the ante checks.
type Keeper struct {
	Bank bank.Keeper
}

// DefaultParams: 0.001 DPIN per tx plus 1 udpin per byte.
func DefaultParams() *authv1.Params {
	return &authv1.Params{FeeBase: 1000, FeePerByte: 1, MaxMemoBytes: 256, MaxMsgs: 64}
}

// Params returns the module parameters.
func (Keeper) Params(r store.Reader) *authv1.Params {
	p := &authv1.Params{}
	state.Get(r, ParamsKey, p)
	return p
}

// ValidateGenesis checks a genesis state without applying it.
func ValidateGenesis(g *authv1.GenesisState) error {
	if g.GetParams() == nil {
		return fmt.Errorf("auth genesis: params missing")
	}
	if g.Params.MaxMsgs == 0 {
		return fmt.Errorf("auth genesis: max_msgs must be positive")
	}
	return nil
}

// InitGenesis stores the parameters.
func (Keeper) InitGenesis(ctx state.Context, g *authv1.GenesisState) error {
	if err := ValidateGenesis(g); err != nil {
		return err
	}
	ctx.KV.Set(ParamsKey, state.Marshal(g.Params))
	return nil
}

// Account returns addr's account, or nil.
func (Keeper) Account(r store.Reader, addr crypto.Address) *authv1.Account {
	return state.Load[authv1.Account](r, AccountKey(addr))
}

// SetAccount stores an account.
func (Keeper) SetAccount(kv store.KV, a *authv1.Account) {
	addr, err := crypto.AddressFromBytes(a.Address)
	if err != nil {
		panic(err)
	}
	kv.Set(AccountKey(addr), state.Marshal(a))
}

// MinFee is the fee a tx of txLen bytes must pay, or false on overflow.
func MinFee(p *authv1.Params, txLen int) (uint64, bool) {
	perBytes, ok := fixed.Mul(p.FeePerByte, uint64(txLen))
	if !ok {
		return 0, false
	}
	return fixed.Add(p.FeeBase, perBytes)
}

// Ante runs the checks every transaction passes before its messages and,
// if all pass, charges the fee and advances the signer's sequence. On error
// it changes nothing. The signature must already have been verified
// (VerifySignature), possibly in parallel with other txs.
func (k Keeper) Ante(ctx state.Context, tx *Tx) error {
	p := k.Params(ctx.KV)
	b := tx.Body
	if uint32(len(b.Memo)) > p.MaxMemoBytes {
		return fmt.Errorf("%w: memo is %d bytes, max %d", errs.ErrInvalidRequest, len(b.Memo), p.MaxMemoBytes)
	}
	if uint32(len(b.Messages)) > p.MaxMsgs {
		return fmt.Errorf("%w: %d messages, max %d", errs.ErrInvalidRequest, len(b.Messages), p.MaxMsgs)
	}
	if b.TimeoutHeight != 0 && ctx.Height > 0 && uint64(ctx.Height) > b.TimeoutHeight {
		return fmt.Errorf("%w: timeout height %d, block %d", errs.ErrTxTimeout, b.TimeoutHeight, ctx.Height)
	}
	if b.Fee.Denom != bank.NativeDenom {
		return fmt.Errorf("%w: fee must be paid in %s, not %q", errs.ErrInsufficientFee, bank.NativeDenom, b.Fee.Denom)
	}
	minFee, ok := MinFee(p, len(tx.Raw))
	if !ok || b.Fee.Amount < minFee {
		return fmt.Errorf("%w: paid %d%s, need at least %d%s (%d + %d per byte × %d bytes)",
			errs.ErrInsufficientFee, b.Fee.Amount, bank.NativeDenom, minFee, bank.NativeDenom, p.FeeBase, p.FeePerByte, len(tx.Raw))
	}
	acc := k.Account(ctx.KV, tx.Signer)
	if acc == nil {
		acc = &authv1.Account{Address: tx.Signer.Bytes()}
	}
	if tx.Body.Signer.Sequence != acc.Sequence {
		return fmt.Errorf("%w: account %s expects sequence %d, tx has %d", errs.ErrWrongSequence, tx.Signer, acc.Sequence, tx.Body.Signer.Sequence)
	}
	if b.Fee.Amount > 0 {
		if err := k.Bank.Send(ctx, tx.Signer, FeeCollector, []*bankv1.Coin{b.Fee}, "fee"); err != nil {
			return fmt.Errorf("%w: cannot pay fee: %v", errs.ErrInsufficientFee, err)
		}
	}
	acc.PublicKey = tx.PubKey
	acc.Sequence++
	k.SetAccount(ctx.KV, acc)
	return nil
}

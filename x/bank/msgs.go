package bank

import (
	"fmt"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
)

// HandleSend executes a MsgSend signed by signer.
func (k Keeper) HandleSend(ctx state.Context, signer crypto.Address, m *bankv1.MsgSend) error {
	from, err := crypto.AddressFromBytes(m.From)
	if err != nil {
		return fmt.Errorf("%w: from: %v", errs.ErrInvalidAddress, err)
	}
	to, err := crypto.AddressFromBytes(m.To)
	if err != nil {
		return fmt.Errorf("%w: to: %v", errs.ErrInvalidAddress, err)
	}
	if k.Escrows[to] {
		return fmt.Errorf("%w: %s holds escrowed funds; only its module pays into it", ErrModuleAccount, to)
	}
	return k.Send(ctx, from, to, m.Amount, "send")
}

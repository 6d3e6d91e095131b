package app

import (
	"fmt"

	"github.com/depinhq/depin/errs"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/auth"
)

// route sends one message to the module that owns it.
func (a *App) route(ctx state.Context, tx *auth.Tx, m *txv1.Msg) error {
	switch sum := m.Sum.(type) {
	case *txv1.Msg_Send:
		return a.bank.HandleSend(ctx, tx.Signer, sum.Send)
	default:
		return fmt.Errorf("%w: %T", errs.ErrUnknownMsg, sum)
	}
}

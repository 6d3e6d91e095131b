package app

import (
	"fmt"

	"github.com/depinhq/depin/errs"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/report"
)

// route sends one message to the module that owns it. prep holds work
// done ahead of execution (decoded, signature-checked report batches), or
// is nil.
func (a *App) route(ctx state.Context, tx *auth.Tx, m *txv1.Msg, prep *report.Prepared) error {
	s := tx.Signer
	if err := checkSigner(s, m); err != nil {
		return err
	}
	switch sum := m.Sum.(type) {
	case *txv1.Msg_Send:
		return a.bank.HandleSend(ctx, s, sum.Send)
	case *txv1.Msg_CreateNetwork:
		return a.network.Create(ctx, s, sum.CreateNetwork)
	case *txv1.Msg_UpdateNetworkParams:
		return a.network.UpdateParams(ctx, s, sum.UpdateNetworkParams)
	case *txv1.Msg_ApproveMaker:
		return a.network.ApproveMaker(ctx, s, sum.ApproveMaker)
	case *txv1.Msg_ResumeNetwork:
		return a.network.Resume(ctx, s, sum.ResumeNetwork)
	case *txv1.Msg_RevokeMaker:
		return a.network.RevokeMaker(ctx, s, sum.RevokeMaker)
	case *txv1.Msg_RegisterDevice:
		return a.device.Register(ctx, s, sum.RegisterDevice)
	case *txv1.Msg_TransferDevice:
		return a.device.Transfer(ctx, s, sum.TransferDevice)
	case *txv1.Msg_MoveDevice:
		return a.device.Move(ctx, s, sum.MoveDevice)
	case *txv1.Msg_DeactivateDevice:
		return a.device.Deactivate(ctx, s, sum.DeactivateDevice)
	case *txv1.Msg_WithdrawStake:
		return a.device.WithdrawStake(ctx, s, sum.WithdrawStake)
	case *txv1.Msg_ReportBatch:
		return a.report.HandleBatch(ctx, s, sum.ReportBatch, prep)
	case *txv1.Msg_SubmitEvidence:
		return a.report.SubmitEvidence(ctx, s, sum.SubmitEvidence)
	case *txv1.Msg_ClaimRewards:
		return a.reward.Claim(ctx, s, sum.ClaimRewards)
	case *txv1.Msg_SetBoost:
		return a.reward.SetBoost(ctx, s, sum.SetBoost)
	case *txv1.Msg_CreateValidator:
		return a.staking.CreateValidator(ctx, s, sum.CreateValidator)
	case *txv1.Msg_Delegate:
		return a.staking.Delegate(ctx, s, sum.Delegate)
	case *txv1.Msg_Unbond:
		return a.staking.Unbond(ctx, s, sum.Unbond)
	case *txv1.Msg_Unjail:
		return a.staking.Unjail(ctx, s, sum.Unjail)
	case *txv1.Msg_OpenAgreement:
		_, err := a.agreement.Open(ctx, s, sum.OpenAgreement)
		return err
	case *txv1.Msg_CancelAgreement:
		return a.agreement.Cancel(ctx, s, sum.CancelAgreement)
	case *txv1.Msg_DeclineAgreement:
		return a.agreement.Decline(ctx, s, sum.DeclineAgreement)
	case *txv1.Msg_PlaceOrder:
		return a.market.Place(ctx, s, sum.PlaceOrder)
	case *txv1.Msg_CancelOrder:
		return a.market.Cancel(ctx, s, sum.CancelOrder)
	case *txv1.Msg_Tokenize:
		return a.share.Tokenize(ctx, s, sum.Tokenize)
	case *txv1.Msg_Untokenize:
		return a.share.Untokenize(ctx, s, sum.Untokenize)
	case *txv1.Msg_ClaimShareRewards:
		return a.share.ClaimShares(ctx, s, sum.ClaimShareRewards)
	case *txv1.Msg_OfferLease:
		return a.share.OfferLease(ctx, s, sum.OfferLease)
	case *txv1.Msg_AcceptLease:
		return a.share.AcceptLease(ctx, s, sum.AcceptLease)
	case *txv1.Msg_DepositLease:
		return a.share.DepositLease(ctx, s, sum.DepositLease)
	case *txv1.Msg_EndLease:
		return a.share.EndLease(ctx, s, sum.EndLease)
	case *txv1.Msg_SubmitJob:
		_, err := a.compute.SubmitJob(ctx, s, sum.SubmitJob)
		return err
	case *txv1.Msg_CommitResult:
		return a.compute.CommitResult(ctx, s, sum.CommitResult)
	case *txv1.Msg_RevealResult:
		return a.compute.RevealResult(ctx, s, sum.RevealResult)
	case *txv1.Msg_CancelJob:
		return a.compute.CancelJob(ctx, s, sum.CancelJob)
	case *txv1.Msg_SetEndpoint:
		return a.storage.SetEndpoint(ctx, s, sum.SetEndpoint)
	case *txv1.Msg_OpenDeal:
		_, err := a.storage.OpenDeal(ctx, s, sum.OpenDeal)
		return err
	case *txv1.Msg_CloseDeal:
		return a.storage.CloseDeal(ctx, s, sum.CloseDeal)
	case *txv1.Msg_SubmitAudits:
		return a.storage.SubmitAudits(ctx, s, sum.SubmitAudits)
	case *txv1.Msg_RepairDeal:
		return a.storage.RepairDeal(ctx, s, sum.RepairDeal)
	case *txv1.Msg_CreatePool:
		_, err := a.vpp.CreatePool(ctx, s, sum.CreatePool)
		return err
	case *txv1.Msg_ClosePool:
		return a.vpp.ClosePool(ctx, s, sum.ClosePool)
	case *txv1.Msg_JoinPool:
		return a.vpp.JoinPool(ctx, s, sum.JoinPool)
	case *txv1.Msg_LeavePool:
		return a.vpp.LeavePool(ctx, s, sum.LeavePool)
	case *txv1.Msg_BuyCredits:
		return a.vpp.BuyCredits(ctx, s, sum.BuyCredits)
	case *txv1.Msg_Dispatch:
		_, err := a.vpp.DispatchPool(ctx, s, sum.Dispatch)
		return err
	default:
		return fmt.Errorf("%w: %T", errs.ErrUnknownMsg, sum)
	}
}

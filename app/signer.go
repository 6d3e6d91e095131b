package app

import (
	"bytes"
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// signerFields names, for every message, the field that must hold the
// tx's signer: the account that acts. route checks it before any handler
// runs, so every message refuses to act for someone else in one place,
// with one error. TestEveryMessageNamesItsSigner keeps the table whole.
var signerFields = map[protoreflect.FullName]protoreflect.Name{
	"depin.bank.v1.MsgSend":                   "from",
	"depin.network.v1.MsgCreateNetwork":       "owner",
	"depin.network.v1.MsgUpdateNetworkParams": "owner",
	"depin.network.v1.MsgApproveMaker":        "owner",
	"depin.network.v1.MsgRevokeMaker":         "owner",
	"depin.network.v1.MsgResumeNetwork":       "owner",
	"depin.device.v1.MsgRegisterDevice":       "owner",
	"depin.device.v1.MsgTransferDevice":       "owner",
	"depin.device.v1.MsgMoveDevice":           "owner",
	"depin.device.v1.MsgDeactivateDevice":     "owner",
	"depin.device.v1.MsgWithdrawStake":        "owner",
	"depin.report.v1.MsgReportBatch":          "submitter",
	"depin.report.v1.MsgSubmitEvidence":       "submitter",
	"depin.reward.v1.MsgClaimRewards":         "owner",
	"depin.reward.v1.MsgSetBoost":             "owner",
	"depin.staking.v1.MsgCreateValidator":     "operator",
	"depin.staking.v1.MsgDelegate":            "delegator",
	"depin.staking.v1.MsgUnbond":              "delegator",
	"depin.staking.v1.MsgUnjail":              "operator",
	"depin.agreement.v1.MsgOpenAgreement":     "consumer",
	"depin.agreement.v1.MsgCancelAgreement":   "consumer",
	"depin.agreement.v1.MsgDeclineAgreement":  "owner",
	"depin.market.v1.MsgPlaceOrder":           "owner",
	"depin.market.v1.MsgCancelOrder":          "owner",
	"depin.share.v1.MsgTokenize":              "owner",
	"depin.share.v1.MsgUntokenize":            "holder",
	"depin.share.v1.MsgClaimShareRewards":     "holder",
	"depin.share.v1.MsgOfferLease":            "owner",
	"depin.share.v1.MsgAcceptLease":           "lessee",
	"depin.share.v1.MsgDepositLease":          "lessee",
	"depin.share.v1.MsgEndLease":              "lessee",
	"depin.compute.v1.MsgSubmitJob":           "consumer",
	"depin.compute.v1.MsgCommitResult":        "owner",
	"depin.compute.v1.MsgRevealResult":        "owner",
	"depin.compute.v1.MsgCancelJob":           "consumer",
	"depin.vpp.v1.MsgCreatePool":              "operator",
	"depin.vpp.v1.MsgClosePool":               "operator",
	"depin.vpp.v1.MsgJoinPool":                "owner",
	"depin.vpp.v1.MsgLeavePool":               "owner",
	"depin.vpp.v1.MsgBuyCredits":              "operator",
	"depin.vpp.v1.MsgDispatch":                "operator",
	"depin.storage.v1.MsgSetEndpoint":         "owner",
	"depin.storage.v1.MsgOpenDeal":            "owner",
	"depin.storage.v1.MsgCloseDeal":           "owner",
	"depin.storage.v1.MsgSubmitAudits":        "submitter",
	"depin.storage.v1.MsgRepairDeal":          "repairer",
}

// msgOneof is the field of Msg's oneof every message is in.
var msgOneof = (&txv1.Msg{}).ProtoReflect().Descriptor().Oneofs().ByName("sum")

// inner is the message a Msg carries, or nil.
func inner(m *txv1.Msg) protoreflect.Message {
	r := m.ProtoReflect()
	if f := r.WhichOneof(msgOneof); f != nil {
		return r.Get(f).Message()
	}
	return nil
}

// checkSigner refuses a message whose acting account is not the signer.
func checkSigner(signer crypto.Address, m *txv1.Msg) error {
	inner := inner(m)
	if inner == nil {
		return fmt.Errorf("%w: empty message", errs.ErrUnknownMsg)
	}
	name, ok := signerFields[inner.Descriptor().FullName()]
	if !ok {
		return fmt.Errorf("%w: %s names no signer field", errs.ErrUnknownMsg, inner.Descriptor().FullName())
	}
	fd := inner.Descriptor().Fields().ByName(name)
	if got := inner.Get(fd).Bytes(); !bytes.Equal(got, signer[:]) {
		return fmt.Errorf("%w: %s must be the signer %s", errs.ErrUnauthorized, name, signer)
	}
	return nil
}

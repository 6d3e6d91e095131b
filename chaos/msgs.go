package chaos

import (
	"crypto/ed25519"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// The messages the workload sends. Where package client has a builder
// (transfers, device registration with its proof of possession) it is
// used, so changes of a message's format reach the soak with the
// builder; the rest are written here, in one place, as cmd/depin writes
// them.

func msgSend(from, to crypto.Address, denom string, amount uint64) *txv1.Msg {
	return client.MsgSend(from, to, bank.Coin(denom, amount))
}

func msgCreateNetwork(owner crypto.Address, id, name, rewardDenom string, class networkv1.ResourceClass, physical bool, p *networkv1.Params) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: owner.Bytes(), Id: id, Name: name, Class: class, Physical: physical, RewardDenom: rewardDenom, Params: p}}}
}

func msgUpdateParams(owner crypto.Address, net string, p *networkv1.Params) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: owner.Bytes(), Network: net, Params: p}}}
}

func msgApproveMaker(owner crypto.Address, net string, maker ed25519.PublicKey, name string) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{Owner: owner.Bytes(), Network: net, MakerPublicKey: maker, Name: name}}}
}

// msgRegisterDevice certifies a device with a maker key and registers it
// to owner through client's builder (which adds the device key's proof of
// possession).
func msgRegisterDevice(chainID string, owner crypto.Address, maker, dev ed25519.PrivateKey, net, model, serial string, capacity, cell uint64) (*txv1.Msg, error) {
	cert, err := device.SignCert(maker, chainID, &devicev1.DeviceCert{
		Network: net, DevicePublicKey: dev.Public().(ed25519.PublicKey), Model: model, Serial: serial,
		Capacity: capacity, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
	if err != nil {
		return nil, err
	}
	return client.RegisterDeviceMsg(chainID, owner, cert, dev, cell), nil
}

func msgMoveDevice(owner crypto.Address, id crypto.DeviceID, cell uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_MoveDevice{MoveDevice: &devicev1.MsgMoveDevice{Owner: owner.Bytes(), Device: id[:], Cell: cell}}}
}

func msgTransferDevice(owner crypto.Address, id crypto.DeviceID, to crypto.Address) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_TransferDevice{TransferDevice: &devicev1.MsgTransferDevice{Owner: owner.Bytes(), Device: id[:], NewOwner: to.Bytes()}}}
}

func msgDeactivateDevice(owner crypto.Address, id crypto.DeviceID) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{Owner: owner.Bytes(), Device: id[:]}}}
}

func msgWithdrawStake(owner crypto.Address, id crypto.DeviceID) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_WithdrawStake{WithdrawStake: &devicev1.MsgWithdrawStake{Owner: owner.Bytes(), Device: id[:]}}}
}

func msgReportBatch(submitter crypto.Address, reports []*reportv1.SignedReport) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: submitter.Bytes(), Reports: reports}}}
}

func msgDoubleReportEvidence(submitter crypto.Address, a, b *reportv1.SignedReport) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_SubmitEvidence{SubmitEvidence: &reportv1.MsgSubmitEvidence{
		Submitter: submitter.Bytes(), Kind: reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT, Reports: []*reportv1.SignedReport{a, b}}}}
}

// msgClaimRewards claims one device's rewards, or (device nil) all of
// the owner's devices'.
func msgClaimRewards(owner crypto.Address, device []byte) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: owner.Bytes(), Device: device}}}
}

func msgDelegate(del crypto.Address, val []byte, amount uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_Delegate{Delegate: &stakingv1.MsgDelegate{Delegator: del.Bytes(), Validator: val, Amount: amount}}}
}

func msgUnbond(del crypto.Address, val []byte, amount uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_Unbond{Unbond: &stakingv1.MsgUnbond{Delegator: del.Bytes(), Validator: val, Amount: amount}}}
}

func msgOpenAgreement(consumer crypto.Address, id crypto.DeviceID, metric uint32, num, den, maxUnits, endEpoch uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{
		Consumer: consumer.Bytes(), Device: id[:], Metric: metric, Denom: bank.NativeDenom,
		PriceNum: num, PriceDen: den, MaxUnits: maxUnits, EndEpoch: endEpoch}}}
}

func msgCancelAgreement(consumer crypto.Address, id uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: consumer.Bytes(), Id: id}}}
}

func msgPlaceOrder(owner crypto.Address, id crypto.DeviceID, bid bool, price, quantity uint64) *txv1.Msg {
	side := marketv1.Side_SIDE_ASK
	if bid {
		side = marketv1.Side_SIDE_BID
	}
	return &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: owner.Bytes(), Device: id[:], Side: side, Price: price, Quantity: quantity}}}
}

func msgCancelOrder(owner crypto.Address, id uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: owner.Bytes(), Id: id}}}
}

func msgTokenize(owner crypto.Address, id crypto.DeviceID, shares uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_Tokenize{Tokenize: &sharev1.MsgTokenize{Owner: owner.Bytes(), Device: id[:], Shares: shares}}}
}

func msgClaimShareRewards(holder crypto.Address, id crypto.DeviceID) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_ClaimShareRewards{ClaimShareRewards: &sharev1.MsgClaimShareRewards{Holder: holder.Bytes(), Device: id[:]}}}
}

func msgOfferLease(owner crypto.Address, id crypto.DeviceID, lessee crypto.Address, rent uint64, shareBps uint32, start, end uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{
		Owner: owner.Bytes(), Device: id[:], Lessee: lessee.Bytes(), Denom: bank.NativeDenom,
		RentPerEpoch: rent, RewardShareBps: shareBps, StartEpoch: start, EndEpoch: end}}}
}

func msgAcceptLease(lessee crypto.Address, id crypto.DeviceID, deposit uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: lessee.Bytes(), Device: id[:], Deposit: deposit}}}
}

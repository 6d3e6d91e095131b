package client

import (
	"crypto/ed25519"

	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// RegisterDeviceMsg is the message that registers a maker-certified
// device to owner at cell, with the device key's proof of possession (its
// signature over the owner's address on chainID), which the chain
// requires so that nobody who merely saw the certificate can claim the
// device.
func RegisterDeviceMsg(chainID string, owner crypto.Address, cert *devicev1.SignedDeviceCert, devicePriv ed25519.PrivateKey, cell uint64) *txv1.Msg {
	return RegisterDeviceMsgWithProof(owner, cert, crypto.SignPossession(devicePriv, chainID, owner), cell)
}

// RegisterDeviceMsgWithProof is RegisterDeviceMsg with a proof of
// possession made elsewhere (on the device: 'depin device prove').
func RegisterDeviceMsgWithProof(owner crypto.Address, cert *devicev1.SignedDeviceCert, proof []byte, cell uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{
		Owner: owner.Bytes(), Cert: cert, Cell: cell, DeviceSignature: proof}}}
}

package client

// For the tests of package client_test, which start a node (and so import
// node/nodetest, which imports this package).

var (
	DecodeRPCResponse  = decodeRPCResponse
	VerifySignedHeader = verifySignedHeader
)

type (
	ABCIQueryResult  = abciQueryResult
	BroadcastResult  = broadcastResult
	TxResultRPC      = txResult
	CommitResult     = commitResult
	ValidatorsResult = validatorsResult
	Validator        = validator
)

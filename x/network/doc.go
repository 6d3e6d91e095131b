// Package network owns the DePIN networks hosted on the chain: their
// owners, resource class, metrics with physical bounds, reward token,
// epochs and parameters (changes take effect at the next epoch), and the
// device makers each owner approved.
//
// State layout:
//
//	network/n/<id>                         -> Network
//	network/m/<id>\x00<maker public key>    -> Maker
package network

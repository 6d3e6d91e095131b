// Package node runs a depin node: CometBFT v1 in-process with the app over
// a local ABCI client, the IAVL state under the node home, and a small JSON
// REST API. It also writes node homes: config, keys and genesis for a
// single node (Init), a devnet, or an N-validator testnet on loopback.
//
// Home layout (CometBFT's, plus depin's app config and state):
//
//	config/config.toml        CometBFT config
//	config/app.toml           depin app config (REST address, pruning)
//	config/genesis.json       genesis; app_state is depin's GenesisState
//	config/node_key.json      p2p identity
//	config/priv_validator_key.json
//	data/                     CometBFT block store, state, and depin's app state (app.db)
//	keys/                     account key store (see package keystore)
package node

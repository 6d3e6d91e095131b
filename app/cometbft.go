package app

import (
	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"

	"github.com/depinhq/depin/x/staking"
)

// misbehavior converts CometBFT's evidence for the staking module.
func misbehavior(ms []abci.Misbehavior) []staking.Misbehavior {
	out := make([]staking.Misbehavior, 0, len(ms))
	for _, m := range ms {
		out = append(out, staking.Misbehavior{ConsAddress: m.Validator.Address,
			DoubleSign: m.Type == abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE || m.Type == abci.MISBEHAVIOR_TYPE_LIGHT_CLIENT_ATTACK})
	}
	return out
}

// lastVotes says which validators signed the previous block.
func lastVotes(c abci.CommitInfo) []staking.Vote {
	out := make([]staking.Vote, 0, len(c.Votes))
	for _, v := range c.Votes {
		out = append(out, staking.Vote{ConsAddress: v.Validator.Address, Signed: v.BlockIdFlag != cmttypes.BlockIDFlagAbsent})
	}
	return out
}
